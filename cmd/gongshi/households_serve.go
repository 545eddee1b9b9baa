package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/portal"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// householdSessionKeyPath is where serve keeps the key that signs households'
// session cookies: local state in the data directory, like the ledger key.
// Every server sharing a store must have the same file.
func (c *config) householdSessionKeyPath() string {
	return filepath.Join(c.data, "keys", "household-session.key")
}

// householdSessionKey loads the key, making one (32 random bytes, 0600) on the
// first start.
func (c *config) householdSessionKey() ([]byte, error) {
	path := c.householdSessionKeyPath()
	for range 2 {
		b, err := safefile.ReadFile(path)
		switch {
		case err == nil && len(b) >= 32:
			return b, nil
		case err == nil:
			return nil, fmt.Errorf("%s: %d bytes, want at least 32: remove it to have a new one made (households are then logged out)", path, len(b))
		case !errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("household session key: %v", unwrapPath(err))
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("household session key: %v", unwrapPath(err))
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		err = safefile.WriteBytes(path, false, key)
		if err == nil {
			return key, nil
		}
		if !errors.Is(err, safefile.ErrExists) { // else another process made it just now: read it
			return nil, fmt.Errorf("household session key: %w", err)
		}
	}
	return nil, fmt.Errorf("household session key %s: cannot be read", path)
}

// householdServices are the residents' pages' parts of a serve.
type householdServices struct {
	hs *households.Service
	rs *requests.Service
}

// householdOptions makes the households and requests services over a and the
// portal's options for them: the residents' pages, the tables, disclosure on
// request. hasher hashes the query codes (bounded memory and concurrency),
// backoff slows wrong codes down, trail records staff reads of personal data.
// Both count on clk, the deployment's calendar and rules (the same as the
// projects' timelines).
func (c *config) householdOptions(e env, a *archive.Archive, clk clocks,
	hasher households.Hasher, backoff portal.Backoff, trail portal.Trail) (*portal.HouseholdOptions, householdServices, error) {
	key, err := c.householdSessionKey()
	if err != nil {
		return nil, householdServices{}, err
	}
	hs, err := households.New(a, households.Options{Now: e.now, Calendar: clk.cal, Rules: clk.rules, Hasher: hasher})
	if err != nil {
		return nil, householdServices{}, err
	}
	rs, err := requests.New(a, requests.Options{Now: e.now, Calendar: clk.cal, Rules: clk.rules})
	if err != nil {
		return nil, householdServices{}, err
	}
	return &portal.HouseholdOptions{Households: hs, Requests: rs, SessionKey: key, Backoff: backoff, Trail: trail},
		householdServices{hs: hs, rs: rs}, nil
}

// codeParams is the cost of a query code's hash: Argon2id with 19 MiB and two
// passes (OWASP's minimum), one lane; codeHashes of them at once, so that a
// burst of logins waits its turn within 76 MiB. A code has 51 bits of its own:
// it needs no password's cost.
var codeParams = staff.Params{Memory: 19 * 1024, Time: 2, Threads: 1}

const codeHashes = 4

// codeHasher hashes and checks query codes (the staff package's Argon2id at
// bounded concurrency).
func codeHasher() households.Hasher { return staff.NewHasher(codeParams, codeHashes) }

// staffTrail records staff reads of household data in the staff audit trail.
type staffTrail struct{ svc *staff.Service }

func (t staffTrail) RecordRead(ctx context.Context, actor archive.Actor, action, subject, client string) error {
	_, err := t.svc.Record(ctx, staff.TrailEntry{Action: action, Subject: subject, Client: client, Actor: actor})
	return err
}
