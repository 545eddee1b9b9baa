package audit

import (
	"context"
	"fmt"
	"sort"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// checkProjects checks every project version against its ledger entry
// (archive.VersionEvent is the event a stored version must have), and that every
// project version the ledger names is stored.
func (r *run) checkProjects(ctx context.Context) error {
	var infos []archive.VersionInfo
	if err := r.o.Archive.ProjectStore().Walk(ctx, "", func(v archive.VersionInfo) error {
		infos = append(infos, v)
		return nil
	}); err != nil {
		return fmt.Errorf("audit: projects: %w", err)
	}
	raw, err := r.readVersions(ctx, infos, r.o.Archive.ProjectVersionBytes)
	if err != nil {
		return err
	}
	seen := map[versionKey]bool{}
	for i, v := range infos {
		if raw[i] != nil {
			seen[versionKey{v.ID, v.Version}] = true
			r.checkProject(v, raw[i])
		}
	}
	var gone []versionKey
	for vk := range r.projectEntries {
		if !seen[vk] {
			gone = append(gone, vk)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return r.projectEntries[gone[i]].index < r.projectEntries[gone[j]].index })
	for _, vk := range gone {
		le := r.projectEntries[vk]
		key := r.o.Archive.ProjectStore().Key(vk.id, vk.version)
		r.add(Failure{Kind: ProjectMissing, Key: key, Object: key, Seen: ledger.Absent,
			Detail: fmt.Sprintf("ledger entry %d names version %d of project %s, which is not in the store", le.index, vk.version, vk.id),
			Want:   fmt.Sprintf("the project version whose SHA-256 is %s", le.ev.RecordDigest)}, projectEvent(le.ev, r.st))
	}
	return nil
}

func (r *run) checkProject(v archive.VersionInfo, b []byte) {
	r.rep.ProjectVersions++
	vk := versionKey{v.ID, v.Version}
	le, inLedger := r.projectEntries[vk]
	f := Failure{Key: v.Key, Object: v.Key, Seen: ledger.Seen(b)}
	p, err := archive.DecodeProject(b)
	switch {
	case err != nil || p.Code != v.ID || p.Version != v.Version:
		f.Kind = ProjectAltered
		f.Detail = fmt.Sprintf("the project version cannot be read as stored: %v", err)
		if err == nil {
			f.Detail = fmt.Sprintf("the version stored under %s says it is project %s version %d", v.Key, p.Code, p.Version)
		}
		var ev *archive.Event
		if inLedger {
			f.Want = fmt.Sprintf("the project version whose SHA-256 is %s (ledger entry %d)", le.ev.RecordDigest, le.index)
			ev = projectEvent(le.ev, r.st)
		}
		r.add(f, ev)
		return
	}
	want := archive.VersionEvent(archive.ProjectVersions, p, b)
	switch {
	case inLedger && le.failure >= 0:
		r.failures[le.failure].event = projectEvent(want, r.st) // its entry is the finding
	case !inLedger && r.lost[lostKey(archive.SubjectProject, v.ID, v.Version)]:
		r.lostVersions = append(r.lostVersions, fmt.Sprintf("project %s version %d", v.ID, v.Version))
	case !inLedger:
		f.Kind, f.young = ProjectNotInLedger, r.young(p.UpdatedAt)
		f.Detail = "the project version has no entry in the ledger (gongshi ledger backfill appends the entries of versions made before projects were ledgered)"
		f.Want = fmt.Sprintf("a ledger entry for project %s version %d with version-sha256 %s", v.ID, v.Version, want.RecordDigest)
		r.add(f, projectEvent(want, r.st))
	case le.ev.RecordDigest != want.RecordDigest:
		f.Kind = ProjectAltered
		f.Detail = fmt.Sprintf("the stored project version has SHA-256 %s, its ledger entry %d says %s", want.RecordDigest, le.index, le.ev.RecordDigest)
		f.Want = fmt.Sprintf("the project version whose SHA-256 is %s", le.ev.RecordDigest)
		r.add(f, projectEvent(le.ev, r.st))
	}
}

// projectEvent is the fixity_failure event of a project version, named as the
// audit's (the system's) finding.
func projectEvent(ev archive.Event, st state) *archive.Event {
	out := archive.Event{Kind: archive.EventFixityFailure, Subject: archive.SubjectProject, Version: ev.Version,
		RecordDigest: ev.RecordDigest, Actor: archive.ActorSystem, Time: st.Started}
	_, out.SubjectID = ev.Ref()
	return &out
}
