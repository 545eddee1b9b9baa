package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"

	"github.com/gongshi-archive/gongshi/archive"
)

// The index on disk, in Options.Dir:
//
//	LOCK        held (flock) by the one process that has the index open: a serve, or
//	            a CLI command; it names the holder (LockInfo)
//	REBUILD     held while a rebuild runs, by whichever process runs it
//	current     the name of the live generation, replaced by rename
//	previous    the name of the generation current named before the last rebuild,
//	            kept whole as the fallback when the live one is found damaged
//	g-…/        a generation: meta.json and its shards, shard-0 … shard-N (bleve);
//	            DAMAGED in it once it was found damaged (damage.go)
//
// A rebuild (Reindex) makes a new generation beside the live one from the source,
// then points current at it. The holder of LOCK notices at its next Poll, opens the
// new generation, lets the searches on the old one finish and removes it. A
// rebuild that stops half-way (a crash, a kill) leaves current as it was; its
// directory is removed by the next rebuild or open. A current that is missing,
// does not open or is damaged is rebuilt (damage.go).

// schemaVersion changes when the index's fields or their meaning change: an index
// of another version is rebuilt at open.
const schemaVersion = 2 // 2: the public_copy_of keyword (pc:)

// Options configure an Index. Dir and Source are required.
type Options struct {
	// Dir is the index's directory (DATA/search).
	Dir string
	// Source is what the index is derived from.
	Source Source
	// Now is the clock (visibility depends on the moment); nil means time.Now.
	Now func() time.Time
	// Catalogue names the document types; nil means archive.DefaultCatalogue().
	Catalogue *archive.Catalogue
	// Synonyms are the groups of words that find each other; nil means
	// archive.DefaultSynonyms().
	Synonyms [][]string
	// Shards is how many shards a rebuild makes (built in parallel); 0 means one
	// per core, at most 8.
	Shards int
	// Log receives what the index does on its own (rebuilds, swaps, errors of
	// following); nil discards it.
	Log *slog.Logger
	// Progress, when set, is told how far a rebuild is.
	Progress func(done, total int)
	// Holder is written into LOCK to tell other processes who holds the index,
	// e.g. the address of a serve's API.
	Holder LockInfo
	// Background (a serve) makes Open return at once when the index is damaged:
	// it answers from the previous generation, or ErrUnavailable, while the
	// rebuild runs in the background. Without it Open rebuilds before it returns
	// (a command that answers once). An index never built is built by Open
	// either way.
	Background bool
	// VerifyEvery is how often Follow checks the live generation's files against
	// their checksums; 0 means every 15 minutes, negative never.
	VerifyEvery time.Duration
}

// LockInfo says who holds the index; a command that finds the index held reads
// it to reach the holder instead.
type LockInfo struct {
	PID int `json:"pid"`
	// Command names the holding command ("serve", "search").
	Command string `json:"command,omitempty"`
	// Server is the base URL of the holder's API, when it serves one.
	Server string    `json:"server,omitempty"`
	Since  time.Time `json:"since"`
}

// Index is the open search index. Search is safe for concurrent use and keeps
// answering while Poll applies new entries or a rebuild's generation is swapped in.
type Index struct {
	opts   Options
	lock   *os.File
	eng    engine
	caches caches

	mu  sync.Mutex // serializes changes: Poll, refresh, swap, Close
	gen atomic.Pointer[generation]

	closed  atomic.Bool
	status  atomic.Pointer[Status]
	nextDue atomic.Int64 // unix ms of the earliest scheduled re-evaluation, 0 none
	// version counts the changes to what searches answer (see Version).
	version atomic.Uint64

	// The recovery from damage (damage.go): at most one runs, in the background.
	recovering bool // guarded by mu
	bg         sync.WaitGroup
	bgCtx      context.Context
	bgCancel   context.CancelFunc
}

// generation is one built index: its shards and how far it has applied.
type generation struct {
	name   string
	dir    string
	shards []bleve.Index
	pos    int64 // guarded by Index.mu
	// sched lists the records whose visibility changes at a moment (a window
	// opening or closing), guarded by Index.mu.
	sched map[string]time.Time
	// refs: searches hold it for reading; closing takes it for writing.
	refs   sync.RWMutex
	closed bool // guarded by refs

	// The last check of its files after a failed query (damage.go).
	checkMu sync.Mutex
	checked time.Time
	damage  error
}

// Status says how current the index is (for /readyz and /metrics).
type Status struct {
	Generation string
	Docs       uint64
	// Applied is how many ledger entries the index has applied; LedgerSize how
	// many the ledger had at the last poll; Lag the difference.
	Applied    int64
	LedgerSize int64
	Lag        int64
	LastPoll   time.Time
	LastError  string
	// Rebuilding: a damaged generation is being replaced; Damage says what was
	// found. While no generation is live, Generation is "" and Search answers
	// ErrUnavailable.
	Rebuilding bool
	Damage     string
	// Version is what Version returned last, or less (Status does not
	// re-decide anything); NextChange the earliest moment at which a record's
	// visibility changes by the clock (a window opening or closing), zero if
	// none is scheduled.
	Version    uint64
	NextChange time.Time
}

func (o *Options) fill() error {
	if o.Dir == "" || o.Source == nil {
		return errors.New("search: Options.Dir and Options.Source are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Catalogue == nil {
		o.Catalogue = archive.DefaultCatalogue()
	}
	if o.Synonyms == nil {
		o.Synonyms = archive.DefaultSynonyms()
	}
	if o.Shards <= 0 {
		o.Shards = min(max(runtime.GOMAXPROCS(0), 1), 8)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.VerifyEvery == 0 {
		o.VerifyEvery = 15 * time.Minute
	}
	return nil
}

// Open opens the index in opts.Dir for this process alone, rebuilding it from the
// source when it is missing, of another schema, or does not open. It does not catch
// up with the ledger: call CatchUp (or Follow). When another process holds the
// index, the error is ErrBusy and a *BusyError that says who.
func Open(ctx context.Context, opts Options) (*Index, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	lock, err := takeLock(filepath.Join(opts.Dir, "LOCK"), opts.Holder)
	if err != nil {
		return nil, err
	}
	ix := &Index{opts: opts, lock: lock,
		eng: engine{cat: opts.Catalogue, syn: newSynonyms(opts.Synonyms)}}
	ix.bgCtx, ix.bgCancel = context.WithCancel(context.WithoutCancel(ctx))
	g, err := ix.openCurrent(ctx)
	if err != nil {
		_, nerr := readCurrent(opts.Dir)
		built := nerr == nil || readPrevious(opts.Dir) != ""
		if opts.Background && built {
			// Damage: answer from the previous generation if it is whole (the
			// caller catches it up), else ErrUnavailable, while rebuilding.
			opts.Log.Error("search index unusable: rebuilding it in the background", "dir", opts.Dir, "err", err)
			ix.mu.Lock()
			if prev, perr := ix.openPrevious(); perr == nil {
				if perr = ix.loadSchedule(prev); perr == nil {
					ix.gen.Store(prev)
					ix.updateDue(prev)
				} else {
					prev.close()
				}
			}
			ix.setStatus(func(s *Status) { s.Damage = err.Error() })
			ix.recoverInBackground()
			ix.mu.Unlock()
			return ix, nil
		}
		if built {
			opts.Log.Warn("search index unusable, rebuilding it", "dir", opts.Dir, "err", err)
		} else {
			// A data directory that never had an index is not damage: say so
			// plainly, since the first start of a demo or a server shows it.
			opts.Log.Info("building the search index for the first time", "dir", opts.Dir)
		}
		if _, err := rebuild(ctx, opts); err != nil {
			lock.Close()
			return nil, err
		}
		if g, err = ix.openCurrent(ctx); err != nil {
			lock.Close()
			return nil, fmt.Errorf("search: the rebuilt index does not open: %w", err)
		}
	}
	if err := ix.loadSchedule(g); err != nil {
		g.close()
		lock.Close()
		return nil, fmt.Errorf("search: %w", err)
	}
	ix.gen.Store(g)
	ix.updateDue(g)
	ix.setStatus(func(s *Status) {})
	cleanStale(opts.Dir, opts.Log, g.name, readPrevious(opts.Dir))
	return ix, nil
}

// BusyError says who holds the index.
type BusyError struct {
	Dir    string
	Holder LockInfo
}

func (e *BusyError) Error() string {
	who := "another process"
	if e.Holder.PID != 0 {
		who = fmt.Sprintf("process %d", e.Holder.PID)
		if e.Holder.Command != "" {
			who += " (gongshi " + e.Holder.Command + ")"
		}
	}
	msg := fmt.Sprintf("%s: %s", ErrBusy, who)
	if e.Holder.Server != "" {
		msg += ", serving at " + e.Holder.Server
	}
	return msg
}

func (e *BusyError) Unwrap() error { return ErrBusy }

// takeLock takes path's lock and writes info into it.
func takeLock(path string, info LockInfo) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("search: %w", err)
	}
	if held {
		f.Close()
		return nil, &BusyError{Dir: filepath.Dir(path), Holder: readLockInfo(path)}
	}
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.Since.IsZero() {
		info.Since = time.Now().UTC()
	}
	if err := writeLockInfo(f, info); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func writeLockInfo(f *os.File, info LockInfo) error {
	b, _ := json.Marshal(info)
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if _, err := f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

func readLockInfo(path string) LockInfo {
	var info LockInfo
	b, err := os.ReadFile(path)
	if err == nil {
		_ = json.Unmarshal(b, &info)
	}
	return info
}

// ReadHolder returns who holds the index in dir, and whether anyone does.
func ReadHolder(dir string) (LockInfo, bool, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return LockInfo{}, false, nil
	}
	if err != nil {
		return LockInfo{}, false, err
	}
	defer f.Close()
	held, err := tryLock(f)
	if err != nil || !held {
		return LockInfo{}, false, err
	}
	return readLockInfo(path), true, nil
}

// SetHolder replaces what LOCK says of the holder (a serve that now knows its
// address).
func (ix *Index) SetHolder(info LockInfo) error {
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	if info.Since.IsZero() {
		info.Since = time.Now().UTC()
	}
	return writeLockInfo(ix.lock, info)
}

// generation metadata, in g-…/meta.json.
type genMeta struct {
	Schema int       `json:"schema"`
	Shards int       `json:"shards"`
	Built  time.Time `json:"built"`
	Docs   int       `json:"docs"`
}

func readCurrent(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "current"))
	if err != nil {
		return "", err
	}
	name := strings.TrimSpace(string(b))
	if !strings.HasPrefix(name, "g-") || strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("current names %q, not a generation", name)
	}
	return name, nil
}

// openCurrent opens the generation current names, checked; one found damaged
// is marked so.
func (ix *Index) openCurrent(ctx context.Context) (g *generation, err error) {
	name, err := readCurrent(ix.opts.Dir)
	if err != nil {
		return nil, err
	}
	g, err = openGeneration(ix.opts.Dir, name)
	if err != nil && errors.Is(err, ErrDamaged) {
		markDamaged(filepath.Join(ix.opts.Dir, name), err)
	}
	return g, err
}

const positionKey = "gongshi-ledger-position"

// openGeneration opens a generation's shards and checks their files against
// their checksums. A corrupt index can make bleve panic rather than fail: that is
// an error here too. Every error of a generation that exists wraps ErrDamaged.
func openGeneration(dir, name string) (g *generation, err error) {
	g, err = openShards(dir, name)
	if err != nil {
		if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil && !errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		return nil, err
	}
	if err := g.verify(); err != nil {
		g.close()
		return nil, fmt.Errorf("generation %s: %w", name, err)
	}
	return g, nil
}

func openShards(dir, name string) (g *generation, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("opening generation %s panicked: %v", name, p)
			if g != nil {
				for _, sh := range g.shards {
					sh.Close()
				}
				g = nil
			}
		}
	}()
	gdir := filepath.Join(dir, name)
	if isMarkedDamaged(gdir) {
		return nil, fmt.Errorf("%w: generation %s was found damaged before", ErrDamaged, name)
	}
	b, err := os.ReadFile(filepath.Join(gdir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var meta genMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("%s/meta.json: %w", name, err)
	}
	if meta.Schema != schemaVersion {
		return nil, fmt.Errorf("%s has schema %d, this version builds %d", name, meta.Schema, schemaVersion)
	}
	if meta.Shards < 1 || meta.Shards > 64 {
		return nil, fmt.Errorf("%s/meta.json: %d shards", name, meta.Shards)
	}
	g = &generation{name: name, dir: gdir, pos: -1, sched: map[string]time.Time{}}
	for k := range meta.Shards {
		sh, err := bleve.OpenUsing(filepath.Join(gdir, fmt.Sprintf("shard-%d", k)), map[string]interface{}{
			"bolt_timeout": "1s",
		})
		if err != nil {
			for _, s := range g.shards {
				s.Close()
			}
			return nil, fmt.Errorf("%s shard %d: %w", name, k, err)
		}
		g.shards = append(g.shards, sh)
		v, err := sh.GetInternal([]byte(positionKey))
		if err != nil {
			g.closeShards()
			return nil, fmt.Errorf("%s shard %d: %w", name, k, err)
		}
		p, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			g.closeShards()
			return nil, fmt.Errorf("%s shard %d: no ledger position (%q)", name, k, v)
		}
		// Shards apply each batch one after the other; after a crash between two,
		// the least far is where to go on from (applying again is harmless).
		if g.pos < 0 || p < g.pos {
			g.pos = p
		}
	}
	return g, nil
}

func (g *generation) close() {
	g.refs.Lock()
	defer g.refs.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	g.closeShards()
}

func (g *generation) closeShards() {
	for _, sh := range g.shards {
		_ = sh.Close()
	}
}

// shardOf is the shard a record lives in: a hash of its id, so that every
// process and every rebuild agree.
func shardOf(id string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// Close closes the index and releases it for other processes. A rebuild running
// in the background is stopped (the next open finds the index damaged again).
func (ix *Index) Close() error {
	if ix.closed.Swap(true) {
		return nil
	}
	ix.bgCancel()
	ix.bg.Wait()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if g := ix.gen.Load(); g != nil {
		g.close()
	}
	return ix.lock.Close()
}

// Search answers req as req.Viewer may see the archive now.
func (ix *Index) Search(ctx context.Context, req Request) (Result, error) {
	if ix.closed.Load() {
		return Result{}, ErrClosed
	}
	now := ix.opts.Now()
	if err := ix.settle(ctx, now); err != nil {
		return Result{}, err
	}
	g, err := ix.hold()
	if err != nil {
		return Result{}, err
	}
	var res Result
	err = guarded(func() error {
		v, err := acquire(g.shards, &ix.caches)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		defer v.release()
		eng := ix.eng
		eng.shards = g.shards
		res, err = eng.search(ctx, v, req, now)
		return err
	})
	g.refs.RUnlock()
	if err != nil {
		return Result{}, ix.suspect(g, err)
	}
	return res, nil
}

// settle re-decides the visibility of the records whose moment has come by now.
func (ix *Index) settle(ctx context.Context, now time.Time) error {
	if due := ix.nextDue.Load(); due != 0 && now.UnixMilli() >= due {
		return ix.refresh(ctx, now)
	}
	return nil
}

// Version names the state searches answer from now. It first re-decides what
// the clock has changed (as Search does: a window that opened or closed), then
// returns a number that changes with every change of what any search may
// answer — ledger entries applied, a record's visibility re-decided at its
// moment, a generation swapped in or taken out of service — and with nothing
// else. The ledger position alone does not say it: windows open and close by
// the clock, with no entry. An answer computed after Version returned v may be
// kept and served as long as Version returns v; a search that began after a
// change sees it.
func (ix *Index) Version(ctx context.Context) (uint64, error) {
	if ix.closed.Load() {
		return 0, ErrClosed
	}
	if err := ix.settle(ctx, ix.opts.Now()); err != nil {
		return 0, err
	}
	return ix.version.Load(), nil
}

// hold returns the live generation, held for reading; ErrUnavailable while there
// is none (a damaged one is being rebuilt).
func (ix *Index) hold() (*generation, error) {
	for {
		g := ix.gen.Load()
		if g == nil {
			if ix.closed.Load() {
				return nil, ErrClosed
			}
			return nil, fmt.Errorf("search: %w", ErrUnavailable)
		}
		g.refs.RLock()
		if !g.closed && ix.gen.Load() == g {
			return g, nil
		}
		g.refs.RUnlock()
		if ix.closed.Load() {
			return nil, ErrClosed
		}
	}
}

// Status says how current the index is.
func (ix *Index) Status() Status {
	if s := ix.status.Load(); s != nil {
		return *s
	}
	return Status{}
}

func (ix *Index) setStatus(change func(*Status)) {
	s := ix.Status()
	change(&s)
	s.Generation, s.Applied, s.Docs = "", 0, 0
	if g := ix.gen.Load(); g != nil {
		s.Generation, s.Applied = g.name, g.pos
		var n uint64
		for _, sh := range g.shards {
			c, _ := sh.DocCount()
			n += c
		}
		s.Docs = n
	}
	s.Lag = max(s.LedgerSize-s.Applied, 0)
	s.Version = ix.version.Load()
	s.NextChange = time.Time{}
	if ms := ix.nextDue.Load(); ms != 0 {
		s.NextChange = time.UnixMilli(ms)
	}
	ix.status.Store(&s)
}

// maxApply bounds the ledger entries one Poll applies, so that a long catch-up
// shows progress and keeps its memory small.
const maxApply = 20000

// Poll applies what the ledger gained since the last call (at most maxApply
// entries), and swaps in a generation that a rebuild made meanwhile. It returns
// how many entries it applied.
func (ix *Index) Poll(ctx context.Context) (int, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed.Load() {
		return 0, ErrClosed
	}
	n, err := ix.poll(ctx)
	ix.setStatus(func(s *Status) {
		s.LastPoll = time.Now()
		s.LastError = ""
		if err != nil {
			s.LastError = err.Error()
		}
	})
	return n, err
}

func (ix *Index) poll(ctx context.Context) (int, error) {
	if !ix.recovering {
		if err := ix.swapIfRebuilt(ctx); err != nil {
			ix.opts.Log.Warn("search: a rebuilt index does not open; keeping the live one", "err", err)
		}
		if g := ix.gen.Load(); g == nil || ix.currentDamaged() {
			ix.recoverInBackground() // a recovery that failed: try again
		}
	}
	g := ix.gen.Load()
	if g == nil {
		return 0, nil // the recovery brings a generation, caught up
	}
	return ix.pollOn(ctx, g)
}

// pollOn applies to g what the ledger gained since g's position (at most
// maxApply entries). Called with ix.mu held.
func (ix *Index) pollOn(ctx context.Context, g *generation) (int, error) {
	size, err := ix.opts.Source.Size(ctx)
	if err != nil {
		return 0, fmt.Errorf("search: ledger size: %w", err)
	}
	ix.setStatus(func(s *Status) { s.LedgerSize = size })
	if g.pos >= size {
		return 0, nil
	}
	end := min(size, g.pos+maxApply)
	ch := map[string]Hint{}
	var order []string
	projects := map[string]bool{}
	err = ix.opts.Source.Changes(ctx, g.pos, end, func(c Change) error {
		if c.Record != "" {
			if _, ok := ch[c.Record]; !ok {
				order = append(order, c.Record)
			}
			ch[c.Record] = Hint{Version: max(ch[c.Record].Version, c.Version)}
		}
		if c.Project != "" {
			projects[c.Project] = true
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("search: ledger entries from %d: %w", g.pos, err)
	}
	if len(projects) > 0 {
		if f, ok := ix.opts.Source.(interface{ forgetProject(string) }); ok {
			for p := range projects {
				f.forgetProject(p)
			}
		}
		ids, err := ix.idsOfProjects(g, projects)
		if err != nil {
			return 0, err
		}
		for _, id := range ids {
			if _, ok := ch[id]; !ok {
				ch[id] = Hint{}
				order = append(order, id)
			}
		}
	}
	if err := ix.apply(ctx, g, order, ch, end); err != nil {
		return 0, err
	}
	n := int(end - g.pos)
	g.pos = end // the shards have it stored already
	return n, nil
}

// CatchUp polls until the index has applied the whole ledger.
func (ix *Index) CatchUp(ctx context.Context) error {
	for {
		n, err := ix.Poll(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// Follow polls every interval until ctx ends, logging (not returning) the errors
// of single polls: the index keeps answering from what it has. Every
// Options.VerifyEvery it checks the live generation's files (Verify).
func (ix *Index) Follow(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	lastCheck := time.Now()
	for {
		if ix.opts.VerifyEvery > 0 && time.Since(lastCheck) >= ix.opts.VerifyEvery {
			lastCheck = time.Now()
			if err := ix.Verify(ctx); err != nil && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrDamaged) {
				ix.opts.Log.Warn("search: checking the index files", "err", err)
			}
		}
		if n, err := ix.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ix.opts.Log.Warn("search: following the ledger", "err", err)
		} else if n == maxApply {
			continue // more to apply: no pause
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// loadWorkers is how many records are read from the source at once: the reads
// wait on the store (a disk, a network), not on the processor.
const loadWorkers = 16

// loaded is one record read from the source.
type loaded struct {
	id   string
	doc  Doc
	gone bool
	err  error
}

// load reads the records of ids from the source, in parallel, calling fn with each
// (in no particular order) from one goroutine.
func load(ctx context.Context, src Source, ids []string, hints map[string]Hint, fn func(loaded) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	out := make(chan loaded, loadWorkers)
	var wg sync.WaitGroup
	for range loadWorkers {
		wg.Go(func() {
			for id := range jobs {
				d, err := src.Doc(ctx, id, hints[id])
				l := loaded{id: id, doc: d}
				switch {
				case errors.Is(err, ErrGone):
					l.gone = true
				case err != nil:
					l.err = err
				}
				select {
				case out <- l:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, id := range ids {
			select {
			case jobs <- id:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(out) }()
	var first error
	for l := range out {
		if first != nil {
			continue
		}
		if l.err != nil {
			first = fmt.Errorf("search: record %s: %w", l.id, l.err)
			cancel()
			continue
		}
		if err := fn(l); err != nil {
			first = err
			cancel()
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// indexer makes index documents.
type indexer struct {
	cat *archive.Catalogue
}

// apply loads the records of ids and writes them (or their deletion) to g's
// shards, with the new position end.
func (ix *Index) apply(ctx context.Context, g *generation, ids []string, hints map[string]Hint, end int64) error {
	now := ix.opts.Now()
	batches := make([]*bleve.Batch, len(g.shards))
	for k, sh := range g.shards {
		batches[k] = sh.NewBatch()
	}
	in := indexer{cat: ix.opts.Catalogue}
	until := map[string]time.Time{}
	err := load(ctx, ix.opts.Source, ids, hints, func(l loaded) error {
		b := batches[shardOf(l.id, len(g.shards))]
		if l.gone {
			b.Delete(l.id)
			until[l.id] = time.Time{}
			return nil
		}
		doc, u, err := in.toIndex(l.doc, now)
		if err != nil {
			return err
		}
		until[l.id] = u
		return b.IndexAdvanced(doc)
	})
	if err != nil {
		return err
	}
	pos := []byte(strconv.FormatInt(end, 10))
	errs := make([]error, len(g.shards))
	var wg sync.WaitGroup
	for k, sh := range g.shards {
		batches[k].SetInternal([]byte(positionKey), pos)
		wg.Go(func() { errs[k] = sh.Batch(batches[k]) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("search: writing the index: %w", err)
	}
	for id, u := range until {
		if u.IsZero() {
			delete(g.sched, id)
		} else {
			g.sched[id] = u
		}
	}
	ix.updateDue(g)
	return nil
}

// updateDue notes when g's next visibility change is due, after every change of
// what searches answer (entries applied, a refresh, a generation made live):
// it moves the Version, once the change is searchable.
func (ix *Index) updateDue(g *generation) {
	defer ix.version.Add(1)
	var next int64
	for _, t := range g.sched {
		if ms := t.UnixMilli(); next == 0 || ms < next {
			next = ms
		}
	}
	ix.nextDue.Store(next)
}

// idsOfProjects lists the ids of the records of the projects in the index.
func (ix *Index) idsOfProjects(g *generation, projects map[string]bool) ([]string, error) {
	v, err := acquire(g.shards, &ix.caches)
	if err != nil {
		return nil, err
	}
	defer v.release()
	var out []string
	codes := make([]string, 0, len(projects))
	for p := range projects {
		codes = append(codes, p)
	}
	for _, sv := range v.segs {
		bm, err := sv.union(fProject, codes)
		if err != nil {
			return nil, err
		}
		if sv.deleted != nil {
			bm.AndNot(sv.deleted)
		}
		for it := bm.Iterator(); it.HasNext(); {
			id, err := sv.seg.DocID(uint64(it.Next()))
			if err != nil {
				return nil, err
			}
			out = append(out, string(id))
		}
	}
	return out, nil
}

// refresh re-decides the visibility of the records whose moment has come (a
// window opened or closed), from what the index stored of them.
func (ix *Index) refresh(ctx context.Context, now time.Time) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	g := ix.gen.Load()
	if g == nil {
		return nil
	}
	var due []string
	for id, t := range g.sched {
		if !now.Before(t) {
			due = append(due, id)
		}
	}
	if len(due) == 0 {
		ix.updateDue(g)
		return nil
	}
	slices.Sort(due)
	in := indexer{cat: ix.opts.Catalogue}
	batches := make([]*bleve.Batch, len(g.shards))
	for k, sh := range g.shards {
		batches[k] = sh.NewBatch()
	}
	for _, id := range due {
		sh := g.shards[shardOf(id, len(g.shards))]
		doc, err := sh.Document(id)
		if err != nil {
			return fmt.Errorf("search: refresh %s: %w", id, err)
		}
		delete(g.sched, id)
		if doc == nil {
			continue
		}
		var s storedDoc
		found := false
		doc.VisitFields(func(f indexField) {
			if f.Name() == fSource {
				found = json.Unmarshal(f.Value(), &s) == nil
			}
		})
		if !found {
			return fmt.Errorf("search: refresh %s: no stored record", id)
		}
		d := Doc{Record: s.record(), State: s.state(),
			Project: archive.Project{Code: s.Project, Name: s.ProjectName, City: s.City, District: s.District}}
		idoc, u, err := in.toIndex(d, now)
		if err != nil {
			return err
		}
		if !u.IsZero() {
			g.sched[id] = u
		}
		if err := batches[shardOf(id, len(g.shards))].IndexAdvanced(idoc); err != nil {
			return err
		}
	}
	for k, sh := range g.shards {
		if batches[k].Size() > 0 {
			if err := sh.Batch(batches[k]); err != nil {
				return fmt.Errorf("search: refresh: %w", err)
			}
		}
	}
	ix.updateDue(g)
	return nil
}
