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
	removeStale(opts.Dir, cur, opts.Log) // what an earlier, stopped rebuild left

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
	// The switch: current names the new generation, or (on a crash before the
	// rename) still the old one.
	if err := writeFileSync(filepath.Join(opts.Dir, "current.tmp"), []byte(name+"\n")); err != nil {
		return RebuildReport{}, err
	}
	if err := os.Rename(filepath.Join(opts.Dir, "current.tmp"), filepath.Join(opts.Dir, "current")); err != nil {
		return RebuildReport{}, fmt.Errorf("search: %w", err)
	}
	if err := syncDir(opts.Dir); err != nil {
		return RebuildReport{}, err
	}
	done = true
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
		chans[k] = make(chan *document.Document, 256)
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
	errs := []error{err}
	for _, sb := range shards {
		errs = append(errs, sb.close())
	}
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

// swapIfRebuilt opens the generation current names if it is not the live one,
// makes it live and closes the old one once its searches are done. Called with
// ix.mu held.
func (ix *Index) swapIfRebuilt(ctx context.Context) error {
	name, err := readCurrent(ix.opts.Dir)
	old := ix.gen.Load()
	if err != nil || old == nil || name == old.name {
		return nil
	}
	g, err := openGeneration(ix.opts.Dir, name)
	if err != nil {
		return err
	}
	if err := ix.loadSchedule(g); err != nil {
		g.close()
		return err
	}
	ix.gen.Store(g)
	ix.updateDue(g)
	ix.opts.Log.Info("search index swapped", "from", old.name, "to", name)
	go func() {
		old.close() // waits for the searches that hold it
		if err := os.RemoveAll(old.dir); err != nil {
			ix.opts.Log.Warn("search: removing the old index", "dir", old.dir, "err", err)
		}
	}()
	return nil
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

// cleanStale removes generations other than the live one, unless a rebuild is
// running (its generation is not live yet).
func cleanStale(dir, live string, log *slog.Logger) {
	lock, err := os.OpenFile(filepath.Join(dir, "REBUILD"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return
	}
	defer lock.Close()
	if held, err := tryLock(lock); err != nil || held {
		return
	}
	removeStale(dir, live, log)
}

func removeStale(dir, live string, log *slog.Logger) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "g-") && e.Name() != live {
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
