package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// Archive is what verification reads of the record store; *archive.Archive
// implements it.
type Archive interface {
	RecordsByContent(ctx context.Context, h archive.Hash) ([]string, error)
	RecordVersions(ctx context.Context, id string) ([]archive.Record, error)
	RecordVersionBytes(ctx context.Context, id string, n int) ([]byte, error)
	HasContent(ctx context.Context, d archive.Digests) (bool, error)
	Project(ctx context.Context, code string) (archive.Project, error)
	ProjectVersionBytes(ctx context.Context, code string, n int) ([]byte, error)
}

// Ledger is what verification reads of the ledger; *ledger.Log implements it.
// Open the log with the verifier key only (ledger.Key{Verifier: v}), so that it
// reads the store as checkpoints signed by that key say, and never signs.
type Ledger interface {
	Lookup(ctx context.Context, id string, version int) ([]ledger.Located, error)
	LookupSubject(ctx context.Context, kind archive.SubjectKind, id string, version int) ([]ledger.Located, error)
	Receipt(ctx context.Context, loc ledger.Located) (proof.Receipt, error)
	Include(ctx context.Context, r proof.Receipt, loc ledger.Located) (*proof.Inclusion, error)
	FindContent(ctx context.Context, h archive.Hash) ([]ledger.Found, error)
	ProveConsistency(ctx context.Context, old int64) ([]byte, proof.Checkpoint, tlog.TreeProof, error)
}

// Options configure a Verifier. The zero value suits one command: searches of
// the ledger are not rate-limited.
type Options struct {
	// SearchEvery is the least time between two searches of the ledger (see the
	// package notes), after SearchBurst searches in a row; 0 means no bound.
	// A server that answers anonymous requests sets it (the portal: a few
	// seconds).
	SearchEvery time.Duration
	// SearchBurst is how many searches may run in a row before SearchEvery
	// applies; 0 means 1.
	SearchBurst int
	// SearchKeep is how long the answer of a search is kept per content; 0
	// means 10 minutes.
	SearchKeep time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Contents, when set, finds the ledger's entries by content from memory
	// (*ledger.ContentIndex, which the caller keeps current): the search then
	// costs a listing and a lookup, so it is made for every file that the
	// lookups did not verify, content not in the archive included, and is
	// never rate-limited (SearchEvery, SearchBurst and SearchKeep do not
	// apply). Until the index has read the whole ledger once, a search is
	// ErrBusy. A server that answers anonymous requests with Request.Admit
	// needs it: see Request.
	Contents ContentFinder
}

// ContentFinder finds a ledger's entries by the content they name, from
// memory; *ledger.ContentIndex implements it.
type ContentFinder interface {
	// Ready reports whether it has read the whole ledger once.
	Ready() bool
	// Find returns the entries that name the content with SHA-256 h, in log
	// order, as ledger.Log.FindContent does.
	Find(ctx context.Context, h archive.Hash) ([]ledger.Found, error)
}

// Verifier answers verification requests against one archive and its ledger.
// It is safe for concurrent use; share one per process, so that the bound on
// searches holds for all its callers.
type Verifier struct {
	archive Archive
	ledger  Ledger
	key     note.Verifier
	search  *searcher
}

// New returns a Verifier of the archive a with the ledger l, whose checkpoints
// must be signed by key.
func New(a Archive, l Ledger, key note.Verifier, opts Options) *Verifier {
	return &Verifier{archive: a, ledger: l, key: key, search: newSearcher(l, opts)}
}

// ErrBusy: the derived lookups did not settle the verdict, and the search of
// the ledger that would is not allowed now (see Options.SearchEvery). Nothing
// was decided; ask again later.
var ErrBusy = errors.New("verify: the archive's lookup for this content is damaged and its search is busy: try again later")

// Result is the verdict on one file.
type Result struct {
	// Verified: one record version with the file's content verified.
	Verified bool `json:"verified"`
	// The file's digests.
	SHA256 string `json:"sha256"`
	SM3    string `json:"sm3"`
	Size   int64  `json:"size"`
	// Key names the verifier key checkpoints were checked with (name+hash).
	Key string `json:"key"`
	// Offline: checked against a receipt alone.
	Offline bool `json:"offline"`
	// Reasons say why not, when no record version was considered.
	Reasons []proof.Reason `json:"reasons,omitempty"`
	// Matches are the record versions considered, each with its verdict:
	// the file is verified when one of them is (the others are the audit's
	// business, not a property of the file).
	Matches []Match `json:"matches"`
	// Derived lists the derived objects (content markers, by-record keys)
	// found missing or forged. They did not decide anything; gongshi audit
	// --repair rebuilds them.
	Derived []Derived `json:"derived,omitempty"`
	// Searched: the ledger was searched because the derived lookups did not
	// settle the verdict.
	Searched bool `json:"searched,omitempty"`
}

// Err returns nil when the file verified, else a *proof.NotVerifiedError with
// the first reason.
func (r *Result) Err() error {
	if r.Verified {
		return nil
	}
	for _, m := range r.Matches {
		if m.Reason != nil {
			return &proof.NotVerifiedError{Reason: *m.Reason}
		}
	}
	if len(r.Reasons) > 0 {
		return &proof.NotVerifiedError{Reason: r.Reasons[0]}
	}
	return &proof.NotVerifiedError{Reason: proof.NewReason(proof.NoRecord, "sha256", r.SHA256)}
}

// Receipt returns the receipt of the first verified record version, which the
// holder can verify offline later; nil when none verified.
func (r *Result) Receipt() *proof.Receipt {
	for _, m := range r.Matches {
		if m.Verified && m.receipt != nil {
			return m.receipt
		}
	}
	return nil
}

// Match is the verdict on one record version whose content the file is.
type Match struct {
	Verified bool          `json:"verified"`
	Reason   *proof.Reason `json:"reason,omitempty"`
	Record   string        `json:"record"`
	Version  int           `json:"version"`
	// Latest is the record's latest version in the archive (0 offline): a
	// version below it was superseded by a correction.
	Latest int `json:"latest_version,omitempty"`
	// Event is the kind of the ledger entry (file, new_version).
	Event string `json:"event,omitempty"`
	// Index is the entry's index in the ledger (-1 when it has none);
	// TreeSize the size of the checkpoint it was proved under.
	Index    int64     `json:"ledger_index"`
	TreeSize int64     `json:"tree_size,omitempty"`
	FiledAt  time.Time `json:"filed_at,omitzero"`
	// What the record version says, as filed.
	Title     string `json:"title,omitempty"`
	DocNumber string `json:"doc_number,omitempty"`
	Issuer    string `json:"issuer,omitempty"`
	Project   string `json:"project,omitempty"`
	// Date is the document's date (YYYY-MM-DD).
	Date string `json:"date,omitempty"`
	// Department is the project's expropriating department.
	Department string `json:"department,omitempty"`
	// RecordBound: the record JSON shown is the one the ledger entry names.
	// ProjectBound: the project JSON shown is covered by a ledger entry too.
	RecordBound  bool `json:"record_bound"`
	ProjectBound bool `json:"project_bound"`
	// RecordSchema is the record JSON's schema version; NewFields the fields
	// it has that this release does not know (a later schema's), shown as
	// they are.
	RecordSchema int          `json:"record_schema,omitempty"`
	NewFields    []NamedValue `json:"new_fields,omitempty"`
	// Disposed is set when the record was disposed of at the end of its
	// retention: the file is still exactly what was filed (the ledger proves
	// it), and the archive no longer keeps it.
	Disposed *Disposed `json:"disposed,omitempty"`

	receipt *proof.Receipt
}

// Disposed says when, and on whose approval, a record was disposed of: what its
// tombstone, its last version, says.
type Disposed struct {
	// List is the disposal (the approved list) it was on.
	List string `json:"list"`
	// Proposer and Approver are the two staff accounts.
	Proposer string `json:"proposer"`
	Approver string `json:"approver"`
	// Approved is when the list was approved, Tombstone the record version that
	// says so (its ledger entry is of kind dispose).
	Approved  time.Time `json:"approved"`
	Tombstone int       `json:"tombstone_version"`
	// Register is the record id of the destruction list (销毁清册) naming it.
	Register string `json:"destruction_list,omitempty"`
}

func disposedOf(t archive.Record) *Disposed {
	return &Disposed{List: t.Disposal.List, Proposer: string(t.Disposal.Proposer), Approver: string(t.Disposal.Approver),
		Approved: t.Disposal.Approved, Tombstone: t.Version, Register: t.Disposal.Register}
}

// AddDisposals marks the matches of res whose records the archive has disposed
// of since: how a receipt checked offline learns it from the archive, when the
// archive is at hand. A record the archive does not know is left as it is.
func (v *Verifier) AddDisposals(ctx context.Context, res *Result) error {
	for i, m := range res.Matches {
		if m.Record == "" {
			continue
		}
		vs, err := v.archive.RecordVersions(ctx, m.Record)
		if errors.Is(err, archive.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if last := vs[len(vs)-1]; last.Disposal != nil {
			res.Matches[i].Disposed = disposedOf(last)
			res.Matches[i].Latest = last.Version
		}
	}
	return nil
}

// Receipt returns the receipt of the record version when it verified (for
// its holder to verify offline later), else nil.
func (m *Match) Receipt() *proof.Receipt {
	if !m.Verified {
		return nil
	}
	return m.receipt
}

// NamedValue is a field of a record this release does not know, for display.
type NamedValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Derived is a derived object found missing or forged.
type Derived struct {
	// Object is "content_marker" (by-content/…), "by_record_key"
	// (ledger/by-record/…) or "by_project_key" (ledger/by-project/…).
	Object string `json:"object"`
	// Problem is "missing" or "forged".
	Problem string `json:"problem"`
	Record  string `json:"record,omitempty"`
	Project string `json:"project,omitempty"`
	Version int    `json:"version,omitempty"`
	// Searched is false when the ledger was not searched for what the object
	// should have led to (the file verified through another record version,
	// and the search was not allowed).
	Searched bool `json:"searched"`
}

// The objects and problems of Derived.
const (
	ContentMarker = "content_marker"
	ByRecordKey   = "by_record_key"
	ByProjectKey  = "by_project_key"
	Missing       = "missing"
	Forged        = "forged"
)

func newResult(d archive.Digests, key note.Verifier, offline bool) *Result {
	return &Result{SHA256: d.SHA256.String(), SM3: d.SM3.String(), Size: d.Size, Key: proof.KeyName(key),
		Offline: offline, Matches: []Match{}}
}

func (r *Result) decide() {
	for _, m := range r.Matches {
		r.Verified = r.Verified || m.Verified
	}
	if len(r.Matches) == 0 && len(r.Reasons) == 0 {
		r.Reasons = append(r.Reasons, proof.NewReason(proof.NoRecord, "sha256", r.SHA256))
	}
}

// Offline verifies the file with digests d against the receipt r alone, with
// the verifier key: no archive, no network. A receipt that is not in its form
// is an error wrapping proof.ErrMalformed; every "no" is in the Result.
func Offline(r proof.Receipt, key note.Verifier, d archive.Digests) (*Result, error) {
	res := newResult(d, key, true)
	m, err := match(r, key, ledger.ProofDigests(&d))
	if err != nil {
		return nil, err
	}
	res.Matches = append(res.Matches, m)
	res.decide()
	return res, nil
}

// OfflineReceipt verifies the receipt r alone, with the verifier key: its
// entry is in the ledger the key signs, and the record (and project) JSON it
// carries is what the entries name. No file is checked (the Result has no
// digests): Offline checks the holder's file against it. A receipt that is
// not in its form is an error wrapping proof.ErrMalformed.
func OfflineReceipt(r proof.Receipt, key note.Verifier) (*Result, error) {
	res := &Result{Key: proof.KeyName(key), Offline: true, Matches: []Match{}}
	m, err := match(r, key, nil)
	if err != nil {
		return nil, err
	}
	res.Matches = append(res.Matches, m)
	res.decide()
	return res, nil
}

// match verifies the receipt r against the file's digests (none: the
// receipt alone) and describes it.
func match(r proof.Receipt, key note.Verifier, file *proof.Digests) (Match, error) {
	got, err := proof.VerifyReceipt(r, key, file)
	reason, no := proof.ReasonOf(err)
	if err != nil && !no {
		return Match{}, err
	}
	_, id, version := got.Entry.Subject()
	m := Match{Verified: err == nil, Record: id, Version: version, Event: got.Entry.Kind(), Index: r.Index,
		TreeSize: got.Checkpoint.Size, FiledAt: got.Entry.Time(), receipt: &r}
	if no {
		m.Reason = &reason
	}
	if rec := got.Record; rec != nil {
		m.Title, m.DocNumber, m.Issuer, m.Project = rec.String("title"), rec.String("doc_number"), rec.String("issuer"), rec.String("project")
		m.Date = rec.String("date")
		m.RecordBound, m.RecordSchema = rec.Bound, rec.Schema
		for _, name := range rec.Names(recordFields...) {
			raw, _ := rec.Get(name)
			m.NewFields = append(m.NewFields, NamedValue{Name: name, Value: proof.DocumentField{Name: name, Value: raw}.Text()})
		}
	}
	if p := got.Project; p != nil && (m.Project == "" || p.String("code") == m.Project) {
		m.Department, m.ProjectBound = p.String("department"), p.Bound
		if m.Project == "" {
			m.Project = p.String("code")
		}
	}
	return m, nil
}

// recordFields are the fields of a record version's JSON in this release's
// schema (archive's canonical form); a record of a later schema may have more.
var recordFields = []string{"schema", "id", "version", "project", "type", "title", "doc_number", "issuer",
	"abstract", "keywords", "date", "disclosure", "retention", "archival_code", "pages", "format", "file_name",
	"household", "public_copy_of", "content", "signatures", "report", "schedule", "disposal", "supersedes", "actor", "filed_at"}

// eventOf is the kind of the entry that files version n of a record.
func eventOf(version int) archive.EventKind {
	if version > 1 {
		return archive.EventNewVersion
	}
	return archive.EventFile
}

// candidate is a record version with the file's content, and where its entry
// is in the ledger when that is known.
type candidate struct {
	id      string
	version int
	latest  int             // the record's latest version, 0 when unknown
	rec     *archive.Record // the version as decoded, when it could be
	loc     *ledger.Located
	fromKey bool // loc came from a by-record key, not from a search
}

type versionKey struct {
	id      string
	version int
}

// File verifies the file with digests d against the archive (see the package
// notes for how the record versions are found). Its error means that nothing
// was decided: the store did not answer, ErrBusy; every "no" is in the Result.
func (v *Verifier) File(ctx context.Context, d archive.Digests) (*Result, error) {
	return v.Verify(ctx, Request{Digests: d})
}

// Request is a verification against the archive, as a server makes it for
// its visitors.
type Request struct {
	// Digests are the file's. With SHA256Only only Digests.SHA256 is known (a
	// browser hashes with WebCrypto, which has no SM3): a record version then
	// verifies when its entry names that SHA-256, the entry's SM3 and size are
	// taken as the file's, and the Result's SM3 and Size are empty.
	Digests    archive.Digests
	SHA256Only bool
	// Admit, when set, says whether the caller may see the content of the
	// record whose latest version is latest. A record it refuses is treated as
	// absent: it is never matched, no receipt of it is made, nothing about it
	// is in the Result, and it starts no search of the ledger — the answer is
	// the one for a file nobody filed, at the cost of that answer plus a read
	// of the record. That needs Options.Contents (without it, whether content
	// that only such records have is in the archive would decide whether the
	// ledger is searched, which shows in the time and in ErrBusy): Verify
	// refuses a Request with Admit on a Verifier without Contents. A record
	// whose versions cannot be read is refused too (its visibility cannot be
	// decided).
	Admit func(ctx context.Context, latest archive.Record) (bool, error)
}

// ErrNoContents: a Request with Admit on a Verifier without Options.Contents.
var ErrNoContents = errors.New("verify: a request that admits records needs Options.Contents")

// Verify verifies the file of req against the archive, as File does, within
// what req admits. Its error means that nothing was decided.
func (v *Verifier) Verify(ctx context.Context, req Request) (*Result, error) {
	if req.Admit != nil && v.search.contents == nil {
		return nil, ErrNoContents
	}
	res := newResult(req.Digests, v.key, false)
	if req.SHA256Only {
		res.SM3, res.Size = "", 0
	}
	f := &fileCheck{v: v, d: req.Digests, req: req, res: res, matched: map[versionKey]bool{}, admitted: map[string]bool{}, tombs: map[string]*Disposed{}}
	if err := f.run(ctx); err != nil {
		return nil, err
	}
	res.decide()
	return res, nil
}

// fileCheck is the state of one File call.
type fileCheck struct {
	v       *Verifier
	d       archive.Digests
	req     Request
	res     *Result
	matched map[versionKey]bool
	// admitted caches req.Admit's answer by record id.
	admitted map[string]bool
	pending  []candidate // found through markers, their entry not found yet
	// inArchive: a record version read from the store has the file's content
	// (authoritative evidence that the content was filed, like the content
	// object), so a search of the ledger may be made for it.
	inArchive bool
	// tombs are the disposals of the records read, by id.
	tombs map[string]*Disposed
}

func (f *fileCheck) run(ctx context.Context) error {
	ids, err := f.v.archive.RecordsByContent(ctx, f.d.SHA256)
	if err != nil {
		return err
	}
	for _, id := range ids {
		cands, err := f.candidates(ctx, id)
		if errors.Is(err, errRefused) {
			continue // as if the marker were not there
		}
		if errors.Is(err, archive.ErrCorrupt) {
			// A version of the record does not decode: which one has the
			// content is for the ledger to say.
			f.inArchive = true
			continue
		}
		if err != nil {
			return err
		}
		if len(cands) == 0 {
			f.derived(ContentMarker, Forged, id, 0)
		}
		for _, c := range cands {
			f.inArchive = true
			if err := f.locate(ctx, &c); err != nil {
				return err
			}
			if c.loc == nil {
				f.pending = append(f.pending, c)
				continue
			}
			if err := f.check(ctx, c); err != nil {
				return err
			}
		}
	}
	if f.res.Verified && len(f.pending) == 0 {
		return nil
	}
	return f.searchLedger(ctx, ids)
}

// errRefused: the request does not admit the record.
var errRefused = errors.New("not admitted")

// admits reports whether the request admits the record id, whose versions
// vs were read with err: errRefused when it does not.
func (f *fileCheck) admits(ctx context.Context, id string, vs []archive.Record, err error) error {
	if f.req.Admit == nil {
		return err
	}
	if ok, seen := f.admitted[id]; seen {
		if !ok {
			return errRefused
		}
		return err
	}
	ok := err == nil && len(vs) > 0
	if ok {
		var aerr error
		if ok, aerr = f.req.Admit(ctx, vs[len(vs)-1]); aerr != nil {
			return aerr
		}
	} else if !errors.Is(err, archive.ErrNotFound) && !errors.Is(err, archive.ErrCorrupt) {
		return err
	}
	f.admitted[id] = ok
	if !ok {
		return errRefused
	}
	return nil
}

// candidates returns the versions of record id with the file's content.
func (f *fileCheck) candidates(ctx context.Context, id string) ([]candidate, error) {
	vs, err := f.v.archive.RecordVersions(ctx, id)
	if err := f.admits(ctx, id, vs, err); err != nil && !errors.Is(err, archive.ErrNotFound) {
		return nil, err
	}
	if errors.Is(err, archive.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []candidate
	if last := vs[len(vs)-1]; last.Disposal != nil {
		f.tombs[id] = disposedOf(last)
	}
	for i, rec := range vs {
		// A tombstone names the content it went with, but files nothing: its
		// entry (kind dispose) is not a filing to verify the file against.
		if rec.Content.SHA256 == f.d.SHA256 && rec.Disposal == nil {
			out = append(out, candidate{id: id, version: rec.Version, latest: vs[len(vs)-1].Version, rec: &vs[i]})
		}
	}
	return out, nil
}

// locate finds c's entry through the by-record keys. A key that cannot be read
// as one is forged; none is missing: c.loc stays nil for the search.
func (f *fileCheck) locate(ctx context.Context, c *candidate) error {
	locs, err := f.v.ledger.Lookup(ctx, c.id, c.version)
	switch {
	case errors.Is(err, ledger.ErrCorrupt):
		f.derived(ByRecordKey, Forged, c.id, c.version)
		return nil
	case err != nil:
		return err
	}
	for i := range locs {
		if locs[i].Kind == eventOf(c.version) {
			c.loc, c.fromKey = &locs[i], true
			return nil
		}
	}
	f.derived(ByRecordKey, Missing, c.id, c.version)
	return nil
}

// check makes the receipt of c's entry against the latest checkpoint, with
// the record version's JSON from the store, and verifies it against the file.
// When the entry the by-record key points to is not c's, the key is forged: c
// goes back to pending.
func (f *fileCheck) check(ctx context.Context, c candidate) error {
	no := func(code proof.Code, index int64, params ...string) {
		r := proof.NewReason(code, append([]string{"record", c.id, "version", fmt.Sprint(c.version)}, params...)...)
		f.add(c.match(index, r))
	}
	r, err := f.v.ledger.Receipt(ctx, *c.loc)
	switch {
	case errors.Is(err, ledger.ErrNotFound) && c.fromKey:
		// Beyond the latest checkpoint, says the key: an entry being appended,
		// or a forged key. The ledger itself settles which.
		c.loc, c.fromKey = nil, false
		f.pending = append(f.pending, c)
		return nil
	case errors.Is(err, ledger.ErrNotFound):
		no(proof.NotYetCovered, c.loc.Index, "index", fmt.Sprint(c.loc.Index))
		return nil
	case errors.Is(err, ledger.ErrCorrupt) && c.fromKey:
		return f.forgedKey(c)
	case err != nil:
		if reason, ok := proof.ReasonOf(err); ok {
			f.add(c.match(c.loc.Index, reason))
			return nil
		}
		return err
	}
	if e, perr := proof.ParseEntry([]byte(r.Entry)); perr != nil || !names(e, c.id, c.version, f.d) {
		if c.fromKey {
			return f.forgedKey(c)
		}
		return fmt.Errorf("verify: ledger entry %d does not name record %s version %d", c.loc.Index, c.id, c.version)
	}
	b, err := f.v.archive.RecordVersionBytes(ctx, c.id, c.version)
	if errors.Is(err, archive.ErrNotFound) {
		no(proof.RecordMissing, c.loc.Index, "index", fmt.Sprint(c.loc.Index))
		return nil
	}
	if err != nil {
		return err
	}
	r.Record = string(b)
	if err := f.addProject(ctx, &r); err != nil {
		return err
	}
	m, err := match(r, f.v.key, f.fileDigests(r))
	if err != nil {
		return err
	}
	m.Latest = c.latest
	f.add(m)
	return nil
}

// addProject puts the JSON of the record's project into the receipt, for the
// holder to read who filed it, with the project version's ledger entry under
// the receipt's checkpoint when there is one (then the project is bound like
// the record). The project decides nothing: one that cannot be read is left
// out, and an entry that its lookup key does not lead to leaves it unbound (a
// key that leads to another entry is reported forged).
func (f *fileCheck) addProject(ctx context.Context, r *proof.Receipt) error {
	code := proof.DecodeDocument(r.Record).String("project")
	if code == "" {
		return nil
	}
	p, err := f.v.archive.Project(ctx, code)
	if err != nil {
		return nil
	}
	b, err := f.v.archive.ProjectVersionBytes(ctx, code, p.Version)
	if err != nil {
		return nil
	}
	r.Project = string(b)
	locs, err := f.v.ledger.LookupSubject(ctx, archive.SubjectProject, code, p.Version)
	if err != nil {
		return nil
	}
	want := proof.Hash(sha256.Sum256(b))
	for _, loc := range locs {
		in, err := f.v.ledger.Include(ctx, *r, loc)
		if errors.Is(err, ledger.ErrNotFound) {
			continue // beyond the receipt's checkpoint: not covered yet
		}
		if err == nil {
			e, perr := proof.ParseEntry([]byte(in.Entry))
			kind, id, version := e.Subject()
			if digest, _ := e.SubjectDigest(); perr == nil && kind == "project" && id == code && version == p.Version && digest == want {
				r.ProjectEntry = in
				return nil
			}
		} else if !errors.Is(err, ledger.ErrCorrupt) {
			return err
		}
		f.res.Derived = append(f.res.Derived, Derived{Object: ByProjectKey, Problem: Forged, Project: code, Version: p.Version})
	}
	return nil
}

// fileDigests are the digests the entry of r is checked against: the file's;
// with SHA256Only, its SHA-256 and the entry's SM3 and size.
func (f *fileCheck) fileDigests(r proof.Receipt) *proof.Digests {
	file := ledger.ProofDigests(&f.d)
	if f.req.SHA256Only {
		if e, err := proof.ParseEntry([]byte(r.Entry)); err == nil {
			if c, ok := e.Content(); ok && c.SHA256 == file.SHA256 {
				file.SM3, file.Size = c.SM3, c.Size
			}
		}
	}
	return file
}

// match describes a "no" about c from what the store says of it.
func (c candidate) match(index int64, r proof.Reason) Match {
	m := Match{Record: c.id, Version: c.version, Latest: c.latest, Index: index, Reason: &r}
	if c.rec != nil {
		m.Title, m.DocNumber, m.Issuer, m.Project = c.rec.Title, c.rec.DocNumber, c.rec.Issuer, c.rec.Project
		if !c.rec.Date.IsZero() {
			m.Date = c.rec.Date.String()
		}
	}
	return m
}

// names reports whether the entry e files version version of record id (its
// kind, id and version) with content d.
func names(e proof.Entry, id string, version int, d archive.Digests) bool {
	kind, eid, ev := e.Subject()
	content, ok := e.Content()
	return kind == "record" && eid == id && ev == version && e.Kind() == string(eventOf(version)) &&
		ok && content.SHA256 == proof.Hash(d.SHA256)
}

// checkKey notes the damage of the by-record key of version version of record
// id, whose entry the search found at index.
func (f *fileCheck) checkKey(ctx context.Context, id string, version int, index int64) error {
	c := candidate{id: id, version: version}
	before := len(f.res.Derived)
	if err := f.locate(ctx, &c); err != nil {
		return err
	}
	if c.loc != nil && c.loc.Index != index && len(f.res.Derived) == before {
		f.derived(ByRecordKey, Forged, id, version)
	}
	return nil
}

func (f *fileCheck) forgedKey(c candidate) error {
	f.derived(ByRecordKey, Forged, c.id, c.version)
	c.loc, c.fromKey = nil, false
	f.pending = append(f.pending, c)
	return nil
}

func (f *fileCheck) add(m Match) {
	if t := f.tombs[m.Record]; t != nil {
		m.Disposed = t
	}
	f.matched[versionKey{m.Record, m.Version}] = true
	f.res.Matches = append(f.res.Matches, m)
	f.res.Verified = f.res.Verified || m.Verified
}

// derived notes a derived object found missing or forged (once).
func (f *fileCheck) derived(object, problem, id string, version int) {
	d := Derived{Object: object, Problem: problem, Record: id, Version: version}
	if !slices.Contains(f.res.Derived, d) {
		f.res.Derived = append(f.res.Derived, d)
	}
}

// searchLedger settles what the lookups did not: when the content is in the
// archive, every ledger entry that names it is found by reading the ledger,
// and each record version it files is checked through that entry. markers are
// the record ids the content markers named.
func (f *fileCheck) searchLedger(ctx context.Context, markers []string) error {
	if !f.inArchive && f.v.search.contents == nil {
		has, err := f.v.archive.HasContent(ctx, f.d)
		if err != nil {
			return err
		}
		if !has {
			// Content not in the archive: nothing to search for (and nothing
			// an anonymous caller can make the archive search).
			return nil
		}
	}
	found, err := f.v.search.find(ctx, f.d.SHA256)
	if errors.Is(err, ErrBusy) && f.res.Verified {
		return nil // verified; what the damaged lookups hid stays in Derived, unsearched
	}
	if err != nil {
		return err
	}
	f.res.Searched = true
	for _, e := range found {
		pe, err := proof.ParseEntry(e.Entry)
		if err != nil {
			continue
		}
		kind, id, version := pe.Subject()
		if kind != "record" || pe.Kind() != string(eventOf(version)) || f.matched[versionKey{id, version}] {
			continue
		}
		var vs []archive.Record
		if f.req.Admit != nil {
			var err error
			vs, err = f.v.archive.RecordVersions(ctx, id)
			if err := f.admits(ctx, id, vs, err); errors.Is(err, errRefused) {
				continue
			} else if err != nil {
				return err
			}
		}
		if !slices.Contains(markers, id) {
			f.derived(ContentMarker, Missing, id, 0)
		}
		if err := f.checkKey(ctx, id, version, e.Index); err != nil {
			return err
		}
		c := candidate{id: id, version: version, loc: &e.Located}
		for _, p := range f.pending {
			if p.id == id && p.version == version {
				c.latest, c.rec = p.latest, p.rec
			}
		}
		if c.rec == nil {
			if vs == nil {
				vs, _ = f.v.archive.RecordVersions(ctx, id)
			}
			if len(vs) > 0 {
				c.latest = vs[len(vs)-1].Version
				if last := vs[len(vs)-1]; last.Disposal != nil {
					f.tombs[id] = disposedOf(last)
				}
			}
		}
		if err := f.check(ctx, c); err != nil {
			return err
		}
	}
	// A record version with the content whose entry the whole ledger does not
	// hold is not in the ledger: now that is known, not guessed from a key.
	for _, c := range f.pending {
		if !f.matched[versionKey{c.id, c.version}] {
			f.add(c.match(-1, proof.NewReason(proof.NotInLedger, "record", c.id, "version", fmt.Sprint(c.version))))
			// A key for an entry that the ledger does not hold is forged; with
			// no entry, no key is missing.
			if err := f.checkKey(ctx, c.id, c.version, -1); err != nil {
				return err
			}
			f.res.Derived = slices.DeleteFunc(f.res.Derived, func(d Derived) bool {
				return d.Object == ByRecordKey && d.Problem == Missing && d.Record == c.id && d.Version == c.version
			})
		}
	}
	for i := range f.res.Derived {
		f.res.Derived[i].Searched = true
	}
	return nil
}
