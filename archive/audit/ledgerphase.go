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
			vk := versionKey{ev.RecordID, ev.Version}
			r.subjects[i] = vk
			if subject, _ := ev.Ref(); subject == archive.SubjectRecord &&
				(ev.Kind == archive.EventFile || ev.Kind == archive.EventNewVersion) {
				r.created[vk] = ledgerEntry{index: i, ev: ev, failure: -1}
			}
			return nil
		}})
	if err != nil {
		return fmt.Errorf("audit: ledger: %w", err)
	}
	r.lcheck = lc
	for _, e := range lc.Lost {
		if e.Subject == archive.SubjectRecord {
			r.lost[versionKey{e.ID, e.Version}] = true
		}
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
		if lf.Kind == ledger.EntryAltered {
			if vk, ok := r.subjects[lf.Index]; ok {
				f.Record, f.Version = vk.id, vk.version
			}
		}
		n := r.add(f, nil)
		if vk, ok := r.subjects[lf.Index]; ok && lf.Kind == ledger.EntryAltered {
			if le, ok := r.created[vk]; ok && le.index == lf.Index {
				le.failure = n
				r.created[vk] = le
			}
		}
	}
	return nil
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
