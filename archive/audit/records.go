package audit

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// checkRecords checks every record version: it decodes, is in the ledger, and is
// what its entry says; and every ledger entry's record version exists. It collects
// which records name which content, for the content phase.
func (r *run) checkRecords(ctx context.Context) error {
	var infos []archive.RecordVersionInfo
	if err := r.o.Archive.WalkRecordVersions(ctx, "", func(v archive.RecordVersionInfo) error {
		infos = append(infos, v)
		return nil
	}); err != nil {
		return fmt.Errorf("audit: records: %w", err)
	}
	// Record versions are read a group at a time on parallel readers (on S3 each
	// is a round trip), and checked in order.
	const group = 256
	for start := 0; start < len(infos); start += group {
		vs := infos[start:min(start+group, len(infos))]
		raw, err := r.readRecords(ctx, vs)
		if err != nil {
			return err
		}
		for i, v := range vs {
			r.checkRecord(v, raw[i])
		}
	}
	r.missingRecords()
	r.explainHoles()
	return nil
}

// explainHoles adds to the findings of lost ledger batches which record
// versions had their entries there (their lookup keys say so): those are not
// failures of their own.
func (r *run) explainHoles() {
	if len(r.lostVersions) == 0 {
		return
	}
	names := r.lostVersions
	more := ""
	if len(names) > 5 {
		names, more = names[:5], fmt.Sprintf(" and %d more", len(r.lostVersions)-5)
	}
	for i := range r.failures {
		if r.failures[i].Kind == ledger.BatchMissing {
			r.failures[i].Detail += fmt.Sprintf("; the lookup keys say they held the entries of %d stored version(s): %s%s",
				len(r.lostVersions), strings.Join(names, ", "), more)
		}
	}
}

func (r *run) readRecords(ctx context.Context, vs []archive.VersionInfo) ([][]byte, error) {
	return r.readVersions(ctx, vs, r.o.Archive.RecordVersionBytes)
}

// readVersions reads the stored versions vs on parallel readers; one removed
// since the listing reads as nil (reported as missing if its entry says so).
func (r *run) readVersions(ctx context.Context, vs []archive.VersionInfo, get func(context.Context, string, int) ([]byte, error)) ([][]byte, error) {
	raw := make([][]byte, len(vs))
	if err := parallel.For(ctx, len(vs), 2*r.o.Workers, func(ctx context.Context, i int) error {
		b, err := get(ctx, vs[i].ID, vs[i].Version)
		if errors.Is(err, archive.ErrNotFound) {
			return nil
		}
		raw[i] = b
		return err
	}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return raw, nil
}

func (r *run) checkRecord(v archive.RecordVersionInfo, b []byte) {
	if b == nil {
		return
	}
	r.rep.RecordVersions++
	vk := versionKey{v.ID, v.Version}
	r.seen[vk] = true
	sum := archive.Hash(sha256.Sum256(b))
	seen := ledger.Seen(b)
	r.recSeen[vk] = seen
	le, inLedger := r.created[vk]
	rec, derr := archive.DecodeRecord(b)
	f := Failure{Key: v.Key, Record: v.ID, Version: v.Version, Object: v.Key, Seen: seen}
	switch {
	case derr != nil || rec.ID != v.ID || rec.Version != v.Version:
		f.Kind = RecordAltered
		f.Detail = fmt.Sprintf("the record version cannot be read as stored: %v", derr)
		if derr == nil {
			f.Detail = fmt.Sprintf("the record version stored under %s says it is record %s version %d", v.Key, rec.ID, rec.Version)
		}
		if inLedger {
			f.Want = fmt.Sprintf("the record version whose SHA-256 is %s (ledger entry %d)", le.ev.RecordDigest, le.index)
		}
		r.altered[vk] = true
		r.add(f, eventFrom(le, inLedger, r.st))
		return
	case inLedger && le.failure >= 0:
		// Its entry was replaced (reported by the ledger's check): the failure
		// is the record version's, with the digests of the record as stored.
		ev, _ := archive.RecordEvent(archive.EventFixityFailure, rec)
		ev.Time = r.st.Started
		r.failures[le.failure].event = &ev
	case !inLedger && r.lost[lostKey(archive.SubjectRecord, v.ID, v.Version)]:
		// Its entry is in a batch that is gone: the hole is the finding.
		r.lostVersions = append(r.lostVersions, fmt.Sprintf("record %s version %d", v.ID, v.Version))
	case !inLedger:
		ev, _ := archive.RecordEvent(archive.EventFixityFailure, rec)
		ev.Time = r.st.Started
		f.Kind, f.young = NotInLedger, r.young(rec.FiledAt)
		f.Detail = "the record version has no entry in the ledger"
		if lost := r.lostEntries(); lost != "" {
			f.Detail += "; " + lost + ": its entry may have been among them"
		}
		f.Want = fmt.Sprintf("a ledger entry of kind file, new_version or dispose for record %s version %d with record-sha256 %s", v.ID, v.Version, sum)
		r.add(f, &ev)
	case le.ev.RecordDigest != sum:
		f.Kind = RecordAltered
		f.Detail = fmt.Sprintf("the stored record version has SHA-256 %s, its ledger entry %d says %s", sum, le.index, le.ev.RecordDigest)
		f.Want = fmt.Sprintf("the record version whose SHA-256 is %s", le.ev.RecordDigest)
		r.altered[vk] = true
		r.add(f, eventFrom(le, true, r.st))
	case le.ev.Content != rec.Content:
		f.Kind = RecordAltered
		f.Detail = fmt.Sprintf("the record version's content digests (SHA-256 %s, SM3 %s, %d bytes) differ from those of its ledger entry %d (SHA-256 %s, SM3 %s, %d bytes)",
			rec.Content.SHA256, rec.Content.SM3, rec.Content.Size, le.index, le.ev.Content.SHA256, le.ev.Content.SM3, le.ev.Content.Size)
		f.Want = fmt.Sprintf("content SHA-256 %s, SM3 %s, %d bytes", le.ev.Content.SHA256, le.ev.Content.SM3, le.ev.Content.Size)
		r.altered[vk] = true
		r.add(f, eventFrom(le, true, r.st))
	}
	r.refs[rec.Content.SHA256] = append(r.refs[rec.Content.SHA256], ref{v.ID, v.Version, rec.Content, sum, ""})
	r.versions[v.ID] = append(r.versions[v.ID], rec)
	if rec.Disposal != nil {
		r.disposed[v.ID] = rec
	}
}

// lostEntries says which entries of the ledger are in no batch, "" when none.
func (r *run) lostEntries() string {
	if r.lcheck == nil {
		return ""
	}
	var holes []string
	for _, f := range r.lcheck.Findings {
		if f.Kind == ledger.BatchMissing {
			holes = append(holes, f.Detail)
		}
	}
	if len(holes) == 0 {
		return ""
	}
	return "the ledger has lost entries (" + holes[0] + ")"
}

// unseen returns the versions with an entry that were not seen stored, in the
// order of their entries.
func unseen[K comparable](entries map[K]ledgerEntry, seen map[K]bool) []K {
	var gone []K
	for k := range entries {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return entries[gone[i]].index < entries[gone[j]].index })
	return gone
}

// missingRecords names every record version that a ledger entry names and the
// store does not hold.
func (r *run) missingRecords() {
	for _, vk := range unseen(r.created, r.seen) {
		le := r.created[vk]
		key := archive.RecordVersionKey(vk.id, vk.version)
		r.add(Failure{Kind: RecordMissing, Key: key, Record: vk.id, Version: vk.version, Object: key, Seen: ledger.Absent,
			Detail: fmt.Sprintf("ledger entry %d names this record version, which is not in the store", le.index),
			Want:   fmt.Sprintf("the record version whose SHA-256 is %s", le.ev.RecordDigest)}, eventFrom(le, true, r.st))
	}
}

// recordsWith returns the stored versions of record id whose content is h.
func (r *run) recordsWith(id string, h archive.Hash) []archive.Record {
	return slices.DeleteFunc(slices.Clone(r.versions[id]), func(rec archive.Record) bool { return rec.Content.SHA256 != h })
}
