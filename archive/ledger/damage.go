package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// ErrDamaged: an authoritative object of the log (a batch, a checkpoint) is
// missing or altered. The log appends and signs nothing until it is restored, so
// that the damage never grows; the error names what is damaged.
var ErrDamaged = errors.New("the ledger is damaged")

// Damage notices. What the log can check on every load is its end: the latest
// checkpoint, the batch that ends there and what lies beyond it. Damage further
// back is found by a full Check (gongshi audit), which then stores a signed
// create-once notice under ledger/damage/<n, 16 digits>; the log refuses
// appends while the latest notice signed by its key says "damaged", and a later
// audit that finds the log whole stores one that says "whole". Notices that the
// key did not sign are ignored (a forged "damaged" cannot stop the archive, a
// forged "whole" cannot unblock it), and deleting one is found again by the next
// audit.
const (
	damagePrefix = "ledger/damage/"
	noticeHeader = "gongshi ledger damage notice v1"
	// noticeObjects bounds the objects a notice names; the audit's report has
	// them all.
	noticeObjects = 50
)

// Notice is a stored damage notice.
type Notice struct {
	Key     string
	Time    time.Time
	Damaged bool
	// Objects are the damaged objects it names, "kind key" each.
	Objects []string
}

// RecordDamage stores a notice that the findings (those that block appends) make
// the log damaged, and returns its key.
func (l *Log) RecordDamage(ctx context.Context, at time.Time, findings []Finding) (string, error) {
	var objs []string
	for _, f := range findings {
		if f.Blocks {
			objs = append(objs, f.Kind+" "+f.Key)
		}
	}
	if len(objs) == 0 {
		return "", fmt.Errorf("ledger: damage notice: no finding that blocks appends")
	}
	// The same damage found again: the notice that says so stands.
	if n, err := l.LatestNotice(ctx); err != nil {
		return "", err
	} else if n != nil && n.Damaged && slices.Equal(n.Objects, objs[:min(len(objs), noticeObjects)]) {
		return n.Key, nil
	}
	return l.putNotice(ctx, at, true, objs)
}

// RecordWhole stores a notice that the log is whole again, when the latest notice
// says it is damaged; otherwise it stores nothing and returns "".
func (l *Log) RecordWhole(ctx context.Context, at time.Time) (string, error) {
	n, err := l.LatestNotice(ctx)
	if err != nil || n == nil || !n.Damaged {
		return "", err
	}
	return l.putNotice(ctx, at, false, nil)
}

func (l *Log) putNotice(ctx context.Context, at time.Time, damaged bool, objs []string) (string, error) {
	if l.key.Signer == nil {
		return "", fmt.Errorf("ledger: damage notice: %w", ErrReadOnly)
	}
	var b strings.Builder
	state := "whole"
	if damaged {
		state = "damaged"
	}
	fmt.Fprintf(&b, "%s\ntime %s\nstate %s\n", noticeHeader, at.UTC().Format(timeLayout), state)
	for i, o := range objs {
		if i == noticeObjects {
			fmt.Fprintf(&b, "more %d\n", len(objs)-i)
			break
		}
		fmt.Fprintf(&b, "object %s\n", o)
	}
	signed, err := note.Sign(&note.Note{Text: b.String()}, l.key.Signer)
	if err != nil {
		return "", fmt.Errorf("ledger: damage notice: %w", err)
	}
	// Notices are numbered, so that the latest is the last listed whatever the
	// clocks of the audits that wrote them; two audits racing for a number
	// are settled by the create-once put.
	for attempt := 0; attempt < 5; attempt++ {
		last := int64(0)
		err := l.store.List(ctx, damagePrefix, "", func(info blob.Info) error {
			if n, ok := noticeNumber(info.Key); ok {
				last = max(last, n)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("ledger: damage notice: %w", err)
		}
		key := fmt.Sprintf("%s%016d", damagePrefix, last+1)
		_, err = l.store.Put(ctx, key, bytes.NewReader(signed), l.locked(blob.PutOptions{Size: int64(len(signed))}))
		if errors.Is(err, blob.ErrExists) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("ledger: damage notice: %w", err)
		}
		// The notice decides whether appends go on: this Log looks again
		// at once (a damaged one stops), others when they next look
		// (recheckDamage).
		l.mu.Lock()
		l.loaded = false
		l.ready.Store(nil)
		l.mu.Unlock()
		return key, nil
	}
	return "", fmt.Errorf("ledger: damage notice: %w", ErrConflict)
}

// noticeNumber reads the number of a notice's key. Numbers from 10^15 up are
// not counted: no archive runs that many audits, and one planted there cannot
// push the next number past what its key can hold.
func noticeNumber(key string) (int64, bool) {
	rest := strings.TrimPrefix(key, damagePrefix)
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && len(rest) == 16 && n > 0 && n < 1e15
}

// LatestNotice returns the latest damage notice signed by the log's key, or nil
// when there is none.
func (l *Log) LatestNotice(ctx context.Context) (*Notice, error) {
	var keys []string
	err := l.store.List(ctx, damagePrefix, "", func(info blob.Info) error {
		if _, ok := noticeNumber(info.Key); ok {
			keys = append(keys, info.Key)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: damage notices: %w", err)
	}
	for i := len(keys) - 1; i >= 0; i-- {
		b, err := readAll(ctx, l.store, keys[i])
		if errors.Is(err, blob.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("ledger: damage notices: %w", err)
		}
		if n, ok := l.openNotice(keys[i], b); ok {
			return n, nil
		}
	}
	return nil, nil
}

func (l *Log) openNotice(key string, signed []byte) (*Notice, bool) {
	n, err := note.Open(signed, note.VerifierList(l.key.Verifier))
	if err != nil {
		return nil, false
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 || lines[0] != noticeHeader {
		return nil, false
	}
	t, err := time.Parse(timeLayout, strings.TrimPrefix(lines[1], "time "))
	if err != nil {
		return nil, false
	}
	out := &Notice{Key: key, Time: t, Damaged: lines[2] == "state damaged"}
	for _, line := range lines[3:] {
		if o, ok := strings.CutPrefix(line, "object "); ok {
			out.Objects = append(out.Objects, o)
		}
	}
	return out, true
}

type readiness struct {
	err error
	at  time.Time
}

// Ready says whether the log would take an append now: nil, or ErrDamaged naming
// the damage (or the store's error). Callers ask before they store what the entry
// will be about, so that nothing is stored that the ledger refuses to record. It
// looks at the store only when the log has not looked lately (recheckDamage).
func (l *Log) Ready(ctx context.Context) error {
	if l.key.Signer == nil {
		return nil // a reader: its appends fail with ErrReadOnly anyway
	}
	if r := l.ready.Load(); r != nil && time.Since(r.at) < recheckDamage {
		return r.err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(ctx); err != nil {
		return err
	}
	return l.damage
}

// appendable checks, before anything is appended, what the log can check of its
// end at every load (beyond lists the batches after the latest checkpoint), and
// the latest damage notice. Called with mu held, after the latest checkpoint is
// loaded.
func (l *Log) appendable(ctx context.Context, beyond []int64) error {
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("ledger: %w: %s; nothing is appended or signed until it is restored from a copy (gongshi audit names every damaged object)", ErrDamaged, fmt.Sprintf(format, args...))
	}
	if len(beyond) > 0 && beyond[0] != l.size {
		return damaged("the batch after the latest signed checkpoint (size %d) starts at %d", l.size, beyond[0])
	}
	// Every batch but the last has its checkpoint (a writer signs the batch it
	// completes before it appends another). Several beyond the latest one listed
	// are a log that grew since the listing, unless their checkpoints are gone.
	for i := 1; i < len(beyond); i++ {
		_, err := l.store.Stat(ctx, checkpointKey(beyond[i]))
		if errors.Is(err, blob.ErrNotFound) {
			return damaged("the batch %s has no signed checkpoint (%s), and another batch follows it", batchKey(beyond[i-1]), checkpointKey(beyond[i]))
		}
		if err != nil {
			return fmt.Errorf("ledger: load: %w", err)
		}
	}
	if len(beyond) > 0 && l.versions {
		// The last batch has no checkpoint yet: completing it signs it. A writer
		// stores every version before its entry, so a batch naming a version that
		// is not stored as it says is not a writer's.
		entries, err := l.readBatch(ctx, beyond[len(beyond)-1])
		if err != nil {
			return fmt.Errorf("ledger: load: %w", err)
		}
		if err := l.unsignedBatchStands(ctx, entries); err != nil {
			var se *storeError
			if errors.As(err, &se) {
				return fmt.Errorf("ledger: load: %w", err)
			}
			return damaged("the batch %s, beyond the latest signed checkpoint, %v: it is not signed", batchKey(beyond[len(beyond)-1]), err)
		}
	}
	if l.size > 0 {
		if err := l.batchEndsAt(ctx, l.size); err != nil {
			var se *storeError
			if errors.As(err, &se) {
				return fmt.Errorf("ledger: load: %w", err)
			}
			return damaged("%v", err)
		}
	}
	n, err := l.LatestNotice(ctx)
	if err != nil {
		return err
	}
	if n != nil && n.Damaged {
		return damaged("the audit of %s found %s", n.Time.Format(time.RFC3339), strings.Join(n.Objects, ", "))
	}
	return nil
}

// unsignedBatchStands checks the entries of a batch that no checkpoint covers
// yet: every entry that makes a version names one stored with that digest.
// Errors reading the store are *storeError.
func (l *Log) unsignedBatchStands(ctx context.Context, entries [][]byte) error {
	for _, e := range entries {
		ev, err := ParseEntry(e)
		if err != nil {
			return fmt.Errorf("holds an entry that is not in the ledger's form (%v)", err)
		}
		if ev.Kind != archive.EventFile && ev.Kind != archive.EventCreate && ev.Kind != archive.EventNewVersion {
			continue
		}
		kind, id := ev.Ref()
		key := archive.VersionKey(kind, id, ev.Version)
		b, err := readAll(ctx, l.store, key)
		switch {
		case errors.Is(err, blob.ErrNotFound):
			return fmt.Errorf("names %s, which is not stored", key)
		case err != nil:
			return &storeError{fmt.Errorf("%s: %w", key, err)}
		case sha256.Sum256(b) != ev.RecordDigest:
			return fmt.Errorf("names %s with SHA-256 %s, which is not what is stored", key, ev.RecordDigest)
		}
	}
	return nil
}

// batchEndsAt checks that the entries below n are in batches as far as the last
// one: a batch ends exactly at entry n-1. Errors reading the store are
// *storeError.
func (l *Log) batchEndsAt(ctx context.Context, n int64) error {
	last := int64(-1)
	// Batches are at most a few thousand entries: the one holding entry n-1 is
	// in its directory of a thousand or one of the few before.
	for d := (n - 1) / 1000; d >= 0 && d >= (n-1)/1000-8 && last < 0; d-- {
		err := l.store.List(ctx, fmt.Sprintf("%s%013d/", batchPrefix, d), "", func(info blob.Info) error {
			if s, ok := parseIndexKey(info.Key, batchPrefix); ok && s <= n-1 {
				last = max(last, s)
			}
			return nil
		})
		if err != nil {
			return &storeError{fmt.Errorf("list batches: %w", err)}
		}
	}
	if last < 0 {
		return fmt.Errorf("entries below %d, which the latest signed checkpoint covers, are in no batch", n)
	}
	b, err := readAll(ctx, l.store, batchKey(last))
	if errors.Is(err, blob.ErrNotFound) {
		return fmt.Errorf("the batch %s was removed", batchKey(last))
	}
	if err != nil {
		return &storeError{fmt.Errorf("batch %d: %w", last, err)}
	}
	entries, good := decodePrefix(b)
	switch {
	case good != len(b):
		return fmt.Errorf("the batch %s holds %d bytes after its entries that are not entries", batchKey(last), len(b)-good)
	case last+int64(len(entries)) != n:
		return fmt.Errorf("the last batch before the latest signed checkpoint (size %d), %s, ends at entry %d", n, batchKey(last), last+int64(len(entries))-1)
	}
	return nil
}
