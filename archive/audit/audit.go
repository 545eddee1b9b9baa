package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// Failure kinds. Those of the ledger's own objects are ledger's (ledger.BatchMissing
// and the others), reported as they are.
const (
	ContentDamaged = "content_damaged" // the bytes do not have the digests the key or the records say
	ContentMissing = "content_missing" // a record's content object is not in the store
	RecordAltered  = "record_altered"  // a record version differs from its ledger entry, or cannot be decoded
	RecordMissing  = "record_missing"  // a ledger entry names a record version that is not in the store
	NotInLedger    = "not_in_ledger"   // a record version has no ledger entry
	EntryAltered   = ledger.EntryAltered
	// Derived objects.
	MarkerMissing = "content_marker_missing" // a record version's by-content marker is not stored
	MarkerExtra   = "content_marker_extra"   // a marker names a record none of whose versions has that content
	// Archival codes (档号) and their claims.
	ClaimMissing  = "number_claim_missing"    // a record's archival code has no claim
	ClaimAltered  = "number_claim_altered"    // the claim of a record's code names another filing
	CodeDuplicate = "archival_code_duplicate" // two records carry one archival code
	// Archival-code markers (by-code/…, derived from the record versions).
	CodeMarkerMissing = "code_marker_missing" // a record's code has no marker: another record could be given it
	CodeMarkerAltered = "code_marker_altered" // the marker of a record's code names another record
	CodeMarkerExtra   = "code_marker_extra"   // a marker of a code no stored record carries, naming a stored record, or no marker at all
	// FilingDuplicate: one filing (document and metadata) stored as two records
	// under two archival codes: one document with two 档号.
	FilingDuplicate = "filing_duplicate"
)

// Notice kinds: what interrupted filings leave, harmless, named so that nothing
// in the store goes unexplained. They are not failures.
const (
	ContentUnreferenced = "content_unreferenced"  // content no record names
	MarkerOrphan        = "content_marker_orphan" // a marker of a record that is not stored
	ClaimUnused         = "number_claim_unused"   // a number claimed by a filing that was never stored
	CodeMarkerOrphan    = "code_marker_orphan"    // an archival-code marker of a record that is not stored
	// ContentDisposed: content deleted by an approved disposal: every record
	// that named it has its tombstone (the notice names them). Not missing.
	ContentDisposed = "content_disposed"
)

// Failure is one thing found wrong (or, in Report.InFlight, Unconfirmed and
// Notices, one thing that looked so).
type Failure struct {
	Kind    string `json:"kind"`
	Key     string `json:"key"` // the object it concerns
	Record  string `json:"record,omitempty"`
	Version int    `json:"version,omitempty"`
	Detail  string `json:"detail"`
	// Want says what the object should be.
	Want string `json:"want,omitempty"`
	// Derived: the object is rebuilt from its source by Options.Repair.
	Derived bool `json:"derived,omitempty"`
	// Repaired says what Options.Repair made.
	Repaired string `json:"repaired,omitempty"`
	// LedgerIndex is the index of the fixity_failure event that records it.
	LedgerIndex *int64 `json:"ledger_index,omitempty"`
	// Object and Seen are what the first look found: the store key, and
	// "absent" or the SHA-256 of its bytes. The second look must find the same.
	Object string `json:"object,omitempty"`
	Seen   string `json:"seen,omitempty"`

	event  *archive.Event  // what to append, when the failure concerns a record version
	young  bool            // within the in-flight bound when first seen
	ledger *ledger.Finding // the ledger's finding, for the second look and the repair
	marker *markerFix      // a content marker's repair
	code   *codeFix        // an archival-code marker's repair
}

// Report is the result of a run.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Resumed  bool      `json:"resumed"`
	// Sample is the fraction of content objects re-read (1 for all).
	Sample float64 `json:"sample"`
	// InFlightBound is the age under which an unfinished object is in flight.
	InFlightBound   string `json:"in_flight_bound"`
	RecordVersions  int    `json:"record_versions"`
	ProjectVersions int    `json:"project_versions"`
	// Versions counts the versions checked of each kind of subject but records.
	Versions       map[string]int `json:"versions,omitempty"`
	LedgerEntries  int64          `json:"ledger_entries"`
	TreeSize       int64          `json:"tree_size"`
	ContentObjects int            `json:"content_objects"`
	// Ledger is what the check of the ledger's own objects counted.
	Ledger *ledger.CheckReport `json:"ledger,omitempty"`
	// Markers and Claims count the content markers and archival-number claims
	// checked.
	Markers int `json:"content_markers"`
	// CodeMarkers counts the archival-code markers checked.
	CodeMarkers int `json:"code_markers"`
	Claims      int `json:"number_claims"`
	// Read and ReadBytes count the objects re-read, by this run and by the run it
	// resumed.
	Read      int64     `json:"read"`
	ReadBytes int64     `json:"read_bytes"`
	Failures  []Failure `json:"failures"`
	// InFlight are unfinished objects younger than the bound: filings at work.
	InFlight []Failure `json:"in_flight,omitempty"`
	// Unconfirmed are what the first look found wrong and the second did not:
	// the object changed in between (a writer at work). Not failures.
	Unconfirmed []Failure `json:"unconfirmed,omitempty"`
	// Notices are leftovers of interrupted filings: not failures.
	Notices []Failure `json:"notices,omitempty"`
	// Repairs lists what Options.Repair made, RepairErrors what it could not.
	Repairs      []string `json:"repairs,omitempty"`
	RepairErrors []string `json:"repair_errors,omitempty"`
	// ReadErrors are the content objects that could not be read, even after
	// retries, for a reason other than their absence: those were not checked.
	ReadErrors []ReadError `json:"read_errors,omitempty"`
	// LedgerDamaged: an authoritative object of the ledger is damaged, so
	// nothing was appended to it; DamageNotice is the key of the signed notice
	// that makes the ledger refuse appends until it is whole again.
	LedgerDamaged bool   `json:"ledger_damaged,omitempty"`
	DamageNotice  string `json:"damage_notice,omitempty"`
	// WholeNotice is the key of the notice that says the ledger is whole again,
	// when an earlier audit had found it damaged: appends resume.
	WholeNotice string `json:"whole_notice,omitempty"`
	// LedgerError says why failures could not be appended to the ledger.
	LedgerError string `json:"ledger_error,omitempty"`
	// OK: nothing wrong was found (or all of it was derived and repaired) and
	// every object to check was read.
	OK bool `json:"ok"`
}

// ReadError is a content object that the audit could not read, after retries, for
// a reason other than its absence: the store unavailable, a connection reset, a
// timeout. It is an operational error, not a finding about the archive: it is not
// appended to the ledger, and the object is read again by the next audit started
// afresh.
type ReadError struct {
	Key    string `json:"key"`
	Detail string `json:"detail"`
}

// Journal appends events; *ledger.Log implements it.
type Journal interface {
	AppendAll(ctx context.Context, events []archive.Event) ([]int64, error)
}

// Options configure a run.
type Options struct {
	Store   blob.Store
	Archive *archive.Archive
	Ledger  *ledger.Log
	// Journal receives the failures as events; nil means Ledger (when it is nil
	// too, failures are only reported).
	Journal Journal
	// StatePath is the local file that makes the run resumable; "" means not.
	StatePath string
	// Restart ignores a saved state and starts over.
	Restart bool
	// Workers read and digest content in parallel; 0 means 4.
	Workers int
	// Sample is the fraction of content objects to re-read, in (0, 1]; 0 means 1.
	// Which objects: those whose SHA-256 falls in a window of that width at a
	// random place, kept across a resume, so that successive runs cover the
	// archive in turn.
	Sample float64
	// ChunkSize is how many objects are read between saves of the state; 0
	// means 256.
	ChunkSize int
	// InFlight is the age under which an unfinished object is a filing at work,
	// not a failure; 0 means ledger.DefaultInFlight (ten minutes).
	InFlight time.Duration
	// Repair rebuilds the derived objects found missing, altered or extra
	// (content markers, lookup keys, tiles) from their sources. Authoritative
	// objects are never rebuilt.
	Repair bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Progress, when not nil, is called after each object read, from one
	// goroutine at a time.
	Progress func(p Progress)
	// BeforeSecondLook, when not nil, is called between the two looks (tests).
	BeforeSecondLook func()
}

// Progress is how far the content phase is.
type Progress struct {
	Done, Total           int64 // objects to re-read in this run
	DoneBytes, TotalBytes int64
}

// run is one audit in progress.
type run struct {
	o   Options
	rep Report
	st  state
	now time.Time

	failures []Failure
	// From the ledger: the creation events of record versions, the subject of
	// every entry, and where the check stopped reading.
	created map[versionKey]ledgerEntry
	// versionEntries are the version events of the other subjects;
	// versionSeen the versions stored.
	versionEntries map[subjectVersion]ledgerEntry
	versionSeen    map[subjectVersion]bool
	subjects       map[int64]subjectVersion
	lcheck         *ledger.CheckReport
	// lost are the record versions whose entries the ledger lost with a batch
	// (their lookup keys say so); lostVersions names those stored.
	lost         map[string]bool // by lostKey
	lostVersions []string
	// altered are the record versions found altered: the checks that read them
	// (markers, claims) would only repeat the finding.
	altered map[versionKey]bool
	// From the records: which versions name which content, the stored
	// versions, and what the claims need.
	refs     map[archive.Hash][]ref
	seen     map[versionKey]bool
	recSeen  map[versionKey]string       // what the first look read of each version
	versions map[string][]archive.Record // by id, the versions read, for markers and codes
	stored   map[archive.Hash]bool       // content objects listed
	// disposed are the tombstones read, by record id.
	disposed map[string]archive.Record
}

// ref is a version that names a content object: a record version, or a version
// of another subject whose JSON names one (a household table's CSV).
type ref struct {
	id      string
	version int
	content archive.Digests
	record  archive.Hash        // SHA-256 of the stored version
	subject archive.SubjectKind // "" for a record
}

type versionKey struct {
	id      string
	version int
}

type ledgerEntry struct {
	index   int64
	ev      archive.Event
	failure int // index of its EntryAltered failure, or -1
}

// Run audits the archive.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 256
	}
	if o.Sample <= 0 || o.Sample > 1 {
		o.Sample = 1
	}
	if o.InFlight <= 0 {
		o.InFlight = ledger.DefaultInFlight
	}
	if o.Journal == nil && o.Ledger != nil {
		o.Journal = o.Ledger
	}
	st, resumed, err := loadState(o)
	if err != nil {
		return Report{}, err
	}
	r := &run{o: o, st: st, now: o.Now(),
		rep: Report{Started: st.Started, Resumed: resumed, Sample: st.Sample, InFlightBound: o.InFlight.String(),
			Versions: map[string]int{}},
		created: map[versionKey]ledgerEntry{}, versionEntries: map[subjectVersion]ledgerEntry{}, versionSeen: map[subjectVersion]bool{}, lost: map[string]bool{}, altered: map[versionKey]bool{}, subjects: map[int64]subjectVersion{},
		refs: map[archive.Hash][]ref{}, seen: map[versionKey]bool{}, recSeen: map[versionKey]string{}, versions: map[string][]archive.Record{},
		disposed: map[string]archive.Record{}}
	// The phases, in the order that lets each rely on the one before: the ledger
	// before the records (a record version listed after its entry was read is
	// caught by the second look), the records before their markers and content
	// (which are stored before the record version).
	for _, phase := range []func(context.Context) error{
		r.checkLedger, r.checkSubjects, r.checkRecords, r.checkMarkers, r.checkClaims, r.checkCodeMarkers, r.checkContent, r.checkOverwrites,
		r.secondLook, r.repair, r.record,
	} {
		if err := phase(ctx); err != nil {
			return r.rep, err
		}
	}
	return r.finish()
}

func (r *run) add(f Failure, ev *archive.Event) int {
	f.event = ev
	r.failures = append(r.failures, f)
	return len(r.failures) - 1
}

// young reports whether t is within the in-flight bound of the audit's start,
// either side (clocks of several writers differ a little).
func (r *run) young(t time.Time) bool {
	d := r.now.Sub(t)
	return d < r.o.InFlight && d > -r.o.InFlight
}

func (r *run) finish() (Report, error) {
	rep := &r.rep
	rep.Failures = r.failures
	if rep.Failures == nil {
		rep.Failures = []Failure{}
	}
	rep.OK = len(rep.ReadErrors) == 0
	for _, f := range rep.Failures {
		if f.Repaired == "" {
			rep.OK = false
		}
	}
	rep.Finished = r.o.Now().UTC()
	if r.o.StatePath != "" {
		if err := os.Remove(r.o.StatePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return *rep, fmt.Errorf("audit: %w", err)
		}
	}
	return *rep, nil
}
