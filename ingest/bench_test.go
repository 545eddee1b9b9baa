package ingest

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/blob/s3"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// benchBatch makes n signed PDFs of about size bytes in a temporary folder.
func benchBatch(b *testing.B, n, size int) (string, []Row, *TrustRoots) {
	return benchBatchT(b, n, size)
}

func benchBatchT(b testing.TB, n, size int) (string, []Row, *TrustRoots) {
	b.Helper()
	pki, err := pdftest.NewPKI("吉林省电子政务根证书", "长春市房屋征收经办中心", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var rows []Row
	for i := range n {
		doc, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: 2, Size: size, Title: fmt.Sprintf("doc %d %d", i, rand.Int())}),
			pki.Signer, []*x509.Certificate{pki.Root.Cert}, time.Date(2026, 3, 18, 9, 0, 0, 0, time.UTC))
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("征收文件-%04d.pdf", i)
		if err := os.WriteFile(filepath.Join(dir, name), doc, 0o644); err != nil {
			b.Fatal(err)
		}
		meta := decisionMeta()
		meta.DocNumber = fmt.Sprintf("长征补〔2026〕%d号", i+1)
		rows = append(rows, Row{Line: i + 2, File: name, Meta: meta})
	}
	roots := mustTrustRoots(b, pki.Root.Cert)
	return dir, rows, roots
}

func benchStore(b *testing.B, backend string) blob.Store {
	b.Helper()
	if backend == "fs" {
		st, err := fs.Open(b.TempDir(), fs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	srv := testenv.S3(b)
	st, err := s3.Open(context.Background(), s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: fmt.Sprintf("gongshi-bench-%08x", rand.Uint32()), Insecure: true, Mode: blob.Governance})
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// digestOnly reads and digests every file of the batch, one after another (the
// Digester hashes SHA-256 and SM3 on two cores): the speed limit of ingest.
func digestOnly(b *testing.B, dir string, rows []Row) (time.Duration, int64) {
	start := time.Now()
	var total int64
	for _, d := range fileDigests(b, dir, rows) {
		total += d.Size
	}
	return time.Since(start), total
}

func benchmarkIngest(b *testing.B, n, size int) {
	dir, rows, roots := benchBatch(b, n, size)
	for _, backend := range []string{"fs", "s3"} {
		b.Run(backend, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				st := benchStore(b, backend)
				// As the command files: every record is appended to the ledger.
				key, err := ledger.GenerateKeyFile(filepath.Join(b.TempDir(), "ledger.key"), "bench.gongshi.example")
				if err != nil {
					b.Fatal(err)
				}
				a := archive.New(st, archive.Options{Journal: ledger.New(st, ledger.Options{Key: key})})
				if _, err := a.CreateProject(context.Background(), archive.Project{Code: "CC-2026-001", Name: "基准测试项目", City: "长春市"}); err != nil {
					b.Fatal(err)
				}
				f := NewFiler(a, st, Options{Inspector: NewInspector(InspectorOptions{Roots: roots}),
					Numbering: &Numbering{Fonds: "Z109", Category: "WS"}})
				dOnly, total := digestOnly(b, dir, rows)
				self0, server0 := cpuTime(b, "self"), serverCPU(b, backend)
				b.StartTimer()
				s := f.Batch(context.Background(), dir, rows, benchWorkers(), nil)
				b.StopTimer()
				self, server := cpuTime(b, "self")-self0, serverCPU(b, backend)-server0
				if s.Filed != n {
					b.Fatalf("filed %d of %d: %+v", s.Filed, n, s.Results[0])
				}
				secs := s.Elapsed.Seconds()
				mbs := float64(total) / 1e6 / secs
				digestMBs := float64(total) / 1e6 / dOnly.Seconds()
				b.ReportMetric(float64(n)/secs, "docs/s")
				b.ReportMetric(mbs, "MB/s")
				b.ReportMetric(digestMBs, "digest-MB/s")
				b.ReportMetric(mbs/digestMBs, "ratio")
				// Cores kept busy on average, by this process and by the S3 server:
				// how far the run is from being CPU-bound on this machine.
				b.ReportMetric(self.Seconds()/secs, "client-cores")
				if server0 >= 0 {
					b.ReportMetric(server.Seconds()/secs, "server-cores")
				}
				st.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkIngestSmall: 1,000 signed PDFs of about 100 KB.
func BenchmarkIngestSmall(b *testing.B) { benchmarkIngest(b, 1000, 100<<10) }

// BenchmarkIngestLarge: 10 signed PDFs of about 200 MB.
func BenchmarkIngestLarge(b *testing.B) { benchmarkIngest(b, 10, 200<<20) }

// benchWorkers is the batch's parallelism: GONGSHI_BENCH_WORKERS, else the
// command's default (one per core).
func benchWorkers() int {
	if n, err := strconv.Atoi(os.Getenv("GONGSHI_BENCH_WORKERS")); err == nil && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// cpuTime is the CPU time (user and system, all threads) that process pid ("self"
// for this one) has used, from /proc/<pid>/stat.
func cpuTime(b *testing.B, pid string) time.Duration {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		b.Fatalf("cpu time of %s: %v", pid, err)
	}
	// The command name, in parentheses, may hold spaces: fields count after it.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("cpu time of %s: cannot parse %q", pid, s)
	}
	// Clock ticks are 1/100 s on Linux (USER_HZ, fixed by the kernel ABI).
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// serverCPU is the CPU time of the S3 server when it runs on this machine and
// scripts/bench named it (GONGSHI_TEST_S3_PID), else -1.
func serverCPU(b *testing.B, backend string) time.Duration {
	pid := os.Getenv("GONGSHI_TEST_S3_PID")
	if backend != "s3" || pid == "" {
		return -1
	}
	return cpuTime(b, pid)
}
