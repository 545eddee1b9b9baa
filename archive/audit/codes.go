package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// codeMarkerPrefix is where the archive marks which record carries each
// archival code (archive.CodeMarkerKey): derived from the record versions, and
// what makes the archive refuse a code another record carries.
const codeMarkerPrefix = "by-code/"

// codeFix is how an archival-code marker is repaired: stored for rec (after
// removing the one there, when replace), or removed.
type codeFix struct {
	key     string
	rec     archive.Record
	remove  bool
	replace bool
}

// checkCodeMarkers checks the archival-code markers against the record
// versions: every code a record carries is marked for that record, and every
// marker names a record that carries its code. A missing or wrong marker is no
// damage to the evidence, but while it is missing another record can be given
// the code, and while it names another record the code's own record cannot be
// corrected: both are derived failures, which Repair rebuilds. A marker of a
// record that is not stored is what a filing interrupted after its marker
// leaves (its re-run finds the marker its own): a notice.
func (r *run) checkCodeMarkers(ctx context.Context) error {
	// The key of each code carried, and the records that carry it (more than
	// one is archival_code_duplicate, found by the claims' check).
	want := map[string][]archive.Record{}
	for _, id := range slices.Sorted(mapKeys(r.versions)) {
		for _, rec := range r.versions[id] {
			if rec.ArchivalCode == "" || r.altered[versionKey{id, rec.Version}] {
				continue
			}
			key, err := archive.CodeMarkerKey(rec.ArchivalCode)
			if err != nil {
				continue // the validator refused such codes at filing: record_altered if it changed
			}
			if !slices.ContainsFunc(want[key], func(o archive.Record) bool { return o.ID == id }) {
				want[key] = append(want[key], rec)
			}
		}
	}
	have := map[string]bool{}
	var infos []blob.Info
	if err := r.o.Store.List(ctx, codeMarkerPrefix, "", func(info blob.Info) error {
		infos = append(infos, info)
		return nil
	}); err != nil {
		return fmt.Errorf("audit: archival-code markers: %w", err)
	}
	raw := make([][]byte, len(infos))
	if err := parallel.For(ctx, len(infos), 2*r.o.Workers, func(ctx context.Context, i int) error {
		b, err := readObject(ctx, r.o.Store, infos[i].Key, 4096)
		if errors.Is(err, blob.ErrNotFound) {
			return nil // removed since the listing
		}
		raw[i] = b
		return err
	}); err != nil {
		return fmt.Errorf("audit: archival-code markers: %w", err)
	}
	for i, info := range infos {
		b := raw[i]
		if b == nil {
			continue
		}
		have[info.Key] = true
		r.rep.CodeMarkers++
		holder := strings.TrimSpace(string(b))
		seen := ledger.Seen(b)
		carriers := want[info.Key]
		base := Failure{Key: info.Key, Derived: true, Object: info.Key, Seen: seen}
		switch {
		case r.alteredRecord(holder):
			// its record is altered: record_altered says so, the marker cannot say more
		case len(carriers) > 0 && slices.ContainsFunc(carriers, func(o archive.Record) bool { return o.ID == holder }):
			// as it should be
		case len(carriers) > 0:
			f := base
			f.Kind, f.Record = CodeMarkerAltered, carriers[0].ID
			f.Detail = fmt.Sprintf("the marker of the archival code %s names %q, but record %s carries the code: the archive would refuse that record's correction", carriers[0].ArchivalCode, holder, carriers[0].ID)
			f.Want = fmt.Sprintf("the marker naming record %s", carriers[0].ID)
			f.code = &codeFix{key: info.Key, rec: carriers[0], replace: true}
			r.add(f, nil)
		case archive.ValidRecordID(holder) && r.versions[holder] == nil:
			if !r.young(info.ModTime) {
				r.rep.Notices = append(r.rep.Notices, Failure{Kind: CodeMarkerOrphan, Key: info.Key, Record: holder,
					Detail: fmt.Sprintf("an archival-code marker of record %s, which is not stored (marker stored %s): a filing interrupted before its record was stored; re-running it files it with this code", holder, info.ModTime.UTC().Format(time.RFC3339))})
			}
		default:
			f := base
			f.Kind = CodeMarkerExtra
			f.Detail = fmt.Sprintf("the object says the code under %s is carried by %q, and no stored record carries that code: the archive would refuse the code to the filing it belongs to", info.Key, holder)
			if archive.ValidRecordID(holder) {
				f.Record = holder
			}
			f.Want = "no object"
			f.code = &codeFix{key: info.Key, remove: true}
			r.add(f, nil)
		}
	}
	for _, key := range slices.Sorted(mapKeys(want)) {
		if have[key] {
			continue
		}
		rec := want[key][0]
		r.add(Failure{Kind: CodeMarkerMissing, Key: key, Record: rec.ID, Version: rec.Version, Derived: true, Object: key, Seen: ledger.Absent,
			Detail: fmt.Sprintf("record %s carries the archival code %s, and the code's marker is not stored: the archive would give the code to another record", rec.ID, rec.ArchivalCode),
			Want:   fmt.Sprintf("the marker naming record %s (its bytes: the record id and a newline)", rec.ID),
			code:   &codeFix{key: key, rec: rec}}, nil)
	}
	return nil
}

// alteredRecord reports whether a version of record id was found altered.
func (r *run) alteredRecord(id string) bool {
	for vk := range r.altered {
		if vk.id == id {
			return true
		}
	}
	return false
}

func (r *run) repairCodeMarker(ctx context.Context, c *codeFix) (string, error) {
	if c.remove || c.replace {
		if err := r.o.Store.Delete(ctx, c.key); err != nil {
			return "", fmt.Errorf("remove %s: %w", c.key, err)
		}
		if c.remove {
			return "removed " + c.key, nil
		}
	}
	if err := r.o.Archive.PutCodeMarker(ctx, c.rec); err != nil {
		return "", err
	}
	return fmt.Sprintf("rebuilt the archival-code marker %s from record %s", c.key, c.rec.ID), nil
}
