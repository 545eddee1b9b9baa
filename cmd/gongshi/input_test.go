package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/gongshi-archive/gongshi/archive"
)

// records counts the records of the archive that c uses.
func records(t *testing.T, c *cli) int {
	t.Helper()
	a, closeArchive, err := c.config(t).openArchive(context.Background(), env{getenv: func(k string) string { return c.env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	n := 0
	if err := a.Records(context.Background(), func(archive.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// The manifest: UTF-8 with one bad byte in one title. It is refused with
// the row, column and bytes named, and nothing is filed; the same rows in
// GB18030 are read, with or without --encoding.
func TestIngestManifestEncoding(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createProject(t, c)
	fx := makeIngestFixtures(t)
	fx.signed(t, "a.pdf", "a")
	fx.signed(t, "b.pdf", "b")
	csv := "文件,项目编号,文件类型,题名,文号,日期,责任者\n" +
		"a.pdf,CC-2026-001,decision,关于房屋征收的决定,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n" +
		"b.pdf,CC-2026-001,decision,测试区人民政府公告,长征补〔2026〕13号,2026-03-18,测试区人民政府\n"
	manifest := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(manifest, []byte(strings.Replace(csv, "人民政府公告", "人民政府\xe5公告", 1)), 0o644)
	out, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots)
	if code != exitOperator || !strings.Contains(errOut, "row 3 (line 3), column 题名: bytes e5 ") ||
		!strings.Contains(errOut, `after "测试区人民政府"`) || !strings.Contains(errOut, "are not UTF-8") {
		t.Fatalf("damaged UTF-8: code %d\n%s\n%s", code, out, errOut)
	}
	if n := records(t, c); n != 0 {
		t.Fatalf("%d records filed from a manifest that was refused", n)
	}
	os.WriteFile(manifest, []byte(gbk(t, csv)), 0o644)
	for _, enc := range []string{"auto", "gb18030"} {
		if out, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots, "--encoding", enc); code != exitOK {
			t.Fatalf("GB18030 manifest, --encoding %s: code %d\n%s\n%s", enc, code, out, errOut)
		}
	}
	if _, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--encoding", "utf-8"); code != exitOperator || !strings.Contains(errOut, "are not UTF-8 (--encoding utf-8)") {
		t.Fatalf("GB18030 manifest read as UTF-8: code %d %s", code, errOut)
	}
	if _, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--encoding", "latin1"); code != exitOperator || !strings.Contains(errOut, "--encoding") {
		t.Fatalf("--encoding latin1: code %d %s", code, errOut)
	}
}

func gbk(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Reports, receipts and checkpoints are written atomically, their owner's only,
// never through a symbolic link, and an existing file is replaced only with
// --force or where the command exists to update it (verify --consistency F
// --save-checkpoint F). A refusal comes before any work.
func TestOutputFiles(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createProject(t, c)
	fx := makeIngestFixtures(t)
	fx.signed(t, "a.pdf", "a")
	manifest := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(manifest, []byte("file,project,type,title,doc_number,date,issuer\na.pdf,CC-2026-001,decision,关于房屋征收的决定,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n"), 0o644)
	out := t.TempDir()
	existing := filepath.Join(out, "existing.json")
	os.WriteFile(existing, []byte("keep me"), 0o644)
	secret := filepath.Join(out, "secret")
	os.WriteFile(secret, []byte("precious"), 0o644)
	link := filepath.Join(out, "link.json")
	os.Symlink(secret, link)
	unchanged := func(p, want string) {
		t.Helper()
		if b, err := os.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s holds %q (%v), want %q", p, b, err, want)
		}
	}
	private := func(p string) {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, %v: want a regular file of mode 0600", p, fi.Mode(), err)
		}
	}
	ingest := func(args ...string) (string, int) {
		_, errOut, code := c.run(append([]string{"ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots}, args...)...)
		return errOut, code
	}

	// ingest --report: refused onto a file or a link, before anything is filed.
	if errOut, code := ingest("--report", existing); code != exitOperator || !strings.Contains(errOut, "the file exists: give another name, or --force") || !strings.Contains(errOut, "nothing was filed") {
		t.Fatalf("--report onto a file: %d %s", code, errOut)
	}
	if errOut, code := ingest("--report", link, "--force"); code != exitOperator || !strings.Contains(errOut, "symbolic link") {
		t.Fatalf("--report onto a link: %d %s", code, errOut)
	}
	if n := records(t, c); n != 0 {
		t.Fatalf("%d records filed by refused commands", n)
	}
	unchanged(existing, "keep me")
	unchanged(secret, "precious")
	if errOut, code := ingest("--report", existing, "--force"); code != exitOK {
		t.Fatalf("--report --force: %d %s", code, errOut)
	}
	private(existing)
	fresh := filepath.Join(out, "sub", "report.json")
	if errOut, code := ingest("--report", fresh); code != exitOK {
		t.Fatalf("--report to a new file: %d %s", code, errOut)
	}
	private(fresh)
	var sum struct {
		Already int `json:"already_filed"`
	}
	if b, _ := os.ReadFile(fresh); json.Unmarshal(b, &sum) != nil || sum.Already != 1 {
		t.Errorf("report %s: %s", fresh, b)
	}

	// Without --report, two runs in one millisecond (the test's clock stands
	// still) get a report each.
	for range 2 {
		if errOut, code := ingest(); code != exitOK {
			t.Fatalf("ingest: %d %s", code, errOut)
		}
	}
	if reports, _ := filepath.Glob(filepath.Join(c.env["GONGSHI_DATA"], "reports", "ingest-*.json")); len(reports) != 2 {
		t.Errorf("reports %q, want two", reports)
	}

	// audit --report likewise.
	if _, errOut, code := c.run("audit", "--report", fresh); code != exitOperator || !strings.Contains(errOut, "the file exists") {
		t.Fatalf("audit --report onto a file: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("audit", "--report", link, "--force"); code != exitOperator || !strings.Contains(errOut, "symbolic link") {
		t.Fatalf("audit --report onto a link: %d %s", code, errOut)
	}
	unchanged(secret, "precious")

	// verify --save-receipt.
	doc := filepath.Join(fx.dir, "a.pdf")
	receipt := filepath.Join(out, "receipt.json")
	if _, errOut, code := c.run("verify", doc, "--save-receipt", receipt); code != exitOK {
		t.Fatalf("verify --save-receipt: %d %s", code, errOut)
	}
	private(receipt)
	for _, tc := range []struct {
		path  string
		force bool
		want  string
	}{{existing, false, "the file exists"}, {receipt, false, "the file exists"}, {link, true, "symbolic link"}} {
		args := []string{"verify", doc, "--save-receipt", tc.path}
		if tc.force {
			args = append(args, "--force")
		}
		if _, errOut, code := c.run(args...); code != exitOperator || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: %d %s, want %q", args, code, errOut, tc.want)
		}
	}
	unchanged(secret, "precious")
	os.Chmod(receipt, 0o644)
	if _, errOut, code := c.run("verify", doc, "--save-receipt", receipt, "--force"); code != exitOK {
		t.Fatalf("verify --save-receipt --force: %d %s", code, errOut)
	}
	private(receipt)

	// verify --consistency F --save-checkpoint F updates F; another existing
	// file is refused, and so is the receipt that --consistency read.
	checkpoint := filepath.Join(out, "checkpoint")
	if _, errOut, code := c.run("verify", "--consistency", receipt, "--save-checkpoint", checkpoint); code != exitOK {
		t.Fatalf("--save-checkpoint: %d %s", code, errOut)
	}
	private(checkpoint)
	os.Chmod(checkpoint, 0o644)
	if _, errOut, code := c.run("verify", "--consistency", checkpoint, "--save-checkpoint", checkpoint); code != exitOK {
		t.Fatalf("--consistency F --save-checkpoint F: %d %s", code, errOut)
	}
	private(checkpoint)
	if _, errOut, code := c.run("verify", "--consistency", checkpoint, "--save-checkpoint", existing); code != exitOperator || !strings.Contains(errOut, "the file exists") {
		t.Errorf("--save-checkpoint onto another file: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("verify", "--consistency", receipt, "--save-checkpoint", receipt); code != exitOperator || !strings.Contains(errOut, "would lose the receipt") {
		t.Errorf("--save-checkpoint onto the receipt read: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("verify", "--consistency", checkpoint, "--save-checkpoint", link, "--force"); code != exitOperator || !strings.Contains(errOut, "symbolic link") {
		t.Errorf("--save-checkpoint onto a link: %d %s", code, errOut)
	}
	unchanged(secret, "precious")
	if entries, _ := os.ReadDir(out); len(entries) != 6 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output folder holds %q: a temporary file was left behind?", names)
	}
}

// Control characters, ANSI escapes and bidirectional overrides in file names
// and metadata are escaped in every line the CLI prints (progress, results,
// summaries, errors, tables); JSON output stays JSON with the same values.
func TestTerminalOutputEscaped(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createProject(t, c)
	fx := makeIngestFixtures(t)
	evil := "evil\x1b[31m\n已归档 filed: fake.pdf"
	fx.signed(t, evil, "evil")
	// The catalogue refuses control characters in titles and file names (the
	// batch row below is rejected for them); a bidirectional override is not a
	// control character, and is filed.
	title := "关于\u202efdp.exe的决定"
	manifest := filepath.Join(t.TempDir(), "m.json")
	rows := []map[string]string{
		{"file": evil, "project": "CC-2026-001", "type": "decision", "title": title + "\x1b]0;owned\x07", "doc_number": "长征补〔2026〕12号", "date": "2026-03-18", "issuer": "长春市南关区人民政府"},
		{"file": "missing\u202e.pdf", "project": "CC-2026-001", "type": "decision", "title": "t", "doc_number": "长征补〔2026〕13号", "date": "2026-03-18", "issuer": "x"},
	}
	b, _ := json.Marshal(rows)
	os.WriteFile(manifest, b, 0o644)
	clean := func(what, s string) {
		t.Helper()
		for _, bad := range []string{"\x1b", "\u202e", "\x07", "\n已归档 filed: fake.pdf"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s holds %q raw:\n%s", what, bad, s)
			}
		}
	}
	out, errOut, code := c.run("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots)
	if code != exitOperator || !strings.Contains(out, "拒收 rejected:              1") { // the missing file is an error
		t.Fatalf("batch: code %d\n%s\n%s", code, out, errOut)
	}
	clean("batch output", out)
	clean("batch progress", errOut)
	for _, want := range []string{`evil\x1b[31m\n已归档 filed: fake.pdf`, `missing\u202e.pdf`} {
		if !strings.Contains(out, want) && !strings.Contains(errOut, want) {
			t.Errorf("the batch's output lacks %s:\n%s\n%s", want, out, errOut)
		}
	}
	doc := filepath.Join(fx.dir, evil)
	single := []string{"ingest", doc, "--file-name", "决定.pdf", "--project", "CC-2026-001", "--type", "decision", "--title", title,
		"--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18", "--issuer", "长春市南关区人民政府", "--trust-roots", fx.roots}
	out, errOut, code = c.run(single...)
	if code != exitOK || !strings.Contains(out, `已归档 filed: `+fx.dir+`/evil\x1b[31m\n已归档 filed: fake.pdf`) {
		t.Fatalf("single: code %d\n%s\n%s", code, out, errOut)
	}
	clean("single output", out)
	// JSON: the same values, the characters escaped the JSON way.
	out, _, code = c.run(append(single, "--json")...)
	var res struct {
		Path   string `json:"path"`
		Record struct {
			Title string `json:"title"`
		} `json:"record"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Path != doc || res.Record.Title != title {
		t.Fatalf("--json: code %d, %+v\n%s", code, res, out)
	}
	clean("JSON output", out)
	if !strings.Contains(out, `\u202e`) {
		t.Errorf("JSON output lacks the escaped override:\n%s", out)
	}
	out, errOut, code = c.run("verify", doc)
	if code != exitOK || !strings.Contains(out, `title:      关于\u202efdp.exe的决定`) {
		t.Errorf("verify: code %d\n%s\n%s", code, out, errOut)
	}
	clean("verify output", out)
	// Errors: one line, escaped.
	_, errOut, code = c.run("ingest", filepath.Join(fx.dir, "nothing\x1b[2J\n.pdf"), "--project", "CC-2026-001", "--type", "decision", "--title", "t")
	if code != exitOperator || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, `nothing\x1b[2J\n.pdf`) {
		t.Errorf("error: code %d %q", code, errOut)
	}
	clean("error", errOut)
	// Tables of metadata.
	if _, errOut, code := c.run("project", "create", "--code", "CC-2026-009", "--name", "项目\u202e名称\x1b[0m", "--city", "长春市"); code != exitOK {
		_, _ = errOut, code
		clean("project create error", errOut)
	} else {
		out, _, _ = c.run("project", "list")
		clean("project list", out)
		out, _, _ = c.run("project", "show", "CC-2026-009")
		clean("project show", out)
	}
}

// verify reads only regular files too: a named pipe given as the file, the
// receipt, the checkpoint or the key file is refused at once.
func TestVerifyRefusesPipes(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	fifo := filepath.Join(t.TempDir(), "x.pdf")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", fifo, "--key", mustKey(t).VerifierKey},
		{"verify", "--consistency", fifo, "--key", mustKey(t).VerifierKey},
		{"verify", fifo, "--key-file", fifo},
	} {
		done := make(chan string, 1)
		go func() {
			_, errOut, code := c.run(args...)
			done <- fmt.Sprintf("%d %s", code, errOut)
		}()
		select {
		case got := <-done:
			if !strings.HasPrefix(got, "2 ") || !strings.Contains(got, "a named pipe (FIFO), not a regular file") {
				t.Errorf("%q: %s", args, got)
			}
		case <-time.After(20 * time.Second):
			for { // release the blocked open, then fail
				if w, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				select {
				case <-done:
					t.Fatalf("%q blocked on a named pipe", args)
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
	}
}

// stubborn is a command that ignores its context's end, run in a child process
// by TestSecondSignalKills.
func stubborn() {
	ctx, _ := interruptible(context.Background())
	fmt.Println("ready")
	<-ctx.Done()
	fmt.Println("cancelled")
	select {}
}

// The first SIGINT cancels the command's context; a command that does not stop
// then is ended by the second, with the signal's default action.
func TestSecondSignalKills(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GONGSHI_TEST_STUBBORN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer timer.Stop()
	sc := bufio.NewScanner(stdout)
	expect := func(line string) {
		t.Helper()
		if !sc.Scan() || sc.Text() != line {
			t.Fatalf("child printed %q, want %q (stderr %q)", sc.Text(), line, stderr.String())
		}
	}
	expect("ready")
	cmd.Process.Signal(syscall.SIGINT)
	expect("cancelled")
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
		t.Fatalf("child ended with %v, want killed by SIGINT", err)
	}
	if !strings.Contains(stderr.String(), "gongshi: interrupt: stopping (a second signal stops at once)") {
		t.Errorf("stderr %q", stderr.String())
	}
}
