package ingest

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// The scheduler never starts a job whose cost does not fit beside the running
// ones, starts the most expensive first, and pairs it with cheap ones rather
// than with the next most expensive.
func TestSchedulerKeepsWithinBudget(t *testing.T) {
	costs := []int64{10, 60, 60, 5, 5, 30, 1, 55}
	var jobs []job
	for i, c := range costs {
		jobs = append(jobs, job{row: i, cost: c})
	}
	s := newScheduler(context.Background(), jobs, 100)
	var mu sync.Mutex
	var running []int64
	var order []int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				tk, ok := s.take()
				if !ok {
					return
				}
				mu.Lock()
				order = append(order, tk.cost)
				running = append(running, tk.cost)
				var sum int64
				for _, c := range running {
					sum += c
				}
				if sum > 100 {
					t.Errorf("running %v: %d over the budget of 100", running, sum)
				}
				mu.Unlock()
				time.Sleep(time.Duration(tk.cost) * 100 * time.Microsecond)
				mu.Lock()
				for k, c := range running {
					if c == tk.cost {
						running = append(running[:k], running[k+1:]...)
						break
					}
				}
				mu.Unlock()
				s.release(tk)
			}
		})
	}
	wg.Wait()
	if len(order) != len(costs) {
		t.Fatalf("took %d jobs of %d", len(order), len(costs))
	}
	if order[0] != 60 {
		t.Errorf("first job cost %d, want the most expensive (60); order %v", order[0], order)
	}
}

// A cancelled batch stops handing out work, also to a worker that waits for
// memory.
func TestSchedulerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := newScheduler(ctx, []job{{row: 0, cost: 80}, {row: 1, cost: 80}}, 100)
	first, ok := s.take()
	if !ok {
		t.Fatal("no first job")
	}
	got := make(chan bool)
	go func() {
		_, ok := s.take() // waits: 80 + 80 > 100
		got <- ok
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if <-got {
		t.Error("a job was handed out after cancel")
	}
	s.release(first)
}

// heapPeak samples the live and not yet collected heap until stop is closed and
// returns its highest value.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-stop:
				out <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return out
}

// A batch of files that each need most of the memory budget is inspected one
// file at a time, on two workers: the test process's heap (sampled every
// millisecond, garbage included) stays within the budget over the whole batch.
// Without the budget the two workers parse two at once.
func TestBatchOfHugeFilesStaysWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("parses four files of 40,000 objects")
	}
	dir := t.TempDir()
	var manifest strings.Builder
	manifest.WriteString("file,project,type,title,doc_number,date,issuer\n")
	var one estimate
	for i := range 4 {
		name := fmt.Sprintf("清册%d.pdf", i)
		doc := pdftest.Document(pdftest.Options{Objects: 40000 + i})
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		g, _ := os.Open(filepath.Join(dir, name))
		one = estimateFile(g, int64(len(doc)))
		g.Close()
		fmt.Fprintf(&manifest, "%s,CC-2026-001,decision,房屋征收清册 %d,长征补〔2026〕12号,2026-03-18,长春市南关区人民政府\n", name, i)
	}
	mpath := filepath.Join(t.TempDir(), "m.csv")
	if err := os.WriteFile(mpath, []byte(manifest.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := ReadManifest(mpath, dir, ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	budget := one.bytes() * 3 / 2 // room for one file at a time
	f, _, _ := newTestFiler(t, nil)
	f.in = NewInspector(InspectorOptions{MemoryBudget: budget})
	var limits []int64
	var limitsMu sync.Mutex
	f.setLimit = func(n int64) { limitsMu.Lock(); limits = append(limits, n); limitsMu.Unlock() }

	runtime.GC()
	var base metrics.Sample
	base.Name = "/memory/classes/heap/objects:bytes"
	s := []metrics.Sample{base}
	metrics.Read(s)
	stop := make(chan struct{})
	peak := heapPeak(stop)
	sum := f.Batch(context.Background(), dir, rows, 2, nil)
	close(stop)
	used := int64(<-peak - s[0].Value.Uint64())
	t.Logf("4 files of %d objects, estimate %d MiB each, budget %d MiB: peak heap %d MiB above the start",
		one.objects, one.bytes()>>20, budget>>20, used>>20)
	if sum.Filed != 4 {
		t.Fatalf("filed %d of 4: %+v", sum.Filed, sum.Results)
	}
	if used > budget {
		t.Errorf("the batch's heap peaked at %d MiB, over its budget of %d MiB", used>>20, budget>>20)
	}
	// The soft memory limit followed the files inspected: one at a time, so
	// never more than one file's need above the lowest limit, and lifted at
	// the end.
	if len(limits) < 9 || limits[len(limits)-1] != math.MaxInt64 {
		t.Fatalf("memory limits %v: want one per start and end of a file, then none", limits)
	}
	lowest := slices.Min(limits)
	for _, n := range limits[:len(limits)-1] {
		if n-lowest > one.bytes() {
			t.Errorf("memory limit %d MiB, more than one file (%d MiB) above the lowest %d MiB", n>>20, one.bytes()>>20, lowest>>20)
		}
	}
}

// A file that needs more than the whole budget is refused for that reason, and
// nothing is stored.
func TestOverBudgetIsRefused(t *testing.T) {
	fx := getFixtures(t)
	f, _, st := newTestFiler(t, nil)
	f.in = NewInspector(InspectorOptions{Roots: fx.roots, MemoryBudget: 2 << 20})
	res, err := f.File(context.Background(), fx.files["thousands"], decisionMeta())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusRejected || len(res.Reasons) != 1 || !strings.Contains(res.Reasons[0], "memory budget") {
		t.Fatalf("status %s reasons %q, want rejected for the memory budget", res.Status, res.Reasons)
	}
	st.List(context.Background(), "", "", func(info blob.Info) error {
		if !strings.HasPrefix(info.Key, "projects/") {
			t.Errorf("stored %s for a refused file", info.Key)
		}
		return nil
	})
}
