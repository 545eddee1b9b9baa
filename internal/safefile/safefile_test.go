package safefile

import (
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe, a device, a socket and a directory are refused at once, by
// what the open handle is; a regular file (through a link too) is opened.
func TestOpenOnlyRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.pdf")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.pdf")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	regular := filepath.Join(dir, "ok.pdf")
	os.WriteFile(regular, []byte("%PDF-1.7"), 0o600)
	os.Symlink("ok.pdf", filepath.Join(dir, "link.pdf"))
	os.Symlink(fifo, filepath.Join(dir, "fifo-link.pdf"))

	for _, tc := range []struct{ path, kind string }{
		{fifo, "named pipe"},
		{filepath.Join(dir, "fifo-link.pdf"), "named pipe"},
		{"/dev/zero", "character device"},
		{dir, "directory"},
		{sock, "socket"}, // cannot be opened at all (ENXIO)
	} {
		done := make(chan error, 1)
		go func() {
			f, err := Open(tc.path)
			if err == nil {
				f.Close()
			}
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Open(%s) succeeded", tc.path)
			} else if tc.kind != "" && (!errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), tc.kind)) {
				t.Errorf("Open(%s) = %v, want ErrNotRegular naming %q", tc.path, err, tc.kind)
			}
		case <-time.After(10 * time.Second):
			// Release the blocked open, so that the test binary can end.
			if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
			t.Fatalf("Open(%s) blocked", tc.path)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	if _, err := OpenIn(root, "x.pdf"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("OpenIn(x.pdf) = %v, want ErrNotRegular", err)
	}
	for _, p := range []string{regular, filepath.Join(dir, "link.pdf")} {
		b, err := ReadFile(p)
		if err != nil || string(b) != "%PDF-1.7" {
			t.Errorf("ReadFile(%s) = %q, %v", p, b, err)
		}
	}
	if f, err := OpenIn(root, "link.pdf"); err != nil {
		t.Errorf("OpenIn(link.pdf) = %v", err)
	} else {
		f.Close()
	}
}

func TestWrite(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "report.json")
	if err := WriteBytes(p, false, []byte("one")); err != nil {
		t.Fatal(err)
	}
	mustHave(t, p, "one")
	// An existing file is refused without replace, and kept as it was.
	err := WriteBytes(p, false, []byte("two"))
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second write: %v, want ErrExists", err)
	}
	if err := Check(p, false); !errors.Is(err, ErrExists) {
		t.Errorf("Check = %v, want ErrExists", err)
	}
	mustHave(t, p, "one")
	// A world-readable file replaced becomes its owner's only.
	os.Chmod(p, 0o644)
	if err := WriteBytes(p, true, []byte("three")); err != nil {
		t.Fatal(err)
	}
	mustHave(t, p, "three")

	// A symbolic link is neither followed nor replaced, forced or not.
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("precious"), 0o644)
	link := filepath.Join(dir, "link.json")
	os.Symlink(target, link)
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	for _, l := range []string{link, dangling} {
		for _, replace := range []bool{false, true} {
			if err := WriteBytes(l, replace, []byte("evil")); !errors.Is(err, ErrLink) {
				t.Errorf("write to link %s (replace %v): %v, want ErrLink", l, replace, err)
			}
		}
	}
	mustHave(t, target, "precious")
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the dangling link's target was created: %v", err)
	}
	// Not over a directory either.
	if err := WriteBytes(dir, true, []byte("x")); !errors.Is(err, ErrNotRegular) {
		t.Errorf("write over a directory: %v, want ErrNotRegular", err)
	}
	// A failing writer leaves nothing behind.
	failed := filepath.Join(dir, "failed.json")
	if err := Write(failed, false, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("boom") }); err == nil {
		t.Error("a failing writer's error was lost")
	}
	if err := Write(p, true, func(w io.Writer) error { w.Write([]byte("half")); return errors.New("boom") }); err == nil {
		t.Error("a failing writer's error was lost")
	}
	mustHave(t, p, "three")
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "dangling.json link.json report.json target" {
		t.Errorf("directory holds %q: a temporary file was left, or the failed file written", names)
	}
}

// The link fallback refuses an existing name as the rename does.
func TestLinkNoReplace(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, []byte("a"), 0o600)
	os.WriteFile(b, []byte("b"), 0o600)
	if err := linkNoReplace(a, b); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("linkNoReplace over an existing file: %v", err)
	}
	mustHave(t, b, "b")
	c := filepath.Join(dir, "c")
	if err := linkNoReplace(a, c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old name is still there: %v", err)
	}
}

func mustHave(t *testing.T, p, want string) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil || string(b) != want {
		t.Fatalf("%s holds %q (%v), want %q", p, b, err, want)
	}
	fi, _ := os.Stat(p)
	if want != "precious" && fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", p, fi.Mode().Perm())
	}
}

// Of several writers racing to create one file, one wins; the others are told
// it exists, and the file is the winner's whole.
func TestWriteRace(t *testing.T) {
	p := filepath.Join(t.TempDir(), "receipt.json")
	errs := make(chan error, 8)
	for i := range 8 {
		go func() { errs <- WriteBytes(p, false, []byte(strings.Repeat(string(rune('a'+i)), 1<<16))) }()
	}
	won := 0
	for range 8 {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, ErrExists):
			t.Errorf("loser: %v, want ErrExists", err)
		}
	}
	b, _ := os.ReadFile(p)
	if won != 1 || len(b) != 1<<16 || strings.Count(string(b), string(b[:1])) != 1<<16 {
		t.Errorf("%d writers won; the file has %d bytes", won, len(b))
	}
}

// ReadOwnFile reads a regular file, refuses a symbolic link at the path (to a
// regular file too) with ErrLink, and a named pipe without blocking.
func TestReadOwnFile(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "state.json")
	if err := WriteBytes(own, false, []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadOwnFile(own); err != nil || string(b) != `{"version":1}` {
		t.Fatalf("ReadOwnFile(own) = %q, %v", b, err)
	}
	link := filepath.Join(dir, "link.json")
	os.Symlink("state.json", link)
	if b, err := ReadOwnFile(link); !errors.Is(err, ErrLink) {
		t.Errorf("ReadOwnFile(link) = %q, %v, want ErrLink", b, err)
	}
	fifo := filepath.Join(dir, "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadOwnFile(fifo); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadOwnFile(fifo) = %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("ReadOwnFile(fifo) blocked")
	}
	if _, err := ReadOwnFile(filepath.Join(dir, "absent.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadOwnFile(absent) = %v, want ErrNotExist", err)
	}
}
