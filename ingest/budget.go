package ingest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// estimate is what inspecting one file is expected to need, from what can be
// read of it without parsing it: its size and the object count its last
// cross-reference section declares.
type estimate struct {
	// size is the file's size in bytes.
	size int64
	// objects is the object count the file declares (/Size of its last
	// trailer or cross-reference stream), 0 when none was found.
	objects int64
	// pdf is false for a file that is not a PDF: it is only read for its
	// digests, which needs no memory to speak of.
	pdf bool
}

var (
	startxrefTailRe = regexp.MustCompile(`startxref\s+(\d+)\s*%%EOF`)
	sizeEntryRe     = regexp.MustCompile(`/Size\s+(\d+)`)
)

// estimateFile reads what it needs for an estimate of the PDF in f: the last
// 4 KiB (after 1 KiB at the start, for the format: the trailer of a classic cross-reference table, and the offset after
// startxref) and 4 KiB at that offset (the dictionary of a cross-reference
// stream). Two small reads; nothing is parsed.
func estimateFile(f io.ReaderAt, size int64) estimate {
	e := estimate{size: size, pdf: sniff(readSome(f, 0, min(size, 1024))) == FormatPDF}
	if !e.pdf {
		return e
	}
	tail := readSome(f, max(size-4096, 0), min(size, 4096))
	found := func(b []byte) {
		for _, m := range sizeEntryRe.FindAllSubmatch(b, -1) {
			if n, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil {
				e.objects = max(e.objects, n)
			}
		}
	}
	if i := bytes.LastIndex(tail, []byte("trailer")); i >= 0 {
		found(tail[i:])
	}
	if m := lastSubmatch(startxrefTailRe, tail); m != nil {
		if off, err := strconv.ParseInt(string(m[1]), 10, 64); err == nil && off >= 0 && off < size {
			head := readSome(f, off, min(size-off, 4096))
			if i := bytes.Index(head, []byte(">>")); i >= 0 {
				head = head[:i]
			}
			found(head)
		}
	}
	return e
}

func readSome(f io.ReaderAt, off, n int64) []byte {
	buf := make([]byte, n)
	k, _ := f.ReadAt(buf, off)
	return buf[:k]
}

func lastSubmatch(re *regexp.Regexp, b []byte) [][]byte {
	all := re.FindAllSubmatch(b, -1)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

// pdfLimits are pdfcpu's resource limits for a file of estimate e. The
// estimate trusts the object count the file declares; a cross-reference stream
// that expands to more entries than that is stopped by pdfcpu at what the whole
// budget affords. (A classic cross-reference table has no such limit in pdfcpu,
// but each of its entries takes 20 bytes of the file: its objects are bounded
// by the file's size.)
func (in *Inspector) pdfLimits(e estimate) model.ResourceLimits {
	l := model.DefaultResourceLimits()
	if in.budget > 0 {
		n := int(max(in.budget/costPerObject, e.objects, 1024))
		l.MaxObjectCount = min(l.MaxObjectCount, n)
		l.MaxXRefEntries = min(l.MaxXRefEntries, n)
	}
	return l
}

// What inspecting a file costs in memory, measured with pdfcpu v0.15.0 on the
// real-world batch of docs/benchmarks.md and on generated files of a million
// small objects (peak Go heap while one file is inspected, garbage included, at
// the default GOGC): 2.3–2.9 KB per object, and 2–3 times the file's size for
// its streams (pdfcpu holds each stream's bytes, and a file up to memoryMax is
// read into memory once besides). The estimate takes the top of both ranges.
const (
	costPerObject = 3 << 10
	costPerByte   = 3
	costBase      = 1 << 20
)

// bytes is the memory that inspecting the file is expected to need at its peak.
func (e estimate) bytes() int64 {
	if !e.pdf {
		return costBase
	}
	return costBase + costPerByte*e.size + costPerObject*e.objects
}

// ErrOverBudget: a file is expected to need more memory to inspect than the
// whole memory budget of the batch (Options.MemoryBudget). It is refused before
// it is parsed.
var ErrOverBudget = errors.New("the file is too large or has too many objects for the memory budget")

// DefaultMemoryBudget is the memory budget of a batch on this machine: half of
// its physical memory (the other half for the page cache, the store and the rest
// of the machine), or 2 GiB when the memory cannot be read.
func DefaultMemoryBudget() int64 {
	if m := physicalMemory(); m > 0 {
		return m / 2
	}
	return 2 << 30
}

// overBudget explains why a file of estimate e cannot be inspected within
// budget bytes, or is nil when it can.
func overBudget(e estimate, budget int64) error {
	if budget <= 0 || e.bytes() <= budget {
		return nil
	}
	return fmt.Errorf("%w: inspecting it needs about %s (%s, %d objects), the budget is %s (--memory-budget)",
		ErrOverBudget, mib(e.bytes()), mib(e.size), e.objects, mib(budget))
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", (n+1<<20-1)>>20) }

// scheduler hands a batch's files to its inspecting workers so that the files
// being inspected at once are expected to fit in the memory budget together.
// The queue is ordered by expected cost. A worker takes the most expensive file
// when no other worker holds one taken from that end, and the cheapest
// otherwise: two large files are not parsed at once while there are small ones
// to pair them with, and the largest start first, so that the batch ends on
// small files that spread over the workers. A file is started only when the
// memory it is expected to need is free; a worker that finds none waits for
// another to finish. Every queued file fits the budget alone (overBudget), and
// the batch is finite, so every file is started in the end.
type scheduler struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  []job // ascending cost
	budget int64
	used   int64
	large  int // running jobs taken from the expensive end
	done   bool
	// limit, when not nil, hears the memory the process should hold now:
	// base plus the running jobs' costs (Options.SetMemoryLimit).
	limit func(int64)
	base  int64
}

// job is one row of a batch with its estimate.
type job struct {
	row  int
	est  *estimate // nil when the file could not be estimated (the worker says why)
	cost int64
}

// taken is a job a worker holds, for release.
type taken struct {
	job
	large bool
}

func newScheduler(ctx context.Context, jobs []job, budget int64) *scheduler {
	s := &scheduler{queue: jobs, budget: budget}
	s.cond = sync.NewCond(&s.mu)
	slices.SortStableFunc(s.queue, func(a, b job) int { return cmp.Compare(a.cost, b.cost) })
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.done = true
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	return s
}

// take returns the next job to inspect, waiting until its memory is free; ok is
// false when the queue is empty or ctx is done.
func (s *scheduler) take() (t taken, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if s.done || len(s.queue) == 0 {
			return taken{}, false
		}
		fits := func(j job) bool { return s.used == 0 || s.budget <= 0 || s.used+j.cost <= s.budget }
		last := len(s.queue) - 1
		switch {
		case s.large == 0 && fits(s.queue[last]):
			t = taken{s.queue[last], true}
			s.queue = s.queue[:last]
		case fits(s.queue[0]):
			t = taken{s.queue[0], false}
			s.queue = s.queue[1:]
		default:
			s.cond.Wait()
			continue
		}
		s.used += t.cost
		if t.large {
			s.large++
		}
		s.setLimit()
		return t, true
	}
}

// setLimit tells the limit hook the memory the process should hold now.
func (s *scheduler) setLimit() {
	if s.limit != nil {
		s.limit(s.base + s.used)
	}
}

// release gives back the memory of a job whose inspection is over.
func (s *scheduler) release(t taken) {
	s.mu.Lock()
	s.used -= t.cost
	if t.large {
		s.large--
	}
	s.setLimit()
	s.cond.Broadcast()
	s.mu.Unlock()
}
