package transfer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/transfer"
)

// TestExportThroughput measures an export of a generated project beside the
// physical limit, in one run: cp -r of the same content objects (and sync), and
// the digests alone (SHA-256 and SM3 of the same bytes, which every export
// computes). Not a test of speed (no timed assertion): it prints the figures for
// docs/benchmarks.md. Run it with
//
//	GONGSHI_BENCH_EXPORT_MIB=2048 go test -run TestExportThroughput -v -timeout 60m ./transfer/
//
// (the size of the project in MiB, in files of GONGSHI_BENCH_EXPORT_FILE_MIB,
// default 64). Without the variable it is skipped.
func TestExportThroughput(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv("GONGSHI_BENCH_EXPORT_MIB"))
	if total <= 0 {
		t.Skip("set GONGSHI_BENCH_EXPORT_MIB to measure an export")
	}
	per := 64
	if v, _ := strconv.Atoi(os.Getenv("GONGSHI_BENCH_EXPORT_FILE_MIB")); v > 0 {
		per = v
	}
	w := newWorld(t)
	ctx := context.Background()
	n := max(1, total/per)
	size := int64(per) << 20
	t.Logf("generating %d records of %d MiB", n, per)
	for i := range n {
		r := io.MultiReader(bytes.NewReader([]byte("%PDF-1.7\n")), io.LimitReader(newRandom(uint64(i)), size-16), bytes.NewReader([]byte("\n%%EOF\n")))
		d, err := w.a.PutContent(ctx, r, size)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.a.CreateRecord(ctx, archive.Record{Project: "CC-2026-001", Type: "decision", Title: fmt.Sprintf("征收决定 %d", i),
			DocNumber: "长征补〔2026〕1号", Issuer: "长春市南关区人民政府", Date: archive.D(2026, 3, 18), Format: "pdf",
			FileName: "决定.pdf", Content: d}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	load := func() string { b, _ := os.ReadFile("/proc/loadavg"); return string(bytes.TrimSpace(b)) }
	mib := float64(int64(n)*size) / (1 << 20)

	// The physical limit: cp of the same objects, then sync.
	var blobs []string
	filepath.Walk(w.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Size() == size {
			blobs = append(blobs, p)
		}
		return nil
	})
	if len(blobs) != n {
		t.Fatalf("found %d content files, want %d", len(blobs), n)
	}
	exec.Command("sync").Run()
	start := time.Now()
	cpDir := filepath.Join(out, "cp")
	os.Mkdir(cpDir, 0o700)
	args := append([]string{"--"}, blobs...)
	if b, err := exec.Command("cp", append(args, cpDir)...).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, b)
	}
	exec.Command("sync").Run()
	cp := time.Since(start)

	// The digests alone, of the same bytes (from the page cache).
	start = time.Now()
	for _, p := range blobs {
		f, _ := os.Open(p)
		d := archive.NewDigester()
		io.CopyBuffer(d, f, make([]byte, 1<<20))
		f.Close()
	}
	digests := time.Since(start)

	// The export.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := uint64(0)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // heap in use, sampled
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
			}
		}
	}()
	start = time.Now()
	rep, err := w.export(t, "CC-2026-001", filepath.Join(out, "bag"))
	ex := time.Since(start)
	close(stop)
	<-done
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	chk, err := transfer.Check(ctx, filepath.Join(out, "bag"), w.key.Verifier)
	if err != nil || !chk.Valid {
		t.Fatalf("check: %+v %v", chk.Problems, err)
	}
	ck := time.Since(start)
	rate := func(d time.Duration) float64 { return mib / d.Seconds() }
	t.Logf("load %s; %d records, %.0f MiB", load(), n, mib)
	t.Logf("cp -r + sync:        %6.1f s  %6.0f MiB/s  (the physical limit)", cp.Seconds(), rate(cp))
	t.Logf("SHA-256+SM3 alone:   %6.1f s  %6.0f MiB/s", digests.Seconds(), rate(digests))
	t.Logf("gongshi export:      %6.1f s  %6.0f MiB/s  = %.2f× cp; heap in use at most %.1f MiB (before %.1f MiB)",
		ex.Seconds(), rate(ex), rate(ex)/rate(cp), float64(peak)/(1<<20), float64(before.HeapInuse)/(1<<20))
	t.Logf("gongshi export --check: %6.1f s  %6.0f MiB/s", ck.Seconds(), rate(ck))
	if rep.Bytes < int64(n)*size {
		t.Errorf("the bag has %d bytes of payload, want at least %d", rep.Bytes, int64(n)*size)
	}
}

// random is a fast stream of pseudo-random bytes (incompressible content).
type random struct{ r *rand.ChaCha8 }

func newRandom(seed uint64) io.Reader {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	return &random{rand.NewChaCha8(s)}
}

func (r *random) Read(p []byte) (int, error) { return r.r.Read(p) }
