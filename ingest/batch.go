package ingest

import (
	"context"
	"math"
	"os"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// Progress hears of each document as it is done. Calls come from the workers,
// one at a time.
type Progress interface {
	Done(res Result, bytes int64)
}

// Summary is the outcome of a batch.
type Summary struct {
	Documents int           `json:"documents"`
	Filed     int           `json:"filed"`
	Already   int           `json:"already_filed"`
	Rejected  int           `json:"rejected"`
	Errors    int           `json:"errors"`
	Bytes     int64         `json:"bytes"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	Results   []Result      `json:"results"`
}

// commitersPerWorker is how many documents may be committing at once for each
// inspecting worker. Inspection is CPU-bound and gets one worker per core;
// committing is mostly waiting for the store (flushes, round trips to S3), and
// waiters share: the filesystem store's Syncs and the ledger's group commits
// serve everyone waiting at once, so the more documents wait together, the
// fewer flushes each costs (docs/benchmarks.md, small documents into fs on a
// journaled ext4: 16 per worker filed 360–373 a second, 32 per worker 428–433,
// since each waits for a flush before each of its objects is named). A committer
// holds one open file and no copy of its content: ingest declares size and
// SHA-256, so both stores stream it (blob/s3 in one checked PUT up to 5 GiB,
// and in parts of 16 MiB, one buffered at a time, beyond).
const commitersPerWorker = 32

// Batch files the rows of a manifest from dir, inspecting on workers goroutines
// (0 means one per core) and committing on commitersPerWorker times as many, in
// any order; Results come back in manifest order. It stops early only when ctx
// is done. Rows are independent: a re-run after any interruption files what the
// first run did not and reports the rest as already filed.
func (f *Filer) Batch(ctx context.Context, dir string, rows []Row, workers int, p Progress) Summary {
	start := time.Now()
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	// Files are opened through the folder's os.Root: a symbolic link (or a
	// folder swapped for one) cannot lead a row outside the batch folder.
	root, rootErr := os.OpenRoot(dir)
	if rootErr == nil {
		defer root.Close()
	}
	results := make([]Result, len(rows))
	var mu sync.Mutex
	done := func(i int, res Result) {
		if res.Status == StatusError && ctx.Err() != nil {
			return // stopped, not decided: the next run files it
		}
		res.Path = rows[i].File
		results[i] = res
		if p != nil {
			var size int64
			if res.Inspection != nil {
				size = res.Inspection.Content.Size
			}
			mu.Lock()
			p.Done(res, size)
			mu.Unlock()
		}
	}
	// Each file is estimated before any is inspected (two small reads: see
	// estimateFile), so that the scheduler can order them by expected cost and
	// keep the files inspected at once within the memory budget.
	open := func(name string) (*os.File, error) {
		if rootErr != nil {
			return nil, rootErr
		}
		g, err := safefile.OpenIn(root, name)
		if err != nil {
			return nil, openInError(dir, name, err)
		}
		return g, nil
	}
	jobs := make([]job, 0, len(rows))
	for i, row := range rows {
		if ctx.Err() != nil {
			break // stopped before it began: the rows left are not started
		}
		j := job{row: i}
		if len(row.Problems) == 0 {
			if g, err := open(row.File); err == nil {
				if fi, err := g.Stat(); err == nil && fi.Mode().IsRegular() {
					e := estimateFile(g, fi.Size())
					j.est = &e
					if overBudget(e, f.in.budget) == nil {
						j.cost = e.bytes() // else it is refused at once, holding nothing
					}
				}
				g.Close()
			}
		}
		jobs = append(jobs, j)
	}
	sched := newScheduler(ctx, jobs, f.in.budget)
	if f.setLimit != nil {
		// What the process holds now, and 64 MiB for committing; restored to
		// no limit when the batch is over.
		m := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		metrics.Read(m)
		sched.limit, sched.base = f.setLimit, int64(m[0].Value.Uint64())+64<<20
		defer f.setLimit(math.MaxInt64)
	}
	// Two stages. Inspecting is paced by the scheduler, not by a plain bound on
	// goroutines: which file comes next depends on its expected cost and on the
	// memory the files being inspected hold (budget.go). Committing is a bounded
	// group that the inspectors feed: Go waits while workers*commitersPerWorker
	// documents are committing, so an inspector holds its prepared document (an
	// open file, no content) until one is done.
	var commits errgroup.Group
	commits.SetLimit(workers * commitersPerWorker)
	var inspectors sync.WaitGroup
	for range workers {
		inspectors.Go(func() {
			for {
				t, ok := sched.take()
				if !ok {
					return
				}
				i, row := t.row, rows[t.row]
				if len(row.Problems) > 0 {
					sched.release(t)
					done(i, Result{Status: StatusRejected, Reasons: row.Problems})
					continue
				}
				path, _ := ResolveIn(dir, row.File)
				pr, res, _ := f.prepareWith(ctx, path, func() (*os.File, error) { return open(row.File) }, row.Meta, t.est) // an error is in res
				sched.release(t)
				if res.Status != "" {
					done(i, res)
					continue
				}
				commits.Go(func() error {
					res, _ := f.commit(ctx, pr) // an error is in res
					done(i, res)
					return nil
				})
			}
		})
	}
	inspectors.Wait()
	commits.Wait()
	s := Summary{Documents: len(rows), Elapsed: time.Since(start)}
	for i, r := range results {
		if r.Status == "" {
			continue // not started: ctx was cancelled
		}
		switch r.Status {
		case StatusFiled:
			s.Filed++
		case StatusAlreadyFiled:
			s.Already++
		case StatusRejected:
			s.Rejected++
		default:
			s.Errors++
		}
		if r.Inspection != nil {
			s.Bytes += r.Inspection.Content.Size
		}
		s.Results = append(s.Results, results[i])
	}
	return s
}
