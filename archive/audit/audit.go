// Package audit checks the fixity of a whole archive: it re-reads every content
// object and recomputes its SHA-256 and SM3, compares them with the records that
// name it, checks that every record version is in the ledger (and unaltered) and
// that every ledger entry's record version exists, and that the ledger's entries
// are those its signed checkpoint covers. Each failure is appended to the ledger
// as a fixity_failure event.
//
// A content object that cannot be read, for a reason other than its absence (the
// store unavailable, a connection reset, a timeout), is read again a few times,
// after growing pauses; when it still cannot be read it is reported as a read
// error (Report.ReadErrors): an operational problem, not a finding about the
// archive, so not a ledger event.
//
// Reading the content is the long part. It runs on parallel workers and can be
// resumed after a kill: after each chunk of objects, the key of the last object of
// the chunk and the failures found so far are saved to a local state file, and a
// new run starts after that key. The metadata checks are re-run in full, because
// they read far less.
package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// Failure kinds.
const (
	ContentDamaged = "content_damaged"      // the bytes do not have the digests the key or the records say
	ContentMissing = "content_missing"      // a record's content object is not in the store
	RecordAltered  = "record_altered"       // a record version differs from its ledger entry, or cannot be decoded
	RecordMissing  = "record_missing"       // a ledger entry names a record version that is not in the store
	NotInLedger    = "not_in_ledger"        // a record version has no ledger entry
	EntryAltered   = "ledger_entry_altered" // an entry differs from the hash its signed checkpoint covers
)

// Failure is one thing found wrong.
type Failure struct {
	Kind    string `json:"kind"`
	Key     string `json:"key"` // the object it concerns
	Record  string `json:"record,omitempty"`
	Version int    `json:"version,omitempty"`
	Detail  string `json:"detail"`
	// LedgerIndex is the index of the fixity_failure event that records it.
	LedgerIndex *int64 `json:"ledger_index,omitempty"`

	event *archive.Event // what to append, when the failure concerns a record version
}

// Report is the result of a run.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Resumed  bool      `json:"resumed"`
	// Sample is the fraction of content objects re-read (1 for all).
	Sample         float64 `json:"sample"`
	RecordVersions int     `json:"record_versions"`
	LedgerEntries  int64   `json:"ledger_entries"`
	TreeSize       int64   `json:"tree_size"`
	ContentObjects int     `json:"content_objects"`
	// Read and ReadBytes count the objects re-read, by this run and by the run it
	// resumed.
	Read      int64     `json:"read"`
	ReadBytes int64     `json:"read_bytes"`
	Failures  []Failure `json:"failures"`
	// ReadErrors are the content objects that could not be read, even after
	// retries, for a reason other than their absence: those were not checked.
	ReadErrors []ReadError `json:"read_errors,omitempty"`
	// LedgerError says why failures could not be appended to the ledger.
	LedgerError string `json:"ledger_error,omitempty"`
	// OK: nothing wrong was found and every object to check was read.
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
	Append(ctx context.Context, e archive.Event) (int64, error)
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
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Progress, when not nil, is called after each object read, from one
	// goroutine at a time.
	Progress func(p Progress)
}

// Progress is how far the content phase is.
type Progress struct {
	Done, Total           int64 // objects to re-read in this run
	DoneBytes, TotalBytes int64
}

// state is what a run saves to be resumed.
type state struct {
	Version  int             `json:"version"`
	Started  time.Time       `json:"started"`
	Sample   float64         `json:"sample"`
	Offset   uint16          `json:"offset"`
	After    string          `json:"after"`
	Read     int64           `json:"read"`
	Bytes    int64           `json:"bytes"`
	Failures []Failure       `json:"failures"`
	Events   []archive.Event `json:"events"` // parallel to Failures; zero Kind for none
	// ReadErrors are those of the chunks done.
	ReadErrors []ReadError `json:"read_errors,omitempty"`
}

type ref struct {
	id      string
	version int
	content archive.Digests
	record  archive.Hash // SHA-256 of the stored record version
}

type versionKey struct {
	id      string
	version int
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
	if o.Journal == nil && o.Ledger != nil {
		o.Journal = o.Ledger
	}
	st, resumed, err := loadState(o)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Started: st.Started, Resumed: resumed, Sample: st.Sample}
	var failures []Failure
	add := func(f Failure, ev *archive.Event) {
		f.event = ev
		failures = append(failures, f)
	}

	// 1. The ledger: every entry against the signed checkpoint; the creation
	// events of record versions, by version.
	created := map[versionKey]ledgerEntry{}
	if o.Ledger != nil {
		cp, err := o.Ledger.CheckEntries(ctx, func(i int64, text []byte, ok bool) error {
			rep.LedgerEntries++
			ev, perr := ledger.ParseEntry(text)
			le := ledgerEntry{index: i, ev: ev, failure: -1}
			if !ok || perr != nil {
				f := Failure{Kind: EntryAltered, Key: fmt.Sprintf("ledger entry %d", i),
					Detail: fmt.Sprintf("ledger entry %d is not the entry that the signed checkpoint covers: it was replaced", i)}
				if perr == nil {
					f.Record, f.Version = ev.RecordID, ev.Version
				}
				le.failure = len(failures)
				add(f, nil)
			}
			if subject, _ := ev.Ref(); perr == nil && subject == archive.SubjectRecord &&
				(ev.Kind == archive.EventFile || ev.Kind == archive.EventNewVersion) {
				created[versionKey{ev.RecordID, ev.Version}] = le
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("audit: ledger: %w", err)
		}
		rep.TreeSize = cp.Size
	}

	// 2. Record versions: each one decodes, is in the ledger, and is what its
	// entry says; collect which records name which content.
	refs := map[archive.Hash][]ref{}
	seen := map[versionKey]bool{}
	var versions []archive.RecordVersionInfo
	if err := o.Archive.WalkRecordVersions(ctx, "", func(v archive.RecordVersionInfo) error {
		versions = append(versions, v)
		return nil
	}); err != nil {
		return rep, fmt.Errorf("audit: records: %w", err)
	}
	// Record versions are read a group at a time on parallel readers (on S3 each
	// is a round trip), and checked in order.
	const group = 256
	var raw [][]byte
	for n, v := range versions {
		if n%group == 0 {
			vs := versions[n:min(n+group, len(versions))]
			raw = make([][]byte, len(vs))
			errs := make([]error, len(vs))
			var wg sync.WaitGroup
			sem := make(chan struct{}, 2*o.Workers)
			for i, v := range vs {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					raw[i], errs[i] = o.Archive.RecordVersionBytes(ctx, v.ID, v.Version)
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return rep, fmt.Errorf("audit: %w", err)
			}
		}
		b := raw[n%group]
		rep.RecordVersions++
		vk := versionKey{v.ID, v.Version}
		seen[vk] = true
		sum := archive.Hash(sha256.Sum256(b))
		le, inLedger := created[vk]
		rec, derr := archive.DecodeRecord(b)
		switch {
		case derr != nil || rec.ID != v.ID || rec.Version != v.Version:
			add(Failure{Kind: RecordAltered, Key: v.Key, Record: v.ID, Version: v.Version,
				Detail: fmt.Sprintf("the record version cannot be read as stored: %v", derr)}, eventFrom(le, inLedger, st.Started))
			continue
		case inLedger && le.failure >= 0:
			// Its entry was replaced (reported above): the failure is the
			// record version's, with the digests of the record as stored.
			ev, _ := archive.RecordEvent(archive.EventFixityFailure, rec)
			ev.Time = st.Started
			failures[le.failure].event = &ev
		case !inLedger:
			ev, _ := archive.RecordEvent(archive.EventFixityFailure, rec)
			ev.Time = st.Started
			add(Failure{Kind: NotInLedger, Key: v.Key, Record: v.ID, Version: v.Version,
				Detail: "the record version has no entry in the ledger"}, &ev)
		case le.ev.RecordDigest != sum:
			add(Failure{Kind: RecordAltered, Key: v.Key, Record: v.ID, Version: v.Version,
				Detail: fmt.Sprintf("the stored record version has SHA-256 %s, its ledger entry %d says %s", sum, le.index, le.ev.RecordDigest)},
				eventFrom(le, true, st.Started))
		case le.ev.Content != rec.Content:
			add(Failure{Kind: RecordAltered, Key: v.Key, Record: v.ID, Version: v.Version,
				Detail: fmt.Sprintf("the record version's content digests (SHA-256 %s, SM3 %s, %d bytes) differ from those of its ledger entry %d (SHA-256 %s, SM3 %s, %d bytes)",
					rec.Content.SHA256, rec.Content.SM3, rec.Content.Size, le.index, le.ev.Content.SHA256, le.ev.Content.SM3, le.ev.Content.Size)},
				eventFrom(le, true, st.Started))
		}
		refs[rec.Content.SHA256] = append(refs[rec.Content.SHA256], ref{v.ID, v.Version, rec.Content, sum})
	}
	// Every ledger entry's record version exists.
	var gone []versionKey
	for vk := range created {
		if !seen[vk] {
			gone = append(gone, vk)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return created[gone[i]].index < created[gone[j]].index })
	for _, vk := range gone {
		le := created[vk]
		add(Failure{Kind: RecordMissing, Key: fmt.Sprintf("records/%s/%06d.json", vk.id, vk.version), Record: vk.id, Version: vk.version,
			Detail: fmt.Sprintf("ledger entry %d names this record version, which is not in the store", le.index)}, eventFrom(le, true, st.Started))
	}

	// 3. Content: list every object, re-read those sampled and not yet done.
	type obj struct {
		key  string
		sha  archive.Hash
		size int64
	}
	var all, todo []obj
	var totalBytes int64
	if err := o.Store.List(ctx, "blobs/sha256/", "", func(info blob.Info) error {
		h, err := archive.ParseHash(info.Key[strings.LastIndexByte(info.Key, '/')+1:])
		if err != nil {
			return nil // not a content object
		}
		all = append(all, obj{info.Key, h, info.Size})
		if info.Key > st.After && sampled(h, st.Sample, st.Offset) {
			todo = append(todo, obj{info.Key, h, info.Size})
			totalBytes += info.Size
		}
		return nil
	}); err != nil {
		return rep, fmt.Errorf("audit: content: %w", err)
	}
	rep.ContentObjects = len(all)
	stored := make(map[archive.Hash]bool, len(all))
	for _, ob := range all {
		stored[ob.sha] = true
	}
	missing := make([]archive.Hash, 0)
	for h := range refs {
		if !stored[h] {
			missing = append(missing, h)
		}
	}
	sort.Slice(missing, func(i, j int) bool { return missing[i].String() < missing[j].String() })
	for _, h := range missing {
		for _, r := range refs[h] {
			ev := archive.Event{Kind: archive.EventFixityFailure, RecordID: r.id, Version: r.version, Content: r.content, RecordDigest: r.record, Time: st.Started}
			add(Failure{Kind: ContentMissing, Key: archive.ContentKey(h), Record: r.id, Version: r.version,
				Detail: "the record's content object is not in the store"}, &ev)
		}
	}

	prog := Progress{Total: int64(len(todo)), TotalBytes: totalBytes}
	var pmu sync.Mutex
	for start := 0; start < len(todo); start += o.ChunkSize {
		chunk := todo[start:min(start+o.ChunkSize, len(todo))]
		results := make([]result, len(chunk))
		next := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < min(o.Workers, len(chunk)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 1<<20)
				for i := range next {
					results[i] = check(ctx, o.Store, chunk[i].key, buf)
					if o.Progress != nil {
						pmu.Lock()
						prog.Done++
						prog.DoneBytes += results[i].sum.Size
						o.Progress(prog)
						pmu.Unlock()
					}
				}
			}()
		}
	feed:
		for i := range chunk {
			select {
			case next <- i:
			case <-ctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("audit: interrupted after %s (the next run resumes there): %w", st.After, err)
		}
		for i, res := range results {
			ob := chunk[i]
			st.Read++
			st.Bytes += res.sum.Size
			if res.err != nil && !errors.Is(res.err, blob.ErrNotFound) && !errors.Is(res.err, context.Canceled) {
				st.ReadErrors = append(st.ReadErrors, ReadError{Key: ob.key, Detail: res.err.Error()})
				continue
			}
			for _, f := range contentFailures(ob.key, ob.sha, res, refs[ob.sha], st.Started) {
				st.Failures = append(st.Failures, f)
				if f.event != nil {
					st.Events = append(st.Events, *f.event)
				} else {
					st.Events = append(st.Events, archive.Event{})
				}
			}
		}
		st.After = chunk[len(chunk)-1].key
		if err := saveState(o.StatePath, st); err != nil {
			return rep, err
		}
	}
	for i, f := range st.Failures {
		var ev *archive.Event
		if st.Events[i].Kind != "" {
			ev = &st.Events[i]
		}
		add(f, ev)
	}
	rep.Read, rep.ReadBytes = st.Read, st.Bytes
	rep.ReadErrors = st.ReadErrors

	// 4. Each failure becomes a ledger event. Their time is the run's start, so
	// that a resumed run appends each one once.
	if o.Journal != nil {
		for i := range failures {
			if failures[i].event == nil {
				continue
			}
			idx, err := o.Journal.Append(ctx, *failures[i].event)
			if err != nil {
				rep.LedgerError = err.Error()
				break
			}
			failures[i].LedgerIndex = &idx
		}
	}
	rep.Failures = failures
	if rep.Failures == nil {
		rep.Failures = []Failure{}
	}
	rep.OK = len(failures) == 0 && len(rep.ReadErrors) == 0
	rep.Finished = o.Now().UTC()
	if o.StatePath != "" {
		if err := os.Remove(o.StatePath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return rep, fmt.Errorf("audit: %w", err)
		}
	}
	return rep, nil
}

type ledgerEntry struct {
	index   int64
	ev      archive.Event
	failure int // index of its EntryAltered failure, or -1
}

// eventFrom is the fixity_failure event of a record version, with the digests its
// ledger entry gives; nil when there is no entry to take them from.
func eventFrom(le ledgerEntry, ok bool, at time.Time) *archive.Event {
	if !ok {
		return nil
	}
	ev := le.ev
	ev.Kind, ev.Time = archive.EventFixityFailure, at
	// A fixity failure is the audit's finding, not the filer's change: an event
	// of the first form, as RecordEvent makes for kinds other than the version's.
	ev.Subject, ev.SubjectID, ev.Actor, ev.Reason = "", "", "", archive.Hash{}
	return &ev
}

type result struct {
	sum archive.Digests
	err error
}

// Reading a content object is tried readAttempts times, pausing readBackoff
// before the second attempt and twice as long before each further one, unless the
// object is not there (blob.ErrNotFound) or ctx ends.
var (
	readAttempts = 4
	readBackoff  = 500 * time.Millisecond
)

// check reads the object under key and returns its digests, retrying errors that
// may be transient.
func check(ctx context.Context, st blob.Store, key string, buf []byte) result {
	pause := readBackoff
	for attempt := 1; ; attempt++ {
		res := checkOnce(ctx, st, key, buf)
		if res.err == nil || errors.Is(res.err, blob.ErrNotFound) || ctx.Err() != nil {
			return res
		}
		if attempt >= readAttempts {
			res.err = fmt.Errorf("read %d times, failed each time; the last error: %w", attempt, res.err)
			return res
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return result{err: ctx.Err()}
		case <-t.C:
		}
		pause *= 2
	}
}

func checkOnce(ctx context.Context, st blob.Store, key string, buf []byte) result {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return result{err: err}
	}
	defer rc.Close()
	d := archive.NewDigester()
	if _, err := io.CopyBuffer(d, rc, buf); err != nil {
		return result{err: err}
	}
	return result{sum: d.Sum()}
}

// contentFailures compares what was read under key with what its key and its
// records say.
func contentFailures(key string, sha archive.Hash, res result, refs []ref, at time.Time) []Failure {
	var out []Failure
	if res.err != nil {
		// Only an object that is not there is a finding: Run reports other read
		// errors as operational errors, not as failures.
		if !errors.Is(res.err, blob.ErrNotFound) {
			return nil
		}
		kind := ContentMissing
		for _, r := range refs {
			ev := archive.Event{Kind: archive.EventFixityFailure, RecordID: r.id, Version: r.version, Content: r.content, RecordDigest: r.record, Time: at}
			out = append(out, Failure{Kind: kind, Key: key, Record: r.id, Version: r.version, Detail: res.err.Error(), event: &ev})
		}
		if len(refs) == 0 {
			out = append(out, Failure{Kind: kind, Key: key, Detail: res.err.Error()})
		}
		return out
	}
	if res.sum.SHA256 != sha {
		detail := fmt.Sprintf("the object's bytes have SHA-256 %s, not the %s of its key", res.sum.SHA256, sha)
		if len(refs) == 0 {
			return []Failure{{Kind: ContentDamaged, Key: key, Detail: detail + " (no record names it)"}}
		}
		for _, r := range refs {
			ev := archive.Event{Kind: archive.EventFixityFailure, RecordID: r.id, Version: r.version, Content: r.content, RecordDigest: r.record, Time: at}
			out = append(out, Failure{Kind: ContentDamaged, Key: key, Record: r.id, Version: r.version, Detail: detail, event: &ev})
		}
		return out
	}
	for _, r := range refs {
		if r.content.SM3 != res.sum.SM3 || r.content.Size != res.sum.Size {
			ev := archive.Event{Kind: archive.EventFixityFailure, RecordID: r.id, Version: r.version, Content: r.content, RecordDigest: r.record, Time: at}
			out = append(out, Failure{Kind: ContentDamaged, Key: key, Record: r.id, Version: r.version, event: &ev,
				Detail: fmt.Sprintf("the object has SM3 %s and %d bytes, the record says SM3 %s and %d bytes", res.sum.SM3, res.sum.Size, r.content.SM3, r.content.Size)})
		}
	}
	return out
}

// sampled reports whether the object with SHA-256 h is in the window of width
// sample starting at offset, on the circle of the first two bytes of digests.
func sampled(h archive.Hash, sample float64, offset uint16) bool {
	if sample >= 1 {
		return true
	}
	pos := binary.BigEndian.Uint16(h[:2]) - offset // wraps around
	return float64(pos) < sample*65536
}

func loadState(o Options) (state, bool, error) {
	fresh := func() (state, bool, error) {
		var b [2]byte
		if _, err := rand.Read(b[:]); err != nil {
			return state{}, false, err
		}
		return state{Version: 1, Started: o.Now().UTC().Truncate(time.Millisecond), Sample: o.Sample,
			Offset: binary.BigEndian.Uint16(b[:])}, false, nil
	}
	if o.StatePath == "" || o.Restart {
		return fresh()
	}
	b, err := os.ReadFile(o.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return fresh()
	}
	if err != nil {
		return state{}, false, fmt.Errorf("audit: state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || st.Version != 1 || len(st.Events) != len(st.Failures) {
		return state{}, false, fmt.Errorf("audit: state %s is unreadable (remove it, or run with --restart): %v", o.StatePath, err)
	}
	if st.Sample != o.Sample {
		return state{}, false, fmt.Errorf("audit: %s holds an interrupted run with sample %g%%, not %g%%: resume it with that sample, or start over with --restart", o.StatePath, st.Sample*100, o.Sample*100)
	}
	return st, true, nil
}

// saveState writes the state atomically (a new file renamed over the old), so a
// kill leaves either the previous state or the new one.
func saveState(path string, st state) error {
	if path == "" {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("audit: state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return fmt.Errorf("audit: state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("audit: state: %w", err)
	}
	return nil
}
