package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The household session key is made once, private, and the same for every
// later start; a file too short to be a key is refused, not used.
func TestHouseholdSessionKey(t *testing.T) {
	c := backends(t)["fs"](t)
	cfg := c.config(t)
	k1, err := cfg.householdSessionKey()
	if err != nil || len(k1) != 32 {
		t.Fatalf("first start: %d bytes, %v", len(k1), err)
	}
	fi, err := os.Stat(cfg.householdSessionKeyPath())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi.Mode(), err)
	}
	k2, err := cfg.householdSessionKey()
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second start: another key (%v)", err)
	}
	if err := os.WriteFile(cfg.householdSessionKeyPath(), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.householdSessionKey(); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("a short key file: %v", err)
	}
}
