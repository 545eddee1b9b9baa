package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// Sentinel errors, wrapped with the operation; test with errors.Is.
var (
	// ErrConflict: other writers kept appending at the index this one tried, more
	// often than it retries. Nothing of this call was appended.
	ErrConflict = errors.New("another writer appends to the ledger at the same time")
	// ErrCorrupt: the stored log contradicts itself or its signed checkpoints (a
	// gap between batches, a tile that does not match, a checkpoint that is not
	// consistent with the previous one). The log refuses to sign anything more.
	ErrCorrupt = errors.New("ledger is inconsistent")
	// ErrNotFound: no such entry in the log.
	ErrNotFound = errors.New("not in the ledger")
	// ErrReadOnly: the log has no signing key (Options.Key.Signer is nil).
	ErrReadOnly = errors.New("read-only")
)

const (
	defaultMaxBatch = 4096
	// putParallelism is how many derived objects (tiles, lookup keys) a batch
	// writes at once: the filesystem store pays two fsyncs per object, and an S3
	// server a round trip, both of which overlap well.
	putParallelism = 64
	// retries is how often an append that lost the race for an index reloads and
	// tries again before giving up with ErrConflict.
	retries = 5
)

// recheckDamage is how often a writer that appends without reloading the log
// (it knows where the log ends) still looks whether an audit found it damaged.
const recheckDamage = time.Minute

// commitTimeout bounds the committing of one batch. A batch holds the events of
// every caller queued, so it is committed under none of their contexts: one
// caller giving up must not fail the others' appends.
const commitTimeout = 2 * time.Minute

// Options configure a Log.
type Options struct {
	// Key signs the checkpoints; its name is the log's origin. A Key with a
	// Verifier only opens the log for reading: proofs and receipts, no appends.
	Key Key
	// MaxBatch bounds the entries of one batch; 0 means 4096.
	MaxBatch int
	// LeaseTTL is how long a grant of the append lease lasts (see lease.go): a
	// writer that crashed holding it blocks the others that long at most. 0 means
	// DefaultLeaseTTL.
	LeaseTTL time.Duration
	// LeaseWait bounds how long an append waits for the lease held by another
	// writer before it fails with ErrConflict. 0 means DefaultLeaseWait.
	LeaseWait time.Duration
	// Now is the clock that grants' expiry is written and read by; nil means
	// time.Now.
	Now func() time.Time
	// Versions says that the store also holds the versions the entries name,
	// at archive.VersionKey (as the archive's store does): then a batch that no
	// checkpoint covers yet is completed (signed) only when every version its
	// entries make is stored with the digest the entry says, so that a batch
	// forged at the end of the log is refused (ErrDamaged), never signed.
	Versions bool
	// RetainUntil, when not nil, gives the object-lock date of each ledger
	// object that never changes as it is stored: batches, full tiles,
	// checkpoints and damage notices (not partial tiles, lookup keys or the
	// lease). Package retention locks them for as long as the storage allows
	// and renews that before it runs out: the ledger is kept for ever.
	RetainUntil func() time.Time
}

// Log is the ledger over a blob.Store. It is safe for concurrent use; concurrent
// Appends are committed together (see the package notes). Several Logs, in several
// processes, may share a store: create-once writes decide every race.
type Log struct {
	store    blob.Store
	key      Key
	maxBatch int
	tiles    *tileReader
	lease    *leaser
	retain   func() time.Time
	// beforeBatchPut, when set (by tests), is called with the lease held, just
	// before the batch at start is put.
	beforeBatchPut func(start int64)
	versions       bool // Options.Versions

	qmu   sync.Mutex // guards queue
	queue []*request

	mu     sync.Mutex // one commit at a time; guards the state below
	loaded bool
	// damage is why nothing may be appended (ErrDamaged), as of checked; ready
	// is the same for Ready, read without mu.
	damage  error
	checked time.Time
	ready   atomic.Pointer[readiness]
	size    int64     // entries covered by the latest signed checkpoint
	root    tlog.Hash // the root of that tree
	signed  []byte    // that checkpoint, signed
}

var _ archive.Journal = (*Log)(nil)

// New returns the log stored in st, signed with opts.Key. It does no I/O: the
// store is read on first use.
func New(st blob.Store, opts Options) *Log {
	l := &Log{store: st, key: opts.Key, maxBatch: opts.MaxBatch, tiles: newTileReader(st),
		lease: newLeaser(st, opts.LeaseTTL, opts.LeaseWait, opts.Now), versions: opts.Versions, retain: opts.RetainUntil}
	if l.maxBatch <= 0 {
		l.maxBatch = defaultMaxBatch
	}
	return l
}

// Origin is the name of the log, the first line of its checkpoints.
func (l *Log) Origin() string { return l.key.Verifier.Name() }

const (
	batchPrefix      = "ledger/batch/"
	checkpointPrefix = "ledger/checkpoint/"
	// lookupPrefix + subject kind: the lookup keys of a kind's events
	// (ledger/by-record/…, ledger/by-project/…).
	lookupPrefix = "ledger/by-"
)

// Batches and checkpoints are keyed by a zero-padded index, so that the store's
// ordered listing is index order, under a directory per thousand, so that listing
// the last few (List with after) reads a small directory on the filesystem store.
func indexKey(prefix string, n int64) string {
	return fmt.Sprintf("%s%013d/%016d", prefix, n/1000, n)
}
func batchKey(start int64) string     { return indexKey(batchPrefix, start) }
func checkpointKey(size int64) string { return indexKey(checkpointPrefix, size) }

func parseIndexKey(key, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, prefix)
	if !ok || len(rest) != 13+1+16 {
		return 0, false
	}
	n, err := strconv.ParseInt(rest[14:], 10, 64)
	return n, err == nil && n >= 0 && indexKey(prefix, n) == key
}

// subjectKey is the lookup key of an event: what identifies it for Append's
// idempotence (subject, version, kind, time), found by subject and version with
// subjectVersionPrefix. The keys of a kind's subjects share directories by the
// first two characters of the id (1,024 of them for records) rather than two new
// directories per subject, because on the filesystem store each new directory
// costs fsyncs of its own. Records keep the prefix they always had:
//
//	ledger/by-record/<id[:2]>/<id>.<version>.<kind>.<time>
//	ledger/by-<subject kind>/<id[:2]>/<id>.<version>.<kind>.<time>
func subjectKey(e archive.Event) string {
	kind, id := e.Ref()
	return fmt.Sprintf("%s%s.%s", subjectVersionPrefix(kind, id, e.Version), e.Kind,
		e.Time.UTC().Format("20060102T150405.000Z"))
}

func subjectVersionPrefix(kind archive.SubjectKind, id string, version int) string {
	fan := id
	if len(fan) > 2 {
		fan = fan[:2]
	}
	return fmt.Sprintf("%s%s/%s/%s.%06d.", lookupPrefix, kind, fan, id, version)
}

// ---- appending ----

type request struct {
	ev   archive.Event
	idx  int64
	err  error
	done bool
	// same is the request earlier in the batch for the same event, when there
	// is one: this one gets its index once it has one, and appends nothing.
	same *request
}

// Append appends the entry of e and returns its index. Appending an event that is
// already in the log (same kind, subject, version and time) returns the index of
// the entry there and appends nothing. It returns when the entry, its tiles and a
// signed checkpoint that covers it are stored.
func (l *Log) Append(ctx context.Context, e archive.Event) (int64, error) {
	idx, err := l.AppendAll(ctx, []archive.Event{e})
	if err != nil {
		return 0, err
	}
	return idx[0], nil
}

// AppendAll appends the entries of events, in order, as Append does each, and
// returns their indexes. Events of concurrent calls may be committed in the same
// batch; a call's events keep their order. A batch is committed under none of its
// callers' contexts (but within commitTimeout), so that one caller's cancellation
// fails no other's events; a call whose ctx ends before its events are committed
// takes them out of the queue and returns ctx's error.
func (l *Log) AppendAll(ctx context.Context, events []archive.Event) ([]int64, error) {
	reqs := make([]*request, len(events))
	l.qmu.Lock()
	for i, e := range events {
		reqs[i] = &request{ev: e}
		l.queue = append(l.queue, reqs[i])
	}
	l.qmu.Unlock()
	for _, r := range reqs {
		l.mu.Lock()
		// Whoever holds mu commits what is queued, MaxBatch at a time, oldest
		// first, until r is done: with more than MaxBatch requests queued ahead of
		// r, the first batches are other callers' (whose requests keep their own
		// results and errors), and r is in a later one. A request not done is
		// still queued: requests leave the queue only here, under mu, and commit
		// marks every request of its batch done.
		for !r.done {
			if err := ctx.Err(); err != nil {
				// The caller gave up before its events were committed: they
				// leave the queue unappended; the others' stay for their callers.
				l.withdraw(reqs, fmt.Errorf("ledger: append: %w", err))
				break
			}
			l.qmu.Lock()
			n := min(len(l.queue), l.maxBatch)
			batch := l.queue[:n:n]
			l.queue = l.queue[n:]
			l.qmu.Unlock()
			if n == 0 {
				r.err, r.done = errors.New("ledger: append: internal error: the event left the queue without being committed"), true
				break
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.lease.wait+commitTimeout)
			l.commit(cctx, batch)
			cancel()
		}
		l.mu.Unlock()
	}
	out := make([]int64, len(reqs))
	var errs []error
	for i, r := range reqs {
		out[i] = r.idx
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// withdraw takes the requests of reqs not done out of the queue and fails them
// with err. Called with mu held.
func (l *Log) withdraw(reqs []*request, err error) {
	mine := make(map[*request]bool, len(reqs))
	for _, r := range reqs {
		if !r.done {
			mine[r] = true
			r.err, r.done = err, true
		}
	}
	l.qmu.Lock()
	defer l.qmu.Unlock()
	kept := l.queue[:0]
	for _, q := range l.queue {
		if !mine[q] {
			kept = append(kept, q)
		}
	}
	clear(l.queue[len(kept):])
	l.queue = kept
}

// commit appends the events of batch as one batch and marks each request done.
// Called with mu held.
func (l *Log) commit(ctx context.Context, batch []*request) {
	defer func() {
		for _, r := range batch {
			r.done = true
		}
	}()
	fail := func(err error) {
		for _, r := range batch {
			if r.err == nil && !r.done {
				r.err = err
			}
		}
	}
	if l.key.Signer == nil {
		fail(fmt.Errorf("ledger: append: %w: this log was opened with a verifier key only", ErrReadOnly))
		return
	}
	// Entry texts, once; an event that cannot be an entry fails alone.
	texts := make([][]byte, len(batch))
	for i, r := range batch {
		t, err := FormatEntry(r.ev)
		if err != nil {
			r.err, r.done = fmt.Errorf("ledger: append: %w", err), true
			continue
		}
		texts[i] = t
	}
	reload := !l.loaded
	conflicts := 0
	for {
		// A Log that has loaded the store appends at the size it knows without
		// listing again: if another writer got there first, the lease or the
		// batch put says so, and the next round reloads. It reloads now and then
		// all the same, to see damage that another process found.
		if reload || time.Since(l.checked) > recheckDamage {
			if err := l.refresh(ctx); err != nil {
				fail(err)
				return
			}
		}
		reload = true
		if l.damage != nil {
			fail(l.damage)
			return
		}
		// Idempotence: an event already in the log, or twice in this batch, gets
		// the index it has.
		found, err := l.lookupAll(ctx, batch)
		if err != nil {
			fail(err)
			return
		}
		unfinished := false
		for _, idx := range found {
			unfinished = unfinished || idx >= l.size
		}
		if unfinished {
			// In the log, but in a batch that another writer (or a crashed one)
			// has not finished: finish it, so that what Append returns is
			// covered by a signed checkpoint, and look again: that batch may
			// hold others of these events whose lookup keys were not yet
			// written when they were looked up, and the log may have grown
			// (appending what was not found at the new size would append them
			// twice).
			if err := l.refresh(ctx); err != nil {
				fail(err)
				return
			}
			reload = false
			continue
		}
		var todo []int
		var entries [][]byte
		first := make(map[string]*request)
		for i, r := range batch {
			if r.done {
				continue
			}
			key := subjectKey(r.ev)
			if f, ok := first[key]; ok {
				r.same = f // resolved below
				continue
			}
			if idx, ok := found[key]; ok {
				r.idx, r.done = idx, true
				continue
			}
			first[key] = r
			todo = append(todo, i)
			entries = append(entries, texts[i])
		}
		if len(todo) == 0 {
			return
		}
		start := l.size
		// One writer at a time: the lease for appending at start. When another
		// writer appended meanwhile, reload and look again.
		g, err := l.lease.acquire(ctx, start, func(ctx context.Context) (bool, error) {
			_, err := l.store.Stat(ctx, batchKey(start))
			if errors.Is(err, blob.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		})
		if errors.Is(err, errMoved) {
			continue
		}
		if err != nil {
			fail(err)
			return
		}
		done, err := l.appendBatch(ctx, start, entries)
		l.lease.release(context.WithoutCancel(ctx), g)
		if errors.Is(err, blob.ErrExists) {
			// A writer that did not wait for the lease (its grant had expired
			// by our clock, or it runs code without the lease) took the index.
			if conflicts++; conflicts >= retries {
				fail(fmt.Errorf("ledger: append at %d: %w", start, ErrConflict))
				return
			}
			continue
		}
		if err != nil {
			if done {
				l.loaded = false
			}
			fail(fmt.Errorf("ledger: append at %d: %w", start, err))
			return
		}
		for k, i := range todo {
			batch[i].idx, batch[i].done = start+int64(k), true
		}
		resolveDuplicates(batch)
		return
	}
}

// appendBatch puts the batch of entries at start and completes it (tiles, lookup
// keys, checkpoint). Called with mu and the lease held. committed reports whether
// the batch was stored; a taken index is blob.ErrExists and stores nothing.
func (l *Log) appendBatch(ctx context.Context, start int64, entries [][]byte) (committed bool, err error) {
	p, err := l.prepare(ctx, start, entries)
	if err != nil {
		return false, err
	}
	if l.beforeBatchPut != nil {
		l.beforeBatchPut(start)
	}
	_, err = l.store.Put(ctx, batchKey(start), bytes.NewReader(encodeBatch(entries)),
		l.locked(blob.PutOptions{Size: int64(batchLen(entries))}))
	if err != nil {
		return false, err
	}
	// The entries are committed. Completing the batch must not be abandoned
	// half-way because the caller's context ends; a crash is completed by the
	// next writer.
	if err := l.complete(context.WithoutCancel(ctx), p); err != nil {
		return true, fmt.Errorf("the entries are stored but not yet covered by a checkpoint (the next append completes them): %w", err)
	}
	return true, nil
}

// lookupAll reads the lookup keys of the batch's pending events, in parallel (on
// S3 each is a round trip), and returns the indexes of those already in the log.
func (l *Log) lookupAll(ctx context.Context, batch []*request) (map[string]int64, error) {
	keys := make([]string, 0, len(batch))
	for _, r := range batch {
		if !r.done {
			keys = append(keys, subjectKey(r.ev))
		}
	}
	idx := make([]int64, len(keys))
	errs := make([]error, len(keys))
	err := parallel.For(ctx, len(keys), putParallelism, func(ctx context.Context, i int) error {
		idx[i], _, errs[i] = l.lookupKey(ctx, keys[i])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: append: %w", err)
	}
	found := make(map[string]int64)
	for i, err := range errs {
		switch {
		case err == nil:
			found[keys[i]] = idx[i]
		case !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("ledger: append %s: %w", keys[i], err)
		}
	}
	return found, nil
}

// resolveDuplicates gives the requests that repeated an event of the same batch
// the index of the first, once the first has one.
func resolveDuplicates(batch []*request) {
	for _, r := range batch {
		if !r.done && r.err == nil && r.same != nil && r.same.done && r.same.err == nil {
			r.idx, r.done = r.same.idx, true
		}
	}
}

func encodeBatch(entries [][]byte) []byte {
	b := make([]byte, 0, batchLen(entries))
	for _, e := range entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
		b = append(b, e...)
	}
	return b
}

func batchLen(entries [][]byte) int {
	n := 0
	for _, e := range entries {
		n += 2 + len(e)
	}
	return n
}

// decodeBatch splits a batch object into its entries: each is a big-endian
// uint16 length and that many bytes, as in C2SP tlog-tiles entry bundles.
func decodeBatch(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, fmt.Errorf("%w: truncated batch", ErrCorrupt)
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, fmt.Errorf("%w: truncated batch", ErrCorrupt)
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func (l *Log) readBatch(ctx context.Context, start int64) ([][]byte, error) {
	b, err := readAll(ctx, l.store, batchKey(start))
	if err != nil {
		return nil, fmt.Errorf("batch %d: %w", start, err)
	}
	entries, err := decodeBatch(b)
	if err != nil {
		return nil, fmt.Errorf("batch %d: %w", start, err)
	}
	return entries, nil
}

// appendReader reads the stored hashes of a tree being extended: those of the old
// tree from its tiles (authenticated against its signed root), the new ones from
// memory.
type appendReader struct {
	old     tlog.HashReader // nil for an empty old tree
	base    int64           // tlog.StoredHashCount(old size)
	pending []tlog.Hash     // stored hashes base, base+1, …
}

func (r *appendReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var oldIdx []int64
	var oldPos []int
	for i, x := range indexes {
		if x >= r.base {
			j := x - r.base
			if j >= int64(len(r.pending)) {
				return nil, fmt.Errorf("stored hash %d not yet computed", x)
			}
			out[i] = r.pending[j]
			continue
		}
		oldIdx = append(oldIdx, x)
		oldPos = append(oldPos, i)
	}
	if len(oldIdx) > 0 {
		if r.old == nil {
			return nil, fmt.Errorf("stored hash %d of an empty tree", oldIdx[0])
		}
		hs, err := r.old.ReadHashes(oldIdx)
		if err != nil {
			return nil, err
		}
		for k, i := range oldPos {
			out[i] = hs[k]
		}
	}
	return out, nil
}

// prepared is a batch whose hashes are computed and checked, ready to be stored.
type prepared struct {
	start, size int64
	entries     [][]byte
	events      []archive.Event
	hr          *appendReader
	root        tlog.Hash
}

// prepare computes the stored hashes and the new root of the batch of entries at
// start (= l.size), reading the old tree's hashes from tiles authenticated against
// its signed root, and checks that the new tree extends the signed one: a damaged
// tile or any other inconsistency stops here, before anything is written. Called
// with mu held.
func (l *Log) prepare(ctx context.Context, start int64, entries [][]byte) (*prepared, error) {
	if start != l.size {
		return nil, fmt.Errorf("%w: batch at %d, but the log has %d entries", ErrCorrupt, start, l.size)
	}
	ar := &appendReader{base: tlog.StoredHashCount(start)}
	if start > 0 {
		ar.old = l.hashReader(ctx, tlog.Tree{N: start, Hash: l.root})
	}
	p := &prepared{start: start, size: start + int64(len(entries)), entries: entries, hr: ar,
		events: make([]archive.Event, len(entries))}
	for i, e := range entries {
		ev, err := ParseEntry(e)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d: %v", ErrCorrupt, start+int64(i), err)
		}
		p.events[i] = ev
		hs, err := tlog.StoredHashes(start+int64(i), e, ar)
		if err != nil {
			return nil, corrupt(fmt.Errorf("hashes of entry %d: %w", start+int64(i), err))
		}
		ar.pending = append(ar.pending, hs...)
	}
	root, err := tlog.TreeHash(p.size, ar)
	if err != nil {
		return nil, corrupt(fmt.Errorf("tree hash at %d: %w", p.size, err))
	}
	if start > 0 {
		// Never sign a checkpoint that does not extend the last one signed.
		proof, err := tlog.ProveTree(p.size, start, ar)
		if err != nil {
			return nil, corrupt(fmt.Errorf("consistency proof %d→%d: %w", start, p.size, err))
		}
		if err := tlog.CheckTree(proof, p.size, root, start, l.root); err != nil {
			return nil, fmt.Errorf("%w: the tree of size %d does not extend the signed tree of size %d; refusing to sign", ErrCorrupt, p.size, start)
		}
	}
	p.root = root
	return p, nil
}

// corrupt marks err as ErrCorrupt unless it is a failure to read the store.
func corrupt(err error) error {
	var se *storeError
	if errors.As(err, &se) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// complete stores what follows from the committed batch p: its tiles, its lookup
// keys, and last the signed checkpoint. Called with mu held; every write is
// create-once and the same whoever makes it, so two processes completing one batch
// agree.
func (l *Log) complete(ctx context.Context, p *prepared) error {
	type object struct {
		key   string
		data  []byte
		final bool // a full tile: it never changes, and is locked like the batches
	}
	var objs []object
	for _, t := range tlog.NewTiles(tileHeight, p.start, p.size) {
		data, err := tlog.ReadTileData(t, p.hr)
		if err != nil {
			return corrupt(fmt.Errorf("tile %s: %w", tileKey(t), err))
		}
		objs = append(objs, object{tileKey(t), data, t.W == 1<<tileHeight})
		l.tiles.SaveTiles([]tlog.Tile{t}, [][]byte{data})
	}
	for i, ev := range p.events {
		objs = append(objs, object{subjectKey(ev), fmt.Appendf(nil, "%d %d\n", p.start+int64(i), p.start), false})
	}
	// Tiles and lookup keys follow from the batch, which is durable: they go in
	// as deferred puts, made durable together by one Sync before the checkpoint
	// that covers them (a lost one is written again by the next completion).
	errs := make([]error, len(objs))
	err := parallel.For(ctx, len(objs), putParallelism, func(ctx context.Context, i int) error {
		o := objs[i]
		opts := blob.PutOptions{Size: int64(len(o.data)), Deferred: true}
		if o.final {
			opts = l.locked(opts)
		}
		_, err := l.store.Put(ctx, o.key, bytes.NewReader(o.data), opts)
		if err != nil && !errors.Is(err, blob.ErrExists) {
			errs[i] = fmt.Errorf("%s: %w", o.key, err)
		}
		return nil
	})
	if err := errors.Join(append(errs, err)...); err != nil {
		return err
	}
	if err := blob.Sync(ctx, l.store); err != nil {
		return fmt.Errorf("tiles and lookup keys of %d: %w", p.size, err)
	}

	signed, err := signCheckpoint(l, Checkpoint{Origin: l.key.Signer.Name(), Size: p.size, Root: p.root})
	if err != nil {
		return fmt.Errorf("sign checkpoint %d: %w", p.size, err)
	}
	_, err = l.store.Put(ctx, checkpointKey(p.size), bytes.NewReader(signed), l.locked(blob.PutOptions{Size: int64(len(signed))}))
	if errors.Is(err, blob.ErrExists) {
		// Another writer completed this batch too; its checkpoint must be ours.
		theirs, rerr := readAll(ctx, l.store, checkpointKey(p.size))
		if rerr != nil {
			return fmt.Errorf("checkpoint %d: %w", p.size, rerr)
		}
		got, oerr := OpenCheckpoint(theirs, l.key.Verifier)
		if oerr != nil || got.Size != p.size || got.Root != p.root {
			return fmt.Errorf("%w: the stored checkpoint of size %d differs from the tree: %v", ErrCorrupt, p.size, oerr)
		}
		signed = theirs
	} else if err != nil {
		return fmt.Errorf("checkpoint %d: %w", p.size, err)
	}
	l.size, l.root, l.signed = p.size, p.root, signed
	return nil
}

// locked adds the object lock of Options.RetainUntil to opts.
func (l *Log) locked(opts blob.PutOptions) blob.PutOptions {
	if l.retain != nil {
		opts.RetainUntil = l.retain()
	}
	return opts
}

// refresh brings the state up to the store: the latest signed checkpoint (which
// must verify with the log's key and, when this Log knew an earlier one, extend
// it), then the completion of any batch beyond it. Called with mu held.
func (l *Log) refresh(ctx context.Context) error {
	after := ""
	if l.loaded && l.size > 0 {
		after = checkpointKey(l.size)
	}
	var last string
	err := l.store.List(ctx, checkpointPrefix, after, func(info blob.Info) error {
		if _, ok := parseIndexKey(info.Key, checkpointPrefix); ok {
			last = info.Key
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: load: %w", err)
	}
	if last != "" {
		signed, err := readAll(ctx, l.store, last)
		if err != nil {
			return fmt.Errorf("ledger: load: %w", err)
		}
		cp, err := OpenCheckpoint(signed, l.key.Verifier)
		if err != nil {
			return fmt.Errorf("ledger: load %s: %w (is this the data directory's key for this store?)", last, err)
		}
		if n, _ := parseIndexKey(last, checkpointPrefix); n != cp.Size {
			return fmt.Errorf("ledger: load %s: %w (%w): it holds the signed checkpoint of size %d, not of %d", last, ErrDamaged, ErrCorrupt, cp.Size, n)
		}
		if l.loaded && l.size > 0 {
			proof, err := tlog.ProveTree(cp.Size, l.size, l.hashReader(ctx, tlog.Tree{N: cp.Size, Hash: cp.Root}))
			old := Checkpoint{Origin: cp.Origin, Size: l.size, Root: l.root}
			if err == nil {
				err = CheckConsistency(old, cp, proof)
			}
			if err != nil {
				return fmt.Errorf("ledger: load %s: %w: %v", last, ErrCorrupt, err)
			}
		}
		l.size, l.root, l.signed = cp.Size, cp.Root, signed
	}
	l.loaded = true
	if l.key.Signer == nil {
		return nil // a reader: it takes the log as its latest checkpoint says
	}
	// Complete batches that a crashed (or concurrent) writer committed but did
	// not finish.
	after = ""
	if l.size > 0 {
		after = batchKey(l.size - 1)
	}
	var starts []int64
	err = l.store.List(ctx, batchPrefix, after, func(info blob.Info) error {
		if n, ok := parseIndexKey(info.Key, batchPrefix); ok {
			starts = append(starts, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: load: %w", err)
	}
	// Nothing is completed, and commit appends nothing, while the log is
	// damaged; readers go on with what the latest checkpoint covers.
	l.damage, l.checked = l.appendable(ctx, starts), time.Now()
	l.ready.Store(&readiness{err: l.damage, at: l.checked})
	if l.damage != nil {
		if !errors.Is(l.damage, ErrDamaged) {
			err, l.damage, l.loaded = l.damage, nil, false
			return err
		}
		return nil
	}
	for _, start := range starts {
		entries, err := l.readBatch(ctx, start)
		if err != nil {
			return fmt.Errorf("ledger: load: %w", err)
		}
		p, err := l.prepare(ctx, start, entries)
		if err == nil {
			err = l.complete(ctx, p)
		}
		if err != nil {
			l.loaded = false
			return fmt.Errorf("ledger: complete batch %d: %w", start, err)
		}
	}
	return nil
}

// ---- reading ----

// Latest returns the latest signed checkpoint, after completing any unfinished
// batch. An empty log has none: ErrNotFound.
func (l *Log) Latest(ctx context.Context) ([]byte, Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(ctx); err != nil {
		return nil, Checkpoint{}, err
	}
	if l.size == 0 {
		return nil, Checkpoint{}, fmt.Errorf("ledger: latest checkpoint: %w: the log is empty", ErrNotFound)
	}
	return l.signed, Checkpoint{Origin: l.Origin(), Size: l.size, Root: l.root}, nil
}

// Located is where an event of a record version is in the log.
type Located struct {
	Kind  archive.EventKind
	Index int64
	batch int64
}

// lookupKey reads a by-record key: the entry's index and its batch's start.
func (l *Log) lookupKey(ctx context.Context, key string) (idx, batch int64, err error) {
	b, err := readAll(ctx, l.store, key)
	if errors.Is(err, blob.ErrNotFound) {
		return 0, 0, ErrNotFound
	}
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(string(b), "%d %d\n", &idx, &batch); err != nil || batch > idx {
		return 0, 0, fmt.Errorf("%s: %w: %q", key, ErrCorrupt, b)
	}
	return idx, batch, nil
}

// Lookup returns the events of the version of record id in the log, in key order
// (kind, then time).
func (l *Log) Lookup(ctx context.Context, id string, version int) ([]Located, error) {
	return l.LookupSubject(ctx, archive.SubjectRecord, id, version)
}

// LookupSubject returns the events of version n of the subject kind/id in the
// log, in key order (event kind, then time): the lookup of every subject kind.
func (l *Log) LookupSubject(ctx context.Context, kind archive.SubjectKind, id string, version int) ([]Located, error) {
	if !kind.ValidID(id) {
		return nil, fmt.Errorf("ledger: lookup: %q is not a %s id: %w", id, kind, ErrNotFound)
	}
	prefix := subjectVersionPrefix(kind, id, version)
	var keys []string
	err := l.store.List(ctx, prefix, "", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: lookup %s %s version %d: %w", kind, id, version, err)
	}
	var out []Located
	for _, k := range keys {
		ev, _, _ := strings.Cut(strings.TrimPrefix(k, prefix), ".")
		idx, batch, err := l.lookupKey(ctx, k)
		if err != nil {
			return nil, fmt.Errorf("ledger: lookup %s %s version %d: %w", kind, id, version, err)
		}
		out = append(out, Located{Kind: archive.EventKind(ev), Index: idx, batch: batch})
	}
	return out, nil
}

// ProveConsistency returns the latest checkpoint and the proof that its tree
// extends the tree of size old (for CheckConsistency). When old is larger than the
// log the proof is empty, and CheckConsistency says that history was cut back. A
// proof that cannot be made because the stored tiles do not match the latest
// checkpoint wraps ErrNotVerified.
func (l *Log) ProveConsistency(ctx context.Context, old int64) ([]byte, Checkpoint, tlog.TreeProof, error) {
	signed, cp, err := l.Latest(ctx)
	if err != nil {
		return nil, Checkpoint{}, nil, err
	}
	if old <= 0 || old >= cp.Size {
		return signed, cp, nil, nil
	}
	tp, err := tlog.ProveTree(cp.Size, old, l.hashReader(ctx, tlog.Tree{N: cp.Size, Hash: cp.Root}))
	if err != nil {
		var se *storeError
		if errors.As(err, &se) && !errors.Is(err, blob.ErrNotFound) {
			return nil, Checkpoint{}, nil, fmt.Errorf("ledger: consistency proof %d→%d: %w", old, cp.Size, err)
		}
		return signed, cp, nil, proof.NotVerified(proof.HashesDisagree, "size", strconv.FormatInt(cp.Size, 10), "detail", err.Error())
	}
	return signed, cp, tp, nil
}

// Entries calls fn with every entry of the log in order, those beyond the latest
// checkpoint included, and stops at the first error fn returns (returned as is).
func (l *Log) Entries(ctx context.Context, fn func(index int64, entry []byte) error) error {
	return l.entries(ctx, func(loc Located, e []byte) error { return fn(loc.Index, e) })
}

// entries is Entries with each entry's place: its index and its batch (Kind is
// not set).
func (l *Log) entries(ctx context.Context, fn func(loc Located, entry []byte) error) error {
	return l.entriesFrom(ctx, 0, fn)
}

// entriesFrom is entries from the batch that starts at index from (a batch's
// start, or the log's size) on.
func (l *Log) entriesFrom(ctx context.Context, from int64, fn func(loc Located, entry []byte) error) error {
	starts, err := l.batchStarts(ctx, from)
	if err != nil {
		return fmt.Errorf("ledger: entries: %w", err)
	}
	// Batches are read ahead, a group at a time in parallel: a log appended to
	// one entry at a time has a batch per entry, and on S3 each is a round trip.
	const readAhead = 32
	next := from
	for g := 0; g < len(starts); g += readAhead {
		group := starts[g:min(g+readAhead, len(starts))]
		batches := make([][][]byte, len(group))
		errs := make([]error, len(group))
		err := parallel.For(ctx, len(group), putParallelism, func(ctx context.Context, i int) error {
			batches[i], errs[i] = l.readBatch(ctx, group[i])
			return nil
		})
		if err != nil {
			return fmt.Errorf("ledger: entries: %w", err)
		}
		for k, start := range group {
			if start != next {
				return fmt.Errorf("ledger: entries: %w: batch at %d follows entry %d", ErrCorrupt, start, next-1)
			}
			if errs[k] != nil {
				return fmt.Errorf("ledger: entries: %w", errs[k])
			}
			for i, e := range batches[k] {
				if err := fn(Located{Index: start + int64(i), batch: start}, e); err != nil {
					return err
				}
			}
			next = start + int64(len(batches[k]))
		}
	}
	return nil
}

// batchStarts lists the first indexes of the stored batches that start at
// index from or later, in order.
func (l *Log) batchStarts(ctx context.Context, from int64) ([]int64, error) {
	after := ""
	if from > 0 {
		after = batchKey(from - 1)
	}
	var starts []int64
	err := l.store.List(ctx, batchPrefix, after, func(info blob.Info) error {
		if n, ok := parseIndexKey(info.Key, batchPrefix); ok && n >= from {
			starts = append(starts, n)
		}
		return nil
	})
	return starts, err
}

// RootOf computes the root of the tree of the first n of entries, as tlog does,
// from the entries alone: what an audit compares with a signed checkpoint.
func RootOf(entries [][]byte) (tlog.Hash, error) {
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x >= int64(len(hashes)) {
				return nil, fmt.Errorf("stored hash %d not computed", x)
			}
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, r)
		if err != nil {
			return tlog.Hash{}, err
		}
		hashes = append(hashes, hs...)
	}
	return tlog.TreeHash(int64(len(entries)), r)
}

func signCheckpoint(l *Log, cp Checkpoint) ([]byte, error) {
	return note.Sign(&note.Note{Text: cp.Text()}, l.key.Signer)
}

// CheckEntries reads every entry of the log and checks each one covered by the
// latest checkpoint against the leaf hash in the tiles, which are authenticated
// against that checkpoint's signed root: an entry replaced behind the log's back
// is named by its index. fn is called for every entry in order, with ok false for
// one that differs (entries beyond the checkpoint are not yet covered and are ok).
// It returns the checkpoint checked against (the zero Checkpoint for an empty log).
func (l *Log) CheckEntries(ctx context.Context, fn func(index int64, entry []byte, ok bool) error) (Checkpoint, error) {
	_, cp, err := l.Latest(ctx)
	if errors.Is(err, ErrNotFound) {
		return Checkpoint{}, l.Entries(ctx, func(i int64, e []byte) error { return fn(i, e, true) })
	}
	if err != nil {
		return Checkpoint{}, err
	}
	hr := l.hashReader(ctx, tlog.Tree{N: cp.Size, Hash: cp.Root})
	var chunk []tlog.Hash
	var chunkStart int64 = -1
	err = l.Entries(ctx, func(i int64, e []byte) error {
		if i >= cp.Size {
			return fn(i, e, true)
		}
		if chunkStart < 0 || i >= chunkStart+int64(len(chunk)) {
			chunkStart = i - i%(1<<tileHeight)
			end := min(chunkStart+1<<tileHeight, cp.Size)
			idx := make([]int64, 0, end-chunkStart)
			for n := chunkStart; n < end; n++ {
				idx = append(idx, tlog.StoredHashIndex(0, n))
			}
			if chunk, err = hr.ReadHashes(idx); err != nil {
				return corrupt(fmt.Errorf("leaf hashes %d-%d: %w", chunkStart, end-1, err))
			}
		}
		return fn(i, e, chunk[i-chunkStart] == tlog.RecordHash(e))
	})
	return cp, err
}
