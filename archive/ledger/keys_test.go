package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The key file's name reaches the disk: the key's directory, and each directory
// created for it, is fsynced; when that fails, no key is left behind.
func TestGenerateKeyFileSyncsDirectories(t *testing.T) {
	var synced []string
	record := func(dir string) error {
		synced = append(synced, dir)
		return nil
	}
	base := t.TempDir()
	path := filepath.Join(base, "data", "keys", "ledger.key")
	if _, err := generateKeyFile(path, "gongshi.example/test", record); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(base, "data", "keys"), filepath.Join(base, "data"), base}
	if !slices.Equal(synced, want) {
		t.Errorf("directories synced %q, want %q", synced, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v; want mode 0600", fi, err)
	}

	// In a directory that exists: that directory alone.
	synced = nil
	path2 := filepath.Join(base, "data", "keys", "other.key")
	if _, err := generateKeyFile(path2, "gongshi.example/test", record); err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(base, "data", "keys")}; !slices.Equal(synced, want) {
		t.Errorf("directories synced %q, want %q", synced, want)
	}

	failing := func(string) error { return errors.New("input/output error") }
	path3 := filepath.Join(base, "data", "keys", "third.key")
	if _, err := generateKeyFile(path3, "gongshi.example/test", failing); err == nil {
		t.Fatal("a key whose directory could not be synced was generated without error")
	}
	if _, err := os.Stat(path3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after a failed sync the key file is there: %v", err)
	}
}

// A key file that its group or others can read is refused, with what to do.
func TestLoadKeyFileRefusesOpenMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	path := filepath.Join(t.TempDir(), "ledger.key")
	k, err := GenerateKeyFile(path, "gongshi.example/test")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644, 0o660} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKeyFile(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), path) {
			t.Errorf("key file of mode %04o: %v; want a refusal naming chmod 600 and the file", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		got, err := LoadKeyFile(path)
		if err != nil || got.VerifierKey != k.VerifierKey {
			t.Errorf("key file of mode %04o: %v", mode, err)
		}
	}
	if _, err := LoadKeyFile(filepath.Join(t.TempDir(), "none")); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key file: %v, want ErrNoKey", err)
	}
}
