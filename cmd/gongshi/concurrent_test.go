package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// envInt reads a whole number from the environment, or def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q: want a whole number", name, v)
	}
	return n
}

// Exactly once with any number of writers: several processes file overlapping
// manifests at the same time, rounds after rounds, some of them killed with
// SIGKILL in the middle; after the last round every filing is one record with
// one archival number and one ledger entry, the numbers have no gap, and the
// audit finds nothing wrong.
//
// In CI: 60 documents, 3 writers, 3 rounds (two with kills). A soak is the same
// with more: GONGSHI_CONCURRENT_FILES, _WRITERS, _ROUNDS (the last round never
// kills), GONGSHI_CONCURRENT_SEED to replay one, and GONGSHI_CONCURRENT_WHOLE=1
// for every writer filing the whole manifest in the same order (docs/ingest.md).
func TestConcurrentIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds PDFs and runs child processes")
	}
	n := envInt(t, "GONGSHI_CONCURRENT_FILES", 60)
	writers := envInt(t, "GONGSHI_CONCURRENT_WRITERS", 3)
	rounds := envInt(t, "GONGSHI_CONCURRENT_ROUNDS", 3)
	seed := uint64(envInt(t, "GONGSHI_CONCURRENT_SEED", int(time.Now().UnixNano()%1e9)))
	whole := os.Getenv("GONGSHI_CONCURRENT_WHOLE") != "" // every writer files the whole manifest, in its order
	t.Logf("%d documents, %d writers, %d rounds, seed %d", n, writers, rounds, seed)
	fx := makeIngestFixtures(t)
	var rows [][]string
	for i := range n {
		f := fmt.Sprintf("doc-%03d.pdf", i)
		fx.signed(t, f, fmt.Sprint(i))
		rows = append(rows, []string{f, "CC-2026-001", "decision", fmt.Sprintf("征收决定 %d", i), fmt.Sprintf("长征补〔2026〕%d号", i+1), "2026-03-18", "长春市南关区人民政府"})
	}
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createProject(t, c)
			rnd := rand.New(rand.NewPCG(seed, 7))
			kills := 0
			began := time.Now()
			for round := range rounds {
				killing := round < rounds-1
				var wg sync.WaitGroup
				var mu sync.Mutex
				for w := range writers {
					// Writer w files a window of the manifest, in an order of its
					// own: the windows overlap, and together they cover it.
					lo := w*n/writers - n/4
					var mine [][]string
					for k := range n/writers + n/2 {
						mine = append(mine, rows[((lo+k)%n+n)%n])
					}
					if whole {
						mine = rows
					} else {
						rnd.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
					}
					manifest := filepath.Join(t.TempDir(), "manifest.csv")
					writeManifest(t, manifest, mine)
					killAt := 0
					if killing && (w == round%writers || rnd.IntN(2) == 0) {
						killAt = 1 + rnd.IntN(len(mine)/2)
					}
					cmd := exec.Command(os.Args[0], "ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots,
						"--fonds", "Z109", "--dept", "CQ01", "--workers", "4", "--report", filepath.Join(t.TempDir(), "report.json"))
					cmd.Env = append(os.Environ(), "GONGSHI_TEST_RUN_MAIN=1")
					for k, v := range c.env {
						cmd.Env = append(cmd.Env, k+"="+v)
					}
					stdout, stderr := &strings.Builder{}, mustPipe(t, cmd)
					cmd.Stdout = stdout
					if err := cmd.Start(); err != nil {
						t.Fatal(err)
					}
					wg.Go(func() {
						sc := bufio.NewScanner(stderr)
						lines, killed := 0, false
						var tail []string
						for sc.Scan() {
							if strings.HasPrefix(sc.Text(), "[") {
								lines++
							} else {
								tail = append(tail, sc.Text())
							}
							if killAt > 0 && lines == killAt && !killed {
								cmd.Process.Signal(syscall.SIGKILL)
								killed = true
							}
						}
						io.Copy(io.Discard, stderr)
						err := cmd.Wait()
						mu.Lock()
						defer mu.Unlock()
						switch {
						case killed:
							kills++
						case err != nil:
							t.Errorf("round %d, writer %d: %v\n%s\n%s", round, w, err, stdout, strings.Join(tail, "\n"))
						}
					})
				}
				wg.Wait()
				if t.Failed() {
					return
				}
			}
			t.Logf("%s: %d rounds of %d writers, %d killed, in %.1f s", name, rounds, writers, kills, time.Since(began).Seconds())
			checkExactlyOnce(t, c, rows)
		})
	}
}

func mustPipe(t *testing.T, cmd *exec.Cmd) io.Reader {
	r, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkExactlyOnce checks the archive of c against the manifest rows, each filed
// by some run: one record per row, archival numbers 1..n, one claim per number
// held by its record's filing, one ledger entry per record, a clean audit.
func checkExactlyOnce(t *testing.T, c *cli, rows [][]string) {
	t.Helper()
	ctx := context.Background()
	n := len(rows)
	st := c.store(t)
	a, log, err := c.config(t).archiveOn(ctx, st, env{now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string][]archive.Record{}
	byCode := map[string][]string{}
	if err := a.Records(ctx, func(r archive.Record) error {
		byTitle[r.Title] = append(byTitle[r.Title], r)
		byCode[r.ArchivalCode] = append(byCode[r.ArchivalCode], r.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	records, dups := 0, 0
	for _, rs := range byTitle {
		records += len(rs)
		dups += len(rs) - 1
	}
	sharedCodes := 0
	var items []int
	for code, ids := range byCode {
		if len(ids) > 1 {
			sharedCodes++
		}
		ac, err := archive.ParseArchivalCode(code)
		if err != nil {
			t.Errorf("record %v: archival code %q: %v", ids, code, err)
			continue
		}
		items = append(items, ac.Item)
	}
	sort.Ints(items)
	gaps := 0
	for i, item := range items {
		if item != i+1 {
			gaps++
		}
	}
	t.Logf("records %d for %d filings: %d filed more than once, %d codes shared, %d numbers out of 1..%d",
		records, n, dups, sharedCodes, gaps, n)
	if records != n || dups != 0 || len(byTitle) != n {
		t.Errorf("%d records of %d titles, %d duplicates: want %d, each once", records, len(byTitle), dups, n)
	}
	if sharedCodes != 0 || gaps != 0 || len(items) != n {
		t.Errorf("archival numbers %v: want 1..%d, each once", items, n)
	}
	// The claims: one per number, each held by the filing of the record with
	// that number.
	claims := map[string]string{}
	if err := st.List(ctx, "ingest/numbers/", "", func(i blob.Info) error {
		claims[i.Key] = ""
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(claims) != n {
		t.Errorf("%d number claims, want %d", len(claims), n)
	}
	bindings, results, takeovers := 0, 0, 0
	if err := st.List(ctx, "ingest/filings/", "", func(i blob.Info) error {
		switch {
		case strings.Contains(i.Key[strings.LastIndex(i.Key, "/"):], ".n"):
			results++
		case !strings.HasSuffix(i.Key, ".001"):
			bindings++
			takeovers++
		default:
			bindings++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d number claims; %d bindings of filings, %d results, %d generations taken over from a writer killed or too slow",
		len(claims), bindings, results, takeovers)
	// The ledger: the project's version and one entry per record.
	_, cp, err := log.Latest(ctx)
	if err != nil || cp.Size != int64(n+1) {
		t.Errorf("ledger: %d entries (%v), want %d", cp.Size, err, n+1)
	}
	for _, rs := range byTitle {
		for _, r := range rs {
			if locs, err := log.Lookup(ctx, r.ID, 1); err != nil || len(locs) != 1 {
				t.Errorf("record %s: %d ledger entries (%v), want 1", r.ID, len(locs), err)
			}
		}
	}
	out, _, code := c.run("audit", "--report", filepath.Join(t.TempDir(), "audit.json"))
	if code != exitOK || !strings.Contains(out, "AUDIT OK") {
		t.Errorf("audit: %d\n%s", code, out)
	}
}
