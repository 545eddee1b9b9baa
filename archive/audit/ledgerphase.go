package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// checkLedger checks the ledger's own objects (ledger.Log.Check, which writes and
// signs nothing) and collects the creation events of record versions.
func (r *run) checkLedger(ctx context.Context) error {
	if r.o.Ledger == nil {
		return nil
	}
	lc, err := r.o.Ledger.Check(ctx, ledger.CheckOptions{Now: func() time.Time { return r.now }, InFlight: r.o.InFlight,
		Entry: func(i int64, text []byte) error {
			r.rep.LedgerEntries++
			ev, err := ledger.ParseEntry(text)
			if err != nil {
				return nil // an altered entry: the check names it
			}
			subject, id := ev.Ref()
			r.subjects[i] = subjectVersion{subject, id, ev.Version}
			switch {
			case !isVersionEvent(subject, ev):
			case subject == archive.SubjectRecord:
				r.created[versionKey{id, ev.Version}] = ledgerEntry{index: i, ev: ev, failure: -1}
			default:
				r.versionEntries[subjectVersion{subject, id, ev.Version}] = ledgerEntry{index: i, ev: ev, failure: -1}
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("audit: ledger: %w", err)
	}
	r.lcheck = lc
	for _, e := range lc.Lost {
		r.lost[lostKey(e.Subject, e.ID, e.Version)] = true
	}
	r.rep.Ledger = lc
	r.rep.TreeSize = lc.Checkpoint.Size
	for _, name := range lc.InFlight {
		r.rep.InFlight = append(r.rep.InFlight, Failure{Kind: ledger.CheckpointMissing, Key: name,
			Detail: "the last batch has no signed checkpoint yet: its writer is completing it"})
	}
	for i := range lc.Findings {
		lf := &lc.Findings[i]
		f := Failure{Kind: lf.Kind, Key: lf.Key, Detail: lf.Detail, Want: lf.Want, Derived: lf.Derived,
			Object: lf.Object, Seen: lf.Seen, ledger: lf}
		if sv, ok := r.subjects[lf.Index]; ok && lf.Kind == ledger.EntryAltered && sv.kind == archive.SubjectRecord {
			f.Record, f.Version = sv.id, sv.version
		}
		n := r.add(f, nil)
		if lf.Kind == ledger.EntryAltered {
			r.blame(lf.Index, lf.Index+1, n)
		}
	}
	// Entries that do not hash to a signed root, when the tiles could not say
	// which one was replaced: what differs between them and the versions is
	// the batch's finding.
	for _, sr := range lc.Suspect {
		for i, f := range r.failures {
			if f.ledger != nil && f.Kind == ledger.BatchAltered && f.ledger.Index >= sr[0] && f.ledger.Index < sr[1] {
				r.blame(f.ledger.Index, min(sr[1], f.ledger.End), i)
			}
		}
	}
	return nil
}

func lostKey(k archive.SubjectKind, id string, n int) string {
	return fmt.Sprintf("%s %s %d", k, id, n)
}

// blame links the creation entries in [from, to) to the ledger failure n: a
// version that differs from such an entry is that failure, not one of its own.
func (r *run) blame(from, to int64, n int) {
	for i := from; i < to; i++ {
		sv, ok := r.subjects[i]
		if !ok {
			continue
		}
		vk := versionKey{sv.id, sv.version}
		if le, ok := r.created[vk]; ok && sv.kind == archive.SubjectRecord && le.index == i {
			le.failure = n
			r.created[vk] = le
		}
		if le, ok := r.versionEntries[sv]; ok && le.index == i {
			le.failure = n
			r.versionEntries[sv] = le
		}
	}
}

// eventFrom is the fixity_failure event of a record version, with the digests its
// ledger entry gives; nil when there is no entry to take them from.
func eventFrom(le ledgerEntry, ok bool, st state) *archive.Event {
	if !ok {
		return nil
	}
	ev := le.ev
	ev.Kind, ev.Time = archive.EventFixityFailure, st.Started
	// A fixity failure is the audit's finding, not the filer's change: an event
	// of the first form, as RecordEvent makes for kinds other than the version's.
	ev.Subject, ev.SubjectID, ev.Actor, ev.Reason = "", "", "", archive.Hash{}
	return &ev
}
