package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
)

type indexField = index.Field

// RebuildReport says what a rebuild made.
type RebuildReport struct {
	Generation string        `json:"generation"`
	Docs       int           `json:"records"`
	Position   int64         `json:"ledger_entries"` // ledger entries applied
	Took       time.Duration `json:"took_ns"`
	Bytes      int64         `json:"bytes"` // size on disk
}

// Reindex builds a fresh index from the source beside the live one, and makes it
// the live one: a process holding the index (a serve) swaps it in at its next Poll,
// while its searches go on. It does not need the index's LOCK, only REBUILD (one
// rebuild at a time). A rebuild that is stopped leaves the live index as it was.
func Reindex(ctx context.Context, opts Options) (RebuildReport, error) {
	if err := opts.fill(); err != nil {
		return RebuildReport{}, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return RebuildReport{}, fmt.Errorf("search: %w", err)
	}
	return rebuild(ctx, opts)
}

// Reindex rebuilds the index this process holds and swaps it in at once.
func (ix *Index) Reindex(ctx context.Context) (RebuildReport, error) {
	rep, err := rebuild(ctx, ix.opts)
	if err != nil {
		return rep, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	err = ix.swapIfRebuilt(ctx)
	ix.setStatus(func(*Status) {})
	return rep, err
}

// RebuildGCPercent is the garbage collector's setting (debug.SetGCPercent) that a
// command doing nothing but a rebuild may use: the builder allocates much and
// keeps little, and collecting a third as often saves a fifth of its processor
// time for some hundreds of MB more memory.
const RebuildGCPercent = 300

// ErrRebuilding: another rebuild of the same index is running.
var ErrRebuilding = errors.New("a rebuild of the search index is already running")

// rebuild makes a new generation and points current at it.
func rebuild(ctx context.Context, opts Options) (RebuildReport, error) {
	start := time.Now()
	lock, err := os.OpenFile(filepath.Join(opts.Dir, "REBUILD"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return RebuildReport{}, fmt.Errorf("search: %w", err)
	}
	defer lock.Close()
	held, err := tryLock(lock)
	if err != nil {
		return RebuildReport{}, fmt.Errorf("search: %w", err)
	}
	if held {
		return RebuildReport{}, ErrRebuilding
	}
	cur, _ := readCurrent(opts.Dir)
	prev := readPrevious(opts.Dir)
	removeStale(opts.Dir, opts.Log, cur, prev) // what an earlier, stopped rebuild left

	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := "g-" + time.Now().UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(suffix[:])
	gdir := filepath.Join(opts.Dir, name)
	if err := os.Mkdir(gdir, 0o750); err != nil {
		return RebuildReport{}, fmt.Errorf("search: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(gdir)
		}
	}()
	docs, pos, err := build(ctx, opts, gdir)
	if err != nil {
		return RebuildReport{}, err
	}
	meta, _ := json.Marshal(genMeta{Schema: schemaVersion, Shards: opts.Shards, Built: time.Now().UTC(), Docs: docs})
	if err := writeFileSync(filepath.Join(gdir, "meta.json"), meta); err != nil {
		return RebuildReport{}, err
	}
	if err := syncDir(gdir); err != nil {
		return RebuildReport{}, err
	}
	// The old generation, when whole, becomes the previous one: the fallback if
	// the new one is found damaged.
	if cur != "" && cur != prev && !isMarkedDamaged(filepath.Join(opts.Dir, cur)) {
		if _, err := os.Stat(filepath.Join(opts.Dir, cur, "meta.json")); err == nil {
			if err := replaceFile(opts.Dir, "previous", cur); err != nil {
				return RebuildReport{}, err
			}
			prev = cur
		}
	}
	// The switch: current names the new generation, or (on a crash before the
	// rename) still the old one.
	if err := replaceFile(opts.Dir, "current", name); err != nil {
		return RebuildReport{}, err
	}
	done = true
	// What is neither current nor previous is no one's: generations found
	// damaged, the previous one before this rebuild. (A holder still serving one
	// of them has it open; its files go when it closes them.)
	removeStale(opts.Dir, opts.Log, name, prev)
	rep := RebuildReport{Generation: name, Docs: docs, Position: pos, Took: time.Since(start), Bytes: dirSize(gdir)}
	opts.Log.Info("search index rebuilt", "generation", name, "docs", docs, "position", pos, "took", rep.Took)
	return rep, nil
}

// build fills gdir's shards from the source: every record the ledger names up to
// its current size, the latest version of each, with bleve's offline builder, one
// shard per core, in parallel.
func build(ctx context.Context, opts Options, gdir string) (int, int64, error) {
	size, err := opts.Source.Size(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("search: ledger size: %w", err)
	}
	// The whole ledger is read: a record no entry names the state of has none.
	hints := map[string]Hint{}
	var ids []string
	err = opts.Source.Changes(ctx, 0, size, func(c Change) error {
		if c.Record == "" {
			return nil
		}
		h, ok := hints[c.Record]
		if !ok {
			ids = append(ids, c.Record)
			h.Stateless = true
		}
		h.Version = max(h.Version, c.Version)
		h.Stateless = h.Stateless && !c.State
		hints[c.Record] = h
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("search: reading the ledger: %w", err)
	}
	mappingJSON, err := json.Marshal(newMapping())
	if err != nil {
		return 0, 0, fmt.Errorf("search: mapping: %w", err)
	}
	pos := []byte(strconv.FormatInt(size, 10))
	n := opts.Shards
	shards := make([]*shardBuilder, n)
	for k := range n {
		shards[k] = &shardBuilder{path: filepath.Join(gdir, fmt.Sprintf("shard-%d", k)), tmp: gdir,
			internal: map[string][]byte{"_mapping": mappingJSON, positionKey: pos}}
	}
	chans := make([]chan *document.Document, n)
	var wg sync.WaitGroup
	for k := range n {
		// A shard's builder analyzes and writes a segment when it has
		// builderBatch documents, in this goroutine; room for as many lets the
		// records be read and made into documents meanwhile, on the other core.
		chans[k] = make(chan *document.Document, builderBatch)
		wg.Go(func() {
			for doc := range chans[k] {
				shards[k].index(doc)
			}
		})
	}
	in := indexer{cat: opts.Catalogue}
	now := opts.Now()
	count := 0
	err = load(ctx, opts.Source, ids, hints, func(l loaded) error {
		if l.gone {
			return nil
		}
		doc, _, err := in.toIndex(l.doc, now)
		if err != nil {
			return err
		}
		chans[shardOf(l.id, n)] <- doc
		count++
		if opts.Progress != nil && (count%1000 == 0 || count == len(ids)) {
			opts.Progress(count, len(ids))
		}
		return nil
	})
	for k := range n {
		close(chans[k])
	}
	wg.Wait()
	// Each shard's segments are merged into one as it closes (about 30% of the
	// build's processor time at 40,000 records): the shards close at once, not
	// one after the other on one core.
	errs := make([]error, n+1)
	errs[0] = err
	var cw sync.WaitGroup
	for k, sb := range shards {
		cw.Go(func() { errs[k+1] = sb.close() })
	}
	cw.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, fmt.Errorf("search: building the index: %w", err)
	}
	return count, size, nil
}

// shardBuilder builds one shard with scorch's offline builder: documents are
// analyzed and written into segments of builderBatch documents, merged into one
// at the end. It is what bleve.NewBuilder does, given documents made field by
// field rather than mapped from values, and the ledger position with the mapping
// as the index's internal values.
type shardBuilder struct {
	path     string
	tmp      string
	internal map[string][]byte
	b        *scorch.Builder
	n        int
	err      error
}

// builderBatch is how many documents make a segment before the final merge: larger
// makes fewer merges and more memory.
const builderBatch = 8000

func (sb *shardBuilder) index(doc *document.Document) {
	if sb.err != nil {
		return
	}
	if sb.b == nil {
		if sb.err = os.MkdirAll(sb.path, 0o750); sb.err != nil {
			return
		}
		// What bleve.NewBuilder writes: the index's type and storage.
		if sb.err = os.WriteFile(filepath.Join(sb.path, "index_meta.json"), []byte(`{"storage":"scorch","index_type":"scorch"}`), 0o640); sb.err != nil {
			return
		}
		sb.b, sb.err = scorch.NewBuilder(map[string]interface{}{
			"path": filepath.Join(sb.path, "store"), "buildPathPrefix": sb.tmp,
			"batchSize": builderBatch, "internal": sb.internal,
		})
		if sb.err != nil {
			return
		}
	}
	sb.n++
	sb.err = sb.b.Index(doc)
}

// close finishes the shard; a shard that got no document is made empty.
func (sb *shardBuilder) close() error {
	if sb.err != nil {
		return sb.err
	}
	if sb.b != nil {
		return sb.b.Close()
	}
	sh, err := bleve.New(sb.path, newMapping())
	if err != nil {
		return err
	}
	for k, v := range sb.internal {
		if k == "_mapping" {
			continue
		}
		if err := sh.SetInternal([]byte(k), v); err != nil {
			sh.Close()
			return err
		}
	}
	return sh.Close()
}

// replaceFile makes dir/name hold value (a line), atomically and durably.
func replaceFile(dir, name, value string) error {
	tmp := filepath.Join(dir, name+".tmp")
	if err := writeFileSync(tmp, []byte(value+"\n")); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return syncDir(dir)
}

// swapIfRebuilt opens the generation current names if it is not the live one
// (nor one found damaged), makes it live and retires the old one once its
// searches are done. Called with ix.mu held.
func (ix *Index) swapIfRebuilt(ctx context.Context) error {
	name, err := readCurrent(ix.opts.Dir)
	old := ix.gen.Load()
	if err != nil || (old != nil && name == old.name) || isMarkedDamaged(filepath.Join(ix.opts.Dir, name)) {
		return nil
	}
	g, err := openGeneration(ix.opts.Dir, name)
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			markDamaged(filepath.Join(ix.opts.Dir, name), err)
		}
		return err
	}
	if err := ix.loadSchedule(g); err != nil {
		g.close()
		return err
	}
	ix.gen.Store(g)
	ix.updateDue(g)
	if old != nil {
		ix.opts.Log.Info("search index swapped", "from", old.name, "to", name)
		ix.retire(old)
	}
	return nil
}

// currentDamaged reports whether current names nothing usable: missing, or a
// generation found damaged.
func (ix *Index) currentDamaged() bool {
	name, err := readCurrent(ix.opts.Dir)
	return err != nil || isMarkedDamaged(filepath.Join(ix.opts.Dir, name))
}

// loadSchedule finds the records whose visibility changes at a moment.
func (ix *Index) loadSchedule(g *generation) error {
	v, err := acquire(g.shards, &ix.caches)
	if err != nil {
		return err
	}
	defer v.release()
	for _, sv := range v.segs {
		ft, err := sv.terms(fUntil)
		if err != nil {
			return err
		}
		for _, t := range ft.terms {
			when, ok := parseUntil(t.term)
			if !ok {
				continue
			}
			for it := t.bm.Iterator(); it.HasNext(); {
				n := it.Next()
				if sv.deleted != nil && sv.deleted.Contains(n) {
					continue
				}
				id, err := sv.seg.DocID(uint64(n))
				if err != nil {
					return err
				}
				g.sched[string(id)] = when
			}
		}
	}
	return nil
}

// cleanStale removes generations other than keep (the live and the previous
// one), unless a rebuild is running (its generation is not live yet).
func cleanStale(dir string, log *slog.Logger, keep ...string) {
	lock, err := os.OpenFile(filepath.Join(dir, "REBUILD"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return
	}
	defer lock.Close()
	if held, err := tryLock(lock); err != nil || held {
		return
	}
	removeStale(dir, log, keep...)
}

// removeStale removes the generations other than keep, and those of keep found
// damaged except the first (the live one, which its holder may still have open).
func removeStale(dir string, log *slog.Logger, keep ...string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		kept := false
		for i, k := range keep {
			if e.Name() == k && (i == 0 || !isMarkedDamaged(filepath.Join(dir, k))) {
				kept = true
			}
		}
		if e.IsDir() && strings.HasPrefix(e.Name(), "g-") && !kept {
			log.Info("search: removing a stale index generation", "dir", e.Name())
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("search: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("search: %w", err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
