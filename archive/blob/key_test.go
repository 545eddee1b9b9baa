package blob

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateKey(t *testing.T) {
	good := []string{"a", "blobs/sha256/ab/" + strings.Repeat("0", 64), "records/x/000001.json",
		"a-b_c.d", strings.Repeat("k/", 200) + "k", "..a", "a..", ".hidden"}
	bad := []string{"", "/", "/a", "a/", "a//b", ".", "..", "a/../b", "a/./b", "a b", "a@", "a!",
		"中", "a\\b", "a\x00", strings.Repeat("k", MaxKeyLen+1), strings.Repeat("s", 201)}
	for _, k := range good {
		if err := ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v, want nil", k, err)
		}
	}
	for _, k := range bad {
		if err := ValidateKey(k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ErrInvalidKey", k, err)
		}
	}
	for _, p := range []string{"", "a", "a/", "a/b/"} {
		if err := ValidatePrefix(p); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"/", "a//", "../", "a b/"} {
		if err := ValidatePrefix(p); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidatePrefix(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}

// FuzzValidateKey: every key the rules accept is a safe relative path (backends
// join it under their root) and carries none of the suffixes backends add.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/./b", "blobs/sha256/ab/cd", "a@", "a!", "\x00", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if ValidateKey(key) != nil {
			return
		}
		root := "/srv/store"
		p := filepath.Join(root, filepath.FromSlash(key))
		if !strings.HasPrefix(p, root+"/") || filepath.Clean(p) != p || p == root {
			t.Fatalf("accepted key %q escapes or is not clean: %s", key, p)
		}
		if strings.ContainsAny(key, "@!\\ \x00") || len(key) > MaxKeyLen {
			t.Fatalf("accepted key %q has a reserved byte or is too long", key)
		}
	})
}
