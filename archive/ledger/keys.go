package ledger

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Key is the log's signing key with its verifier.
type Key struct {
	Signer   note.Signer
	Verifier note.Verifier
	// VerifierKey is the verifier in note's text form, name+hash+key: what
	// `gongshi keys show` prints and inspectors configure.
	VerifierKey string
}

// ErrNoKey: there is no key file.
var ErrNoKey = errors.New("no ledger key")

// GenerateKeyFile creates a new Ed25519 key for the log named origin and writes it
// to path with mode 0600, creating the directory (0700). It never replaces a key:
// an existing file is an error wrapping os.ErrExist, because checkpoints signed by
// a lost key can no longer be extended. When it returns, the file and its name (in
// every directory it created) are durable.
func GenerateKeyFile(path, origin string) (Key, error) {
	return generateKeyFile(path, origin, syncDir)
}

// generateKeyFile is GenerateKeyFile with the directory fsync given, so that
// tests can see which directories it makes durable.
func generateKeyFile(path, origin string, syncDir func(string) error) (Key, error) {
	if !ValidOrigin(origin) {
		return Key{}, fmt.Errorf("ledger: key: origin %q must be non-empty, without spaces or '+'", origin)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	dir := filepath.Dir(path)
	// The directories MkdirAll creates: their names, too, must reach the disk.
	synced := dir
	for {
		if _, err := os.Stat(synced); err == nil {
			break
		}
		parent := filepath.Dir(synced)
		if parent == synced {
			break
		}
		synced = parent
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	text := "# Gongshi ledger signing key. Keep it secret and back it up: without it the\n" +
		"# ledger cannot be extended. The second line is the public verifier key.\n" +
		skey + "\n" + vkey + "\n"
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	// The file's name in its directory, and the names of the directories
	// created, from the key's directory up to the first that existed.
	for d := dir; ; d = filepath.Dir(d) {
		if err := syncDir(d); err != nil {
			os.Remove(path)
			return Key{}, fmt.Errorf("ledger: key: %w", err)
		}
		if d == synced || filepath.Dir(d) == d {
			break
		}
	}
	return parseKey(skey, vkey)
}

// syncDir fsyncs a directory, making the names in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// LoadKeyFile reads a key written by GenerateKeyFile; ErrNoKey when there is none.
// It refuses a key file that its group or others may read or write.
func LoadKeyFile(path string) (Key, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Key{}, fmt.Errorf("ledger: key %s: %w", path, ErrNoKey)
	}
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return Key{}, fmt.Errorf("ledger: key %s has mode %04o: a signing key must be readable by its owner only; run 'chmod 600 %s' (and check who could have read it)", path, perm, path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key: %w", err)
	}
	var skey, vkey string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "PRIVATE+KEY+"):
			skey = line
		default:
			vkey = line
		}
	}
	if skey == "" || vkey == "" {
		return Key{}, fmt.Errorf("ledger: key %s: want a private key line and a verifier key line", path)
	}
	k, err := parseKey(skey, vkey)
	if err != nil {
		return Key{}, fmt.Errorf("ledger: key %s: %w", path, err)
	}
	return k, nil
}

func parseKey(skey, vkey string) (Key, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return Key{}, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Key{}, err
	}
	if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
		return Key{}, errors.New("the private and the verifier key do not belong together")
	}
	return Key{Signer: s, Verifier: v, VerifierKey: vkey}, nil
}

// errStop ends a listing early.
var errStop = errors.New("stop")

// Started reports whether the log in st has a signed checkpoint: whether a key
// for it must already exist somewhere.
func Started(ctx context.Context, st blob.Lister) (bool, error) {
	found := false
	err := st.List(ctx, checkpointPrefix, "", func(blob.Info) error {
		found = true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return false, fmt.Errorf("ledger: %w", err)
	}
	return found, nil
}
