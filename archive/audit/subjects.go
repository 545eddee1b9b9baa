package audit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// Failure kinds of the versions of subjects other than records (projects,
// publications, and the kinds later issues add): <kind>_altered, <kind>_missing,
// <kind>_not_in_ledger. Those of projects:
var (
	ProjectAltered     = SubjectAltered(archive.SubjectProject)
	ProjectMissing     = SubjectMissing(archive.SubjectProject)
	ProjectNotInLedger = SubjectNotInLedger(archive.SubjectProject)
)

// SubjectAltered is the kind of failure of a version of k that differs from its
// ledger entry.
func SubjectAltered(k archive.SubjectKind) string { return string(k) + "_altered" }

// SubjectMissing is the kind of failure of a version of k that a ledger entry
// names and the store does not hold.
func SubjectMissing(k archive.SubjectKind) string { return string(k) + "_missing" }

// SubjectNotInLedger is the kind of failure of a stored version of k without a
// ledger entry.
func SubjectNotInLedger(k archive.SubjectKind) string { return string(k) + "_not_in_ledger" }

// subjectVersion names a version of any subject.
type subjectVersion struct {
	kind    archive.SubjectKind
	id      string
	version int
}

func (sv subjectVersion) String() string {
	return fmt.Sprintf("%s %s version %d", sv.kind, sv.id, sv.version)
}

// isVersionEvent reports whether the event of a subject of kind k is the one of a
// version (its creation or a later version), as opposed to an event about it.
func isVersionEvent(k archive.SubjectKind, ev archive.Event) bool {
	if k == archive.SubjectRecord {
		return ev.Kind.StoresRecordVersion()
	}
	return ev.Kind != archive.EventFixityFailure
}

// checkSubjects checks the stored versions of every kind of subject but records
// (checkRecords) against the ledger: each version's SHA-256 is the one its entry
// says, and each version the ledger names is stored. A project version must
// also decode as the project and version its key says.
func (r *run) checkSubjects(ctx context.Context) error {
	for _, k := range archive.SubjectKinds() {
		if k == archive.SubjectRecord {
			continue
		}
		if err := r.checkSubject(ctx, k); err != nil {
			return err
		}
	}
	for _, sv := range unseen(r.versionEntries, r.versionSeen) {
		le := r.versionEntries[sv]
		key := archive.VersionKey(sv.kind, sv.id, sv.version)
		r.add(Failure{Kind: SubjectMissing(sv.kind), Key: key, Object: key, Seen: ledger.Absent,
			Detail: fmt.Sprintf("ledger entry %d names %s, which is not in the store", le.index, sv),
			Want:   fmt.Sprintf("the version whose SHA-256 is %s", le.ev.RecordDigest)}, subjectEvent(sv, le.ev.RecordDigest, r.st))
	}
	return nil
}

func (r *run) checkSubject(ctx context.Context, k archive.SubjectKind) error {
	prefix := k.Prefix()
	var infos []blob.Info
	var svs []subjectVersion
	if err := r.o.Store.List(ctx, prefix, "", func(info blob.Info) error {
		id, file, ok := strings.Cut(strings.TrimPrefix(info.Key, prefix), "/")
		n, err := strconv.Atoi(strings.TrimSuffix(file, ".json"))
		if ok && err == nil && n > 0 && k.ValidID(id) && archive.VersionKey(k, id, n) == info.Key {
			infos = append(infos, info)
			svs = append(svs, subjectVersion{k, id, n})
		}
		return nil
	}); err != nil {
		return fmt.Errorf("audit: %s versions: %w", k, err)
	}
	raw := make([][]byte, len(infos))
	if err := parallel.For(ctx, len(infos), 2*r.o.Workers, func(ctx context.Context, i int) error {
		b, err := readObject(ctx, r.o.Store, infos[i].Key, maxVersionSize)
		if errors.Is(err, blob.ErrNotFound) {
			return nil // removed since the listing: missing, if its entry says so
		}
		raw[i] = b
		return err
	}); err != nil {
		return fmt.Errorf("audit: %s versions: %w", k, err)
	}
	for i, info := range infos {
		if raw[i] != nil {
			r.checkVersion(svs[i], info, raw[i])
		}
	}
	return nil
}

// maxVersionSize bounds what is read of a version: canonical JSON of metadata,
// far smaller; an object larger than this is damaged anyway.
const maxVersionSize = 16 << 20

func readObject(ctx context.Context, st blob.Store, key string, limit int64) ([]byte, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}

func (r *run) checkVersion(sv subjectVersion, info blob.Info, b []byte) {
	r.rep.Versions[string(sv.kind)]++
	if sv.kind == archive.SubjectProject {
		r.rep.ProjectVersions++
	}
	r.versionSeen[sv] = true
	sum := archive.Hash(sha256.Sum256(b))
	le, inLedger := r.versionEntries[sv]
	f := Failure{Key: info.Key, Object: info.Key, Seen: ledger.Seen(b)}
	if sv.kind == archive.SubjectProject {
		if p, err := archive.DecodeProject(b); err != nil || p.Code != sv.id || p.Version != sv.version {
			f.Kind = SubjectAltered(sv.kind)
			f.Detail = fmt.Sprintf("the project version cannot be read as stored: %v", err)
			if err == nil {
				f.Detail = fmt.Sprintf("the version stored under %s says it is project %s version %d", info.Key, p.Code, p.Version)
			}
			var ev *archive.Event
			if inLedger {
				f.Want = fmt.Sprintf("the project version whose SHA-256 is %s (ledger entry %d)", le.ev.RecordDigest, le.index)
				ev = subjectEvent(sv, le.ev.RecordDigest, r.st)
			}
			r.add(f, ev)
			return
		}
	}
	// A version that names a content object (a household table's CSV) is
	// checked as a record is: the content must be stored with those digests.
	var named struct {
		Content *archive.Digests `json:"content"`
	}
	if json.Unmarshal(b, &named) == nil && named.Content != nil && !named.Content.SHA256.IsZero() {
		r.refs[named.Content.SHA256] = append(r.refs[named.Content.SHA256], ref{sv.id, sv.version, *named.Content, sum, sv.kind})
	}
	switch {
	case inLedger && le.failure >= 0:
		r.failures[le.failure].event = subjectEvent(sv, sum, r.st) // its entry is the finding
	case !inLedger && r.lost[lostKey(sv.kind, sv.id, sv.version)]:
		r.lostVersions = append(r.lostVersions, sv.String())
	case !inLedger:
		f.Kind, f.young = SubjectNotInLedger(sv.kind), r.young(info.ModTime)
		f.Detail = fmt.Sprintf("%s has no entry in the ledger", sv)
		if sv.kind == archive.SubjectProject {
			f.Detail += " (gongshi ledger backfill appends the entries of versions made before projects were ledgered)"
		}
		f.Want = fmt.Sprintf("a ledger entry for %s with version-sha256 %s", sv, sum)
		r.add(f, subjectEvent(sv, sum, r.st))
	case le.ev.RecordDigest != sum:
		f.Kind = SubjectAltered(sv.kind)
		f.Detail = fmt.Sprintf("the stored version has SHA-256 %s, its ledger entry %d says %s", sum, le.index, le.ev.RecordDigest)
		f.Want = fmt.Sprintf("the version whose SHA-256 is %s", le.ev.RecordDigest)
		r.add(f, subjectEvent(sv, le.ev.RecordDigest, r.st))
	}
}

// subjectEvent is the fixity_failure event of a version, named as the audit's
// (the system's) finding.
func subjectEvent(sv subjectVersion, digest archive.Hash, st state) *archive.Event {
	return &archive.Event{Kind: archive.EventFixityFailure, Subject: sv.kind, SubjectID: sv.id, Version: sv.version,
		RecordDigest: digest, Actor: archive.ActorSystem, Time: st.Started}
}
