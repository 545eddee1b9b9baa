package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// secondLook confirms every failure by a second look, after all the checks: the
// object must still be as the first look found it, and a record version without
// a ledger entry must not have gained one among the entries appended since the
// ledger was read. What is not confirmed was a writer at work: it goes to
// Report.Unconfirmed, or, for a young record version still without its entry,
// to Report.InFlight.
func (r *run) secondLook(ctx context.Context) error {
	if r.o.BeforeSecondLook != nil {
		r.o.BeforeSecondLook()
	}
	// The versions whose entries were appended since the ledger was read.
	entered := map[string]bool{}
	if r.o.Ledger != nil && r.lcheck != nil && (r.has(NotInLedger) || r.has(ProjectNotInLedger)) {
		err := r.o.Ledger.EntriesFrom(ctx, r.lcheck.NextBatch, func(_ int64, text []byte) error {
			if ev, err := ledger.ParseEntry(text); err == nil && ev.Kind != archive.EventFixityFailure {
				kind, id := ev.Ref()
				entered[fmt.Sprintf("%s %s %d", kind, id, ev.Version)] = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("audit: second look: %w", err)
		}
	}
	kept := r.failures[:0:0]
	for _, f := range r.failures {
		switch {
		case f.Kind == NotInLedger && entered[fmt.Sprintf("%s %s %d", archive.SubjectRecord, f.Record, f.Version)],
			f.Kind == ProjectNotInLedger && entered[fmt.Sprintf("%s %s %d", archive.SubjectProject, f.event.SubjectID, f.event.Version)]:
			continue // its entry was appended while the audit looked
		}
		same, err := confirm(ctx, r.o.Store, f.Object, f.Seen)
		if err != nil {
			r.rep.ReadErrors = append(r.rep.ReadErrors, ReadError{Key: f.Object, Detail: "the second look could not read it: " + err.Error()})
			f.Detail += "; the second look could not read it"
			r.rep.Unconfirmed = append(r.rep.Unconfirmed, f)
			continue
		}
		switch {
		case !same:
			f.Detail += "; the second look found the object changed: a writer at work"
			r.rep.Unconfirmed = append(r.rep.Unconfirmed, f)
		case f.young:
			f.Detail += fmt.Sprintf("; it is younger than %s: a filing in flight", r.o.InFlight)
			r.rep.InFlight = append(r.rep.InFlight, f)
		default:
			kept = append(kept, f)
		}
	}
	r.failures = kept
	return nil
}

func (r *run) has(kind string) bool {
	for _, f := range r.failures {
		if f.Kind == kind {
			return true
		}
	}
	return false
}

// confirm reports whether the object under key is still as seen: ledger.Absent,
// ledger.Present, or the SHA-256 of its bytes (ledger.Seen). It reads, as the
// first look did (a Stat could answer otherwise than a read of a failing
// object). A failure without an object to look at is confirmed.
func confirm(ctx context.Context, st blob.Store, key, seen string) (bool, error) {
	if key == "" || seen == "" {
		return true, nil
	}
	rc, err := st.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return seen == ledger.Absent, nil
	}
	if err != nil {
		return false, err
	}
	if seen == ledger.Absent || seen == ledger.Present {
		rc.Close()
		return seen == ledger.Present, nil
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return false, err
	}
	return "sha256:"+hex.EncodeToString(h.Sum(nil)) == seen, nil
}

// appendBackoff is the first pause before the audit appends its events again,
// when other writers kept taking the ledger's next index (ledger.ErrConflict).
const appendBackoff = 100 * time.Millisecond

// record appends the confirmed failures that concern record versions to the
// ledger, all in one batch; or, when the ledger itself is damaged, appends nothing
// and stores a damage notice, which makes the ledger refuse appends until an
// audit finds it whole again.
func (r *run) record(ctx context.Context) error {
	var blocking []ledger.Finding
	for _, f := range r.failures {
		if f.ledger != nil && f.ledger.Blocks {
			blocking = append(blocking, *f.ledger)
		}
	}
	if len(blocking) > 0 {
		r.rep.LedgerDamaged = true
		if r.o.Ledger != nil {
			key, err := r.o.Ledger.RecordDamage(ctx, r.st.Started, blocking)
			if err != nil {
				r.rep.LedgerError = err.Error()
			}
			r.rep.DamageNotice = key
		}
		return nil
	}
	if r.o.Ledger != nil && r.lcheck != nil && !r.lcheck.Damaged() {
		key, err := r.o.Ledger.RecordWhole(ctx, r.st.Started)
		if err != nil && !errors.Is(err, ledger.ErrReadOnly) {
			r.rep.LedgerError = err.Error()
			return nil
		}
		r.rep.WholeNotice = key
	}
	if r.o.Journal == nil {
		return nil
	}
	var events []archive.Event
	var which []int
	for i, f := range r.failures {
		if f.event != nil {
			events = append(events, *f.event)
			which = append(which, i)
		}
	}
	if len(events) == 0 {
		return nil
	}
	// Their time is the run's start, so that a resumed run appends each one once
	// (and a retry too). Writers that keep winning the race for the next index
	// are waited out a little.
	idx, err := r.o.Journal.AppendAll(ctx, events)
	for pause := appendBackoff; errors.Is(err, ledger.ErrConflict) && pause < 16*appendBackoff; pause *= 2 {
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		idx, err = r.o.Journal.AppendAll(ctx, events)
	}
	if err != nil {
		r.rep.LedgerError = err.Error()
		return nil
	}
	for k, i := range which {
		r.failures[i].LedgerIndex = &idx[k]
	}
	return nil
}
