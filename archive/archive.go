package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Options configure an Archive. The zero value is usable.
type Options struct {
	// Now is the clock; nil means time.Now. Tests inject a fixed clock.
	Now func() time.Time
	// Catalogue is the document-type catalogue records are validated against; nil
	// means DefaultCatalogue().
	Catalogue *Catalogue
	// TempDir is where PutContent spools a stream whose digests are not yet known;
	// "" means os.TempDir().
	TempDir string
	// Journal, when not nil, records every version stored (the ledger): of
	// records, projects and every other kind of Versions. See CreateRecord for
	// the order of writes.
	Journal Journal
	// Actor is who makes the changes made through this Archive when a version
	// does not name its own (Project.Actor, Record.Actor): the gongshi command
	// sets ActorCLI; a server names each request's account in the version
	// itself. "" means ActorSystem.
	Actor Actor
	// Locks decides the storage locks of what is stored and the schedule kept
	// with each record (package retention implements it); nil stores everything
	// unlocked.
	Locks Locks
}

// Archive is the record store: projects and records as immutable JSON versions, and
// their content as deduplicated, content-addressed objects, in one blob.Store. It
// holds no state of its own beyond its configuration, so any number of Archives (in
// any number of processes) may share a store; create-once writes settle every race.
// It is safe for concurrent use.
type Archive struct {
	store     blob.Store
	now       func() time.Time
	cat       *Catalogue
	tempDir   string
	journalTo Journal
	actor     Actor
	locks     Locks
	// projectVersions and recordVersions store the versions of projects and
	// records (versions.go).
	projectVersions *Versions[Project]
	recordVersions  *Versions[Record]
	// projects holds the codes of projects seen to exist. Projects are never
	// removed, so an entry never goes stale, and filing a batch checks its project
	// once instead of once per record.
	projects sync.Map
	// recent holds content this archive stored or found lately (see storedRecently).
	recent sync.Map
}

// New returns an Archive over store.
func New(store blob.Store, opts Options) *Archive {
	a := &Archive{store: store, now: opts.Now, cat: opts.Catalogue, tempDir: opts.TempDir, journalTo: opts.Journal, actor: opts.Actor, locks: opts.Locks}
	if a.actor == "" {
		a.actor = ActorSystem
	}
	a.projectVersions = NewVersions(a, ProjectVersions)
	a.recordVersions = NewVersions(a, RecordVersions)
	if a.now == nil {
		a.now = time.Now
	}
	if a.cat == nil {
		a.cat = DefaultCatalogue()
	}
	return a
}

// Catalogue returns the catalogue records are validated against.
func (a *Archive) Catalogue() *Catalogue { return a.cat }

// Versions are stored as zero-padded decimal numbers so that the store's byte-ordered
// listing is also version order: projects/<code>/000001.json, records/<id>/000002.json.
// Six digits allow 999,999 corrections of one record, far beyond any real history.
const (
	versionDigits = 6
	maxVersion    = 999999
)

func versionName(n int) string { return fmt.Sprintf("%0*d.json", versionDigits, n) }

// parseVersionName returns n for "<n>.json" with exactly six digits, else 0.
func parseVersionName(name string) int {
	s, ok := strings.CutSuffix(name, ".json")
	if !ok || len(s) != versionDigits || !allDigits(s) {
		return 0
	}
	n, _ := strconv.Atoi(s)
	return n
}

func projectKey(code string, n int) string { return "projects/" + code + "/" + versionName(n) }
func recordPrefix(id string) string        { return "records/" + id + "/" }

// versions lists the version numbers stored under prefix, in ascending order. Keys
// under the prefix that are not version files are not versions and are skipped.
func (a *Archive) versions(ctx context.Context, prefix string) ([]int, error) {
	var out []int
	err := a.store.List(ctx, prefix, "", func(info blob.Info) error {
		rest := strings.TrimPrefix(info.Key, prefix)
		if n := parseVersionName(rest); n > 0 {
			out = append(out, n)
		}
		return nil
	})
	return out, err
}

// put creates key with the canonical bytes b. A taken key is blob.ErrExists.
// A deferred put is made durable by the next Sync (see journal).
func (a *Archive) put(ctx context.Context, key string, b []byte, deferred bool) error {
	return a.putWith(ctx, key, b, blob.PutOptions{Deferred: deferred})
}

// putWith is put of a deferred JSON object with the locks of opts.
func (a *Archive) putWith(ctx context.Context, key string, b []byte, opts blob.PutOptions) error {
	opts.Size, opts.ContentType = int64(len(b)), "application/json"
	_, err := a.store.Put(ctx, key, strings.NewReader(string(b)), opts)
	return err
}

// get reads the whole object under key, mapping the store's ErrNotFound to ours.
func (a *Archive) get(ctx context.Context, key string) ([]byte, error) {
	rc, err := a.store.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// ---- projects ----

// actorOf is the actor of a change: the one the version names, else the archive's.
func (a *Archive) actorOf(v Actor) Actor {
	if v != "" {
		return v
	}
	return a.actor
}

// CreateProject stores version 1 of a new project, ledgered, and returns it as
// stored. The archive sets Version, CreatedAt and UpdatedAt, and Actor when p
// leaves it empty. A taken code is ErrProjectExists (after the stored version 1's
// ledger entry is completed, should a crash have cut it off); a project that breaks
// a rule is ErrInvalid (a *ValidationError).
func (a *Archive) CreateProject(ctx context.Context, p Project) (Project, error) {
	now := normTime(a.now())
	p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
	p.Actor = a.actorOf(p.Actor)
	if err := ValidateProject(p, now); err != nil {
		return Project{}, fmt.Errorf("archive: create project %s: %w", p.Code, err)
	}
	if _, err := a.projectVersions.put(ctx, p); err != nil {
		if errors.Is(err, ErrVersionExists) {
			return Project{}, fmt.Errorf("archive: create project %s: %w", p.Code, ErrProjectExists)
		}
		return Project{}, fmt.Errorf("archive: create project %s: %w", p.Code, err)
	}
	return p, nil
}

// CorrectProject stores version base+1 of project code, ledgered: p, with the
// reason for the change. base must be the latest version: when base+1 already
// exists another correction came first, and the result is ErrVersionExists (read
// the latest, redo the change on it, and try again). The code and creation time
// cannot change; Actor is set when p leaves it empty.
func (a *Archive) CorrectProject(ctx context.Context, code string, base int, p Project, reason string) (Project, error) {
	prev, err := a.ProjectVersion(ctx, code, base)
	if err != nil {
		return Project{}, fmt.Errorf("archive: correct project %s: %w", code, err)
	}
	if base >= maxVersion {
		return Project{}, fmt.Errorf("archive: correct project %s: version %d is the last possible: %w", code, base, ErrInvalid)
	}
	if p.Code == "" {
		p.Code = code
	}
	var ps problems
	if p.Code != code {
		ps.add("code", fmt.Sprintf("a correction of %s cannot change the code to %s", code, p.Code))
	}
	now := normTime(a.now())
	p.Version, p.CreatedAt, p.UpdatedAt = base+1, prev.CreatedAt, now
	p.Supersedes = &Supersedes{Version: base, Reason: reason}
	p.Actor = a.actorOf(p.Actor)
	if err := joinProblems(&ps, ValidateProject(p, now)).err("project " + code); err != nil {
		return Project{}, fmt.Errorf("archive: correct project %s: %w", code, err)
	}
	if _, err := a.projectVersions.put(ctx, p); err != nil {
		return Project{}, fmt.Errorf("archive: correct project %s: %w", code, err)
	}
	return p, nil
}

// joinProblems adds the problems of a *ValidationError to ps and returns ps.
func joinProblems(ps *problems, err error) *problems {
	var ve *ValidationError
	if errors.As(err, &ve) {
		ps.list = append(ps.list, ve.Problems...)
	}
	return ps
}

// Project returns the latest version of project code, or ErrNotFound.
func (a *Archive) Project(ctx context.Context, code string) (Project, error) {
	if err := ValidateProjectCode(code); err != nil {
		return Project{}, fmt.Errorf("archive: project: %w", err)
	}
	return a.projectVersions.Latest(ctx, code)
}

// ProjectVersion returns version n of project code, or ErrNotFound.
func (a *Archive) ProjectVersion(ctx context.Context, code string, n int) (Project, error) {
	if err := ValidateProjectCode(code); err != nil {
		return Project{}, fmt.Errorf("archive: project: %w", err)
	}
	return a.projectVersions.Get(ctx, code, n)
}

// ProjectVersionBytes returns the stored canonical JSON of version n of project
// code, exactly as stored (the bytes whose SHA-256 its ledger entry holds).
func (a *Archive) ProjectVersionBytes(ctx context.Context, code string, n int) ([]byte, error) {
	if err := ValidateProjectCode(code); err != nil {
		return nil, fmt.Errorf("archive: project: %w", err)
	}
	return a.projectVersions.Bytes(ctx, code, n)
}

// ProjectVersions returns every version of project code, oldest first, or ErrNotFound.
func (a *Archive) ProjectVersions(ctx context.Context, code string) ([]Project, error) {
	if err := ValidateProjectCode(code); err != nil {
		return nil, fmt.Errorf("archive: project: %w", err)
	}
	return a.projectVersions.History(ctx, code)
}

// Projects returns the latest version of every project, ordered by code.
func (a *Archive) Projects(ctx context.Context) ([]Project, error) {
	var out []Project
	if err := a.projectVersions.EachLatest(ctx, func(p Project) error {
		out = append(out, p)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("archive: projects: %w", err)
	}
	// The listing's order is that of the keys, where "A-B/" sorts before "A/"
	// ('-' < '/'); people expect the order of the codes.
	slices.SortFunc(out, func(x, y Project) int { return strings.Compare(x.Code, y.Code) })
	return out, nil
}

type latestKey struct {
	name    string
	version int
}

// latestKeys lists "<root><name>/<version>.json" keys and returns, per name in listing
// order, the highest version. Versions of one name are contiguous in the listing,
// because they share the prefix "<root><name>/". The listing is collected before any
// object is read, so that no backend is asked to read during its own listing.
func (a *Archive) latestKeys(ctx context.Context, root string) ([]latestKey, error) {
	var out []latestKey
	err := a.store.List(ctx, root, "", func(info blob.Info) error {
		name, file, ok := strings.Cut(strings.TrimPrefix(info.Key, root), "/")
		n := parseVersionName(file)
		if !ok || n == 0 {
			return nil // not a version file
		}
		if k := len(out); k > 0 && out[k-1].name == name {
			out[k-1].version = max(out[k-1].version, n)
			return nil
		}
		out = append(out, latestKey{name: name, version: n})
		return nil
	})
	return out, err
}

// ---- records ----

// CreateRecord files version 1 of a record and returns it as stored. The archive
// fills in the type's default disclosure class and retention period where rec leaves
// them empty, derives the id (RecordID), sets Version and FiledAt, and checks, in this
// order: the catalogue's rules (ErrInvalid, with every problem), that the project
// exists (ErrNotFound) and that the content is stored (ErrContentMissing).
//
// Filing is idempotent: when the same filing (same id) is already stored, the result
// is the stored version 1 together with ErrRecordExists, so a re-run of an interrupted
// ingest can carry on from what the first run made.
//
// A record whose archival code another record carries is ErrCodeInUse (see
// codes.go).
//
// The writes come in the order of docs/architecture.md, "Durability" (content, record version, ledger
// entry): the content-lookup marker (see RecordsByContent) and the archival-code
// marker, the record version, then the journal's event. A crash between any two is completed by the re-run: the
// marker and the version are create-once, and the journal's Append is idempotent, so
// the ErrRecordExists path appends the event again. Content, marker and version are
// deferred puts made durable together by one Sync before the event is appended (and
// before CreateRecord returns, with or without a journal).
func (a *Archive) CreateRecord(ctx context.Context, rec Record) (Record, error) {
	rec = a.cat.ApplyDefaults(rec)
	id, err := RecordID(rec)
	if err != nil {
		return Record{}, fmt.Errorf("archive: create record: %w", err)
	}
	var ps problems
	if rec.ID != "" && rec.ID != id {
		ps.add("id", fmt.Sprintf("%q given, but the id is derived from the filing: leave it empty", rec.ID))
	}
	if rec.Supersedes != nil {
		ps.add("supersedes", "a new record supersedes nothing; use CorrectRecord")
	}
	if rec.Disposal != nil {
		ps.add("disposal", "a new record is not a tombstone")
	}
	rec.ID, rec.Version, rec.Supersedes = id, 1, nil
	rec.FiledAt = normTime(a.now())
	rec.Actor = a.actorOf(rec.Actor)
	if err := a.checkRecord(ctx, &ps, rec); err != nil {
		return Record{}, fmt.Errorf("archive: create record %s: %w", id, err)
	}
	lock, err := a.lockRecordContent(ctx, &rec)
	if err != nil {
		return Record{}, fmt.Errorf("archive: create record %s: %w", id, err)
	}
	if err := a.putByContent(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("archive: create record %s: %w", id, err)
	}
	if err := a.putByCode(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("archive: create record %s: %w", id, err)
	}
	stored, err := a.recordVersions.putLocked(ctx, rec, &lock)
	if errors.Is(err, ErrVersionExists) {
		return stored, fmt.Errorf("archive: create record %s: %w", id, ErrRecordExists)
	}
	if err != nil {
		return Record{}, fmt.Errorf("archive: create record %s: %w", id, err)
	}
	return stored, nil
}

// CorrectRecord files version base+1 of record id: rec, with the reason for the
// correction. base must be the latest version: when base+1 already exists another
// correction came first, and the result is ErrVersionExists. The id and project
// cannot change; everything else may, under the same rules as CreateRecord.
func (a *Archive) CorrectRecord(ctx context.Context, id string, base int, rec Record, reason string) (Record, error) {
	prev, err := a.RecordVersion(ctx, id, base)
	if err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	if prev.Disposal != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, ErrDisposed)
	}
	if base >= maxVersion {
		return Record{}, fmt.Errorf("archive: correct record %s: version %d is the last possible: %w", id, base, ErrInvalid)
	}
	var ps problems
	if rec.ID != "" && rec.ID != id {
		ps.add("id", fmt.Sprintf("a correction of %s cannot change the id to %s", id, rec.ID))
	}
	if rec.Project == "" {
		rec.Project = prev.Project
	}
	if rec.Project != prev.Project {
		ps.add("project", fmt.Sprintf("a correction cannot move the record from project %s to %s", prev.Project, rec.Project))
	}
	if rec.Disposal != nil {
		ps.add("disposal", "a correction is not a tombstone: use DisposeRecord")
	}
	rec = a.cat.ApplyDefaults(rec)
	rec.ID, rec.Version = id, base+1
	rec.Supersedes = &Supersedes{Version: base, Reason: reason}
	rec.FiledAt = normTime(a.now())
	rec.Actor = a.actorOf(rec.Actor)
	if err := a.checkRecord(ctx, &ps, rec); err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	lock, err := a.lockRecordContent(ctx, &rec)
	if err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	if err := a.putByContent(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	if err := a.putByCode(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	// Of two corrections of one version, one is stored; the other's error is
	// ErrVersionExists, after the stored one's entry is completed (a re-run of a
	// correction that crashed before its entry completes it the same way).
	if _, err := a.recordVersions.putLocked(ctx, rec, &lock); err != nil {
		return Record{}, fmt.Errorf("archive: correct record %s: %w", id, err)
	}
	return rec, nil
}

// checkRecord validates rec (adding to the problems already in ps), then checks that
// its project exists and its content is stored.
func (a *Archive) checkRecord(ctx context.Context, ps *problems, rec Record) error {
	if err := joinProblems(ps, a.cat.ValidateRecord(rec, rec.FiledAt)).err("record " + rec.ID); err != nil {
		return err
	}
	if err := a.projectExists(ctx, rec.Project); err != nil {
		return err
	}
	if rec.PublicCopyOf != "" {
		if err := a.checkOriginal(ctx, rec); err != nil {
			return err
		}
	}
	if a.storedRecently(rec.Content) {
		return nil
	}
	switch err := a.checkStored(ctx, ContentKey(rec.Content.SHA256), rec.Content); {
	case errors.Is(err, blob.ErrNotFound):
		return fmt.Errorf("content %s: %w", rec.Content.SHA256, ErrContentMissing)
	case err != nil:
		return fmt.Errorf("content %s: %w", rec.Content.SHA256, err)
	}
	return nil
}

// checkOriginal checks that the original a public copy names exists, belongs to
// the copy's project and is not itself a public copy.
func (a *Archive) checkOriginal(ctx context.Context, rec Record) error {
	if rec.PublicCopyOf == rec.ID {
		var ps problems
		ps.add("public_copy_of", "a record cannot be the public copy of itself")
		return ps.err("record " + rec.ID)
	}
	orig, err := a.Record(ctx, rec.PublicCopyOf)
	if err != nil {
		return fmt.Errorf("the original of the public copy: %w", err)
	}
	var ps problems
	if orig.Project != rec.Project {
		ps.add("public_copy_of", fmt.Sprintf("the original %s belongs to project %s, the copy to %s", orig.ID, orig.Project, rec.Project))
	}
	if orig.PublicCopyOf != "" {
		ps.add("public_copy_of", fmt.Sprintf("%s is itself the public copy of %s: name the original", orig.ID, orig.PublicCopyOf))
	}
	return ps.err("record " + rec.ID)
}

// projectExists returns nil when project code exists, ErrNotFound when it does not.
// Version 1 of every project is created before anything else of it, so its
// presence is the project's.
func (a *Archive) projectExists(ctx context.Context, code string) error {
	if _, ok := a.projects.Load(code); ok {
		return nil
	}
	if err := ValidateProjectCode(code); err != nil {
		return err
	}
	if _, err := a.store.Stat(ctx, projectKey(code, 1)); err != nil {
		if errors.Is(err, blob.ErrNotFound) {
			return fmt.Errorf("project %s: %w", code, ErrNotFound)
		}
		return err
	}
	a.projects.Store(code, struct{}{})
	return nil
}

func checkRecordID(id string) error {
	if ValidRecordID(id) {
		return nil
	}
	var ps problems
	ps.add("id", fmt.Sprintf("%q is not a record id (26 characters of a-z and 2-7)", id))
	return ps.err("record id")
}

// Record returns the latest version of record id, or ErrNotFound.
func (a *Archive) Record(ctx context.Context, id string) (Record, error) {
	if err := checkRecordID(id); err != nil {
		return Record{}, fmt.Errorf("archive: record: %w", err)
	}
	return a.recordVersions.Latest(ctx, id)
}

// RecordVersion returns version n of record id, or ErrNotFound.
func (a *Archive) RecordVersion(ctx context.Context, id string, n int) (Record, error) {
	if err := checkRecordID(id); err != nil {
		return Record{}, fmt.Errorf("archive: record: %w", err)
	}
	return a.recordVersions.Get(ctx, id, n)
}

// RecordVersions returns every version of record id, oldest first, or ErrNotFound.
func (a *Archive) RecordVersions(ctx context.Context, id string) ([]Record, error) {
	if err := checkRecordID(id); err != nil {
		return nil, fmt.Errorf("archive: record: %w", err)
	}
	return a.recordVersions.History(ctx, id)
}

// Records calls fn with the latest version of every record, in id order, and stops at
// the first error fn returns (returned as is). It is how a rebuild of the search index
// or an export walks the archive.
func (a *Archive) Records(ctx context.Context, fn func(Record) error) error {
	var ferr error
	err := a.recordVersions.EachLatest(ctx, func(r Record) error {
		if err := fn(r); err != nil {
			ferr = err
			return err
		}
		return nil
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return fmt.Errorf("archive: records: %w", err)
	}
	return nil
}
