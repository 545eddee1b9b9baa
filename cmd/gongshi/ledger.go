package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/retention"
)

// defaultOrigin names the ledger when --ledger-origin is not given. A deployment
// sets its own (its portal's host and a path), before its first filing: the name
// is in the key and in every checkpoint.
const defaultOrigin = "gongshi.example/ledger"

// keyPath is where the ledger's signing key lives: local state in the data
// directory, never in the store.
func (c *config) keyPath() string { return filepath.Join(c.data, "keys", "ledger.key") }

// ledgerKey loads the signing key; when there is none yet it generates one (the
// first start of an archive), unless the store's ledger has begun: then the key
// exists elsewhere (another machine sharing the S3 bucket, a lost data directory),
// and a new one would only be a key that nobody must trust.
func (c *config) ledgerKey(ctx context.Context, st blob.Store) (ledger.Key, error) {
	k, err := ledger.LoadKeyFile(c.keyPath())
	if errors.Is(err, ledger.ErrNoKey) {
		started, serr := ledger.Started(ctx, st)
		if serr != nil {
			return ledger.Key{}, fmt.Errorf("ledger key: %w", serr)
		}
		if started {
			return ledger.Key{}, fmt.Errorf("no ledger key in %s, but the ledger in %s has signed checkpoints: copy the key file (keys/ledger.key) from the data directory that signed them; a new key would not be trusted", c.keyPath(), c.where())
		}
		origin := c.origin
		if origin == "" {
			origin = defaultOrigin
		}
		k, err = ledger.GenerateKeyFile(c.keyPath(), origin)
		if errors.Is(err, os.ErrExist) { // another process generated it just now
			k, err = ledger.LoadKeyFile(c.keyPath())
		}
	}
	if err != nil {
		return ledger.Key{}, fmt.Errorf("ledger key: %w", err)
	}
	return k, nil
}

// archiveOn returns the archive over st with the ledger as its journal, so that
// every record and project version stored is appended to the ledger, with the
// actor "cli". Commands open their archive through cfg.open (open.go); the
// demo's households, filed beside its archive, through this.
func (c *config) archiveOn(ctx context.Context, st blob.Store, e env) (*archive.Archive, *ledger.Log, error) {
	k, err := c.ledgerKey(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	return c.archiveWith(st, e, k)
}

// archiveWith is archiveOn with the ledger's key loaded already.
func (c *config) archiveWith(st blob.Store, e env, k ledger.Key) (*archive.Archive, *ledger.Log, error) {
	cat := archive.DefaultCatalogue()
	rules, err := c.retentionRules(cat)
	if err != nil {
		return nil, nil, err
	}
	// What is stored is locked as retention says: the ledger's objects for ever,
	// each record until it is due (docs/retention.md).
	l := ledger.New(st, ledger.Options{Key: k, Versions: true, RetainUntil: func() time.Time { return rules.Forever(e.now()) }})
	return archive.New(st, archive.Options{Now: e.now, Journal: l, Actor: archive.ActorCLI, Catalogue: cat,
		Locks: retention.NewLocks(st, cat, rules, e.now)}), l, nil
}

// verifier finds the key that checkpoints must be signed with: --key (the verifier
// key text), else --key-file (a file holding it, or the data directory's key file),
// else the data directory's key.
func (c *config) verifier(keyText, keyFile string) (note.Verifier, error) {
	switch {
	case keyText != "":
		v, err := note.NewVerifier(strings.TrimSpace(keyText))
		if err != nil {
			return nil, fmt.Errorf("--key: %v: want a verifier key as 'gongshi keys show' prints it", err)
		}
		return v, nil
	case keyFile != "":
		b, err := safefile.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("--key-file: %v", unwrapPath(err))
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "PRIVATE+KEY+") {
				continue
			}
			v, err := note.NewVerifier(line)
			if err != nil {
				return nil, fmt.Errorf("--key-file %s: %v", keyFile, err)
			}
			return v, nil
		}
		return nil, fmt.Errorf("--key-file %s holds no verifier key", keyFile)
	}
	k, err := ledger.LoadKeyFile(c.keyPath())
	if errors.Is(err, ledger.ErrNoKey) {
		return nil, fmt.Errorf("no verifier key: give --key (as 'gongshi keys show' prints it on the archive's machine) or --key-file, or use the archive's data directory (%s)", c.data)
	}
	if err != nil {
		return nil, err
	}
	return k.Verifier, nil
}
