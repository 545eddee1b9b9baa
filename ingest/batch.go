package ingest

import (
	"context"
	"runtime"
	"sync"
	"time"
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

// Batch files the rows of a manifest from dir on workers goroutines (0 means
// one per core), in any order; Results come back in manifest order. It stops
// early only when ctx is done. Rows are independent: a re-run after any
// interruption files what the first run did not and reports the rest as
// already filed.
func (f *Filer) Batch(ctx context.Context, dir string, rows []Row, workers int, p Progress) Summary {
	start := time.Now()
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	results := make([]Result, len(rows))
	jobs := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				res, size := f.fileRow(ctx, dir, rows[i])
				results[i] = res
				if p != nil {
					mu.Lock()
					p.Done(res, size)
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range rows {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	s := Summary{Documents: len(rows), Elapsed: time.Since(start)}
	for i, r := range results {
		if r.Status == "" {
			continue // not started: ctx was cancelled
		}
		switch r.Status {
		case Filed:
			s.Filed++
		case AlreadyFiled:
			s.Already++
		case RejectedDoc:
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

func (f *Filer) fileRow(ctx context.Context, dir string, row Row) (Result, int64) {
	path, _ := ResolveIn(dir, row.File)
	if len(row.Problems) > 0 {
		return Result{Path: row.File, Status: RejectedDoc, Reasons: row.Problems}, 0
	}
	meta := row.Meta
	res, _ := f.File(ctx, path, meta) // an error is in res (status "error")
	res.Path = row.File
	var size int64
	if res.Inspection != nil {
		size = res.Inspection.Content.Size
	}
	return res, size
}
