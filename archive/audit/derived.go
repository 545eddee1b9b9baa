package audit

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// markerFix is how a content marker is repaired: stored for content h and
// record id, or removed.
type markerFix struct {
	key    string
	h      archive.Hash
	id     string
	remove bool
}

// checkMarkers checks the content markers (by-content/…) against the record
// versions: each version's content has the marker of its record, and each marker
// names a record that has that content in some version. Markers are listed
// after the records were read: a marker of a record stored since is young, and
// left alone.
func (r *run) checkMarkers(ctx context.Context) error {
	have := map[string]bool{}
	err := r.o.Archive.WalkContentMarkers(ctx, func(m archive.ContentMarker) error {
		r.rep.Markers++
		have[m.Key] = true
		switch {
		case m.Record == "":
			r.add(Failure{Kind: MarkerExtra, Key: m.Key, Derived: true, Object: m.Key, Seen: ledger.Present,
				Detail: "an object under by-content/ whose key is not that of a content marker", Want: "no object",
				marker: &markerFix{key: m.Key, remove: true}}, nil)
		case r.versions[m.Record] == nil:
			if !r.young(m.ModTime) {
				r.rep.Notices = append(r.rep.Notices, Failure{Kind: MarkerOrphan, Key: m.Key, Record: m.Record,
					Detail: fmt.Sprintf("a content marker of record %s, which is not stored (marker stored %s): a filing interrupted before its record was stored", m.Record, m.ModTime.UTC().Format(time.RFC3339))})
			}
		case len(r.recordsWith(m.Record, m.Content)) == 0:
			r.add(Failure{Kind: MarkerExtra, Key: m.Key, Record: m.Record, Derived: true, Object: m.Key, Seen: ledger.Present,
				Detail: fmt.Sprintf("the marker says record %s has the content %s, which none of its %d version(s) has", m.Record, m.Content, len(r.versions[m.Record])),
				Want:   "no object", marker: &markerFix{key: m.Key, remove: true}}, nil)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("audit: content markers: %w", err)
	}
	ids := make([]string, 0, len(r.versions))
	for id := range r.versions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		var done []archive.Hash
		for _, rec := range r.versions[id] {
			h := rec.Content.SHA256
			key := archive.ContentMarkerKey(h, id)
			if have[key] || slices.Contains(done, h) {
				continue
			}
			done = append(done, h)
			r.add(Failure{Kind: MarkerMissing, Key: key, Record: id, Version: rec.Version, Derived: true, Object: key, Seen: ledger.Absent,
				Detail: fmt.Sprintf("record %s version %d has the content %s, and its content marker is not stored: verify of the file would not find the record", id, rec.Version, h),
				Want:   "a content marker under this key (its bytes: the record id and a newline)",
				marker: &markerFix{key: key, h: h, id: id}}, nil)
		}
	}
	return nil
}

func (r *run) repairMarker(ctx context.Context, m *markerFix) (string, error) {
	if m.remove {
		if err := r.o.Store.Delete(ctx, m.key); err != nil {
			return "", fmt.Errorf("remove %s: %w", m.key, err)
		}
		return "removed " + m.key, nil
	}
	if err := r.o.Archive.PutContentMarker(ctx, m.h, m.id); err != nil {
		return "", err
	}
	return fmt.Sprintf("rebuilt the content marker %s from record %s", m.key, m.id), nil
}

// repair rebuilds the derived objects of the confirmed failures.
func (r *run) repair(ctx context.Context) error {
	if !r.o.Repair {
		return nil
	}
	for i := range r.failures {
		f := &r.failures[i]
		if !f.Derived {
			continue
		}
		var what string
		var err error
		switch {
		case f.ledger != nil:
			what, err = r.o.Ledger.Repair(ctx, *f.ledger)
		case f.marker != nil:
			what, err = r.repairMarker(ctx, f.marker)
		case f.code != nil:
			what, err = r.repairCodeMarker(ctx, f.code)
		default:
			continue
		}
		if err != nil {
			r.rep.RepairErrors = append(r.rep.RepairErrors, fmt.Sprintf("could not repair %s: %v", f.Key, err))
			continue
		}
		f.Repaired = what
		r.rep.Repairs = append(r.rep.Repairs, what)
	}
	return nil
}
