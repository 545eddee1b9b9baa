package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
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
	"github.com/gongshi-archive/gongshi/internal/storetest"
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
// one ledger entry and, when numbering is on (--fonds --dept), one archival
// number, the numbers without a gap; and the audit finds nothing wrong.
//
// In CI: 40 documents, 3 writers, 3 rounds (two with kills), numbered and not,
// on each backend. A soak is the same with more: GONGSHI_CONCURRENT_FILES,
// _WRITERS, _ROUNDS (the last round never kills), GONGSHI_CONCURRENT_SEED to
// replay one, and GONGSHI_CONCURRENT_WHOLE=1 for every writer filing the whole
// manifest in the same order (docs/ingest.md).
func TestConcurrentIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds PDFs and runs child processes")
	}
	n := envInt(t, "GONGSHI_CONCURRENT_FILES", 40)
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
			for _, mode := range []struct {
				name string
				args []string
			}{
				{"numbered", []string{"--fonds", "Z109", "--dept", "CQ01"}},
				{"unnumbered", nil},
			} {
				t.Run(mode.name, func(t *testing.T) {
					c := newCLI(t)
					createProject(t, c)
					rnd := rand.New(rand.NewPCG(seed, 7))
					began := time.Now()
					kills := 0
					for round := range rounds {
						kills += writeAtOnce(t, c, fx, rows, mode.args, writers, round, round < rounds-1, whole, rnd)
						if t.Failed() {
							return
						}
					}
					t.Logf("%s %s: %d rounds of %d writers, %d killed, in %.1f s", name, mode.name, rounds, writers, kills, time.Since(began).Seconds())
					checkExactlyOnce(t, c, rows, mode.args != nil)
				})
			}
		})
	}
}

// writeAtOnce runs one round: writers processes of the real binary file
// overlapping windows of rows at the same time, each in an order of its own;
// when killing, some of them (always one) get SIGKILL in the middle of their
// batch. It returns how many were killed; a writer that was not killed must
// exit 0.
func writeAtOnce(t *testing.T, c *cli, fx ingestFixtures, rows [][]string, args []string, writers, round int, killing, whole bool, rnd *rand.Rand) (kills int) {
	t.Helper()
	n := len(rows)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := range writers {
		// Writer w files a window of the manifest, in an order of its own: the
		// windows overlap, and together they cover it.
		lo := w*n/writers - n/4
		var mine [][]string
		for k := range min(n, n/writers+n/2) {
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
		cmd := c.child(append([]string{"ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots,
			"--workers", "4", "--report", filepath.Join(t.TempDir(), "report.json")}, args...)...)
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
	return kills
}

func mustPipe(t *testing.T, cmd *exec.Cmd) io.Reader {
	r, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkExactlyOnce checks the archive of c against the manifest rows, each filed
// by some run: one record per row, one ledger entry per record, a clean audit;
// numbered, archival numbers 1..n and one claim per number; else no code and no
// claim.
func checkExactlyOnce(t *testing.T, c *cli, rows [][]string, numbered bool) {
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
	byID := map[string]archive.Record{}
	if err := a.Records(ctx, func(r archive.Record) error {
		byID[r.ID] = r
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
	if records != n || dups != 0 || len(byTitle) != n {
		t.Errorf("%d records of %d titles, %d duplicates: want %d, each once", records, len(byTitle), dups, n)
	}
	// The claims: one per number, each held by the filing of the record with
	// that number (the id its record has without the code).
	claims := map[string]string{} // by item number (one class here)
	if err := st.List(ctx, "ingest/numbers/", "", func(i blob.Info) error {
		claims[path.Base(i.Key)] = string(storetest.Read(t, st, i.Key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !numbered {
		t.Logf("records %d for %d filings: %d filed more than once; %d codes, %d claims", records, n, dups, len(byCode)-1, len(claims))
		if len(byCode) != 1 || len(byCode[""]) != n || len(claims) != 0 {
			t.Errorf("without --fonds: %d codes, %d claims: want none", len(byCode)-1, len(claims))
		}
	}
	sharedCodes, unclaimed := 0, 0
	var items []int
	for code, ids := range byCode {
		if !numbered {
			break
		}
		if len(ids) > 1 {
			sharedCodes++
		}
		ac, err := archive.ParseArchivalCode(code)
		if err != nil {
			t.Errorf("record %v: archival code %q: %v", ids, code, err)
			continue
		}
		items = append(items, ac.Item)
		key := fmt.Sprintf("%04d", ac.Item)
		for _, id := range ids {
			r := byID[id]
			r.ArchivalCode = ""
			if filing, _ := archive.RecordID(r); claims[key] != filing {
				unclaimed++
				t.Errorf("record %s (%s): its number's claim holds %q, want its filing %s", id, code, claims[key], filing)
			}
		}
	}
	sort.Ints(items)
	gaps := 0
	for i, item := range items {
		if item != i+1 {
			gaps++
		}
	}
	if numbered {
		t.Logf("records %d for %d filings: %d filed more than once, %d codes shared, %d numbers out of 1..%d, %d claims, %d not held by their record's filing",
			records, n, dups, sharedCodes, gaps, n, len(claims), unclaimed)
		if sharedCodes != 0 || gaps != 0 || len(items) != n {
			t.Errorf("archival numbers %v: want 1..%d, each once", items, n)
		}
		if len(claims) != n {
			t.Errorf("%d number claims, want %d", len(claims), n)
		}
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
	if numbered {
		t.Logf("%d bindings of filings, %d results, %d generations taken over from a writer killed or too slow", bindings, results, takeovers)
	}
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

// A manual --archival-code that another record carries is refused before
// anything is stored (exit 1, "档号已被占用" naming the code), with numbering on
// or off; and of several processes giving one new code to different documents
// at the same time, exactly one files its document, the others are refused the
// same way and store nothing.
func TestManualArchivalCodeInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds PDFs and runs child processes")
	}
	fx := makeIngestFixtures(t)
	const racers = 3
	docs := map[string][]byte{}
	for i := range racers + 2 {
		name := fmt.Sprintf("doc-%d.pdf", i)
		docs[name] = fx.signed(t, name, fmt.Sprint("manual ", i))
	}
	file := func(name, code string, extra ...string) []string {
		args := []string{"ingest", filepath.Join(fx.dir, name), "--project", "CC-2026-001", "--type", "decision",
			"--title", "征收决定 " + name, "--doc-number", "长征补〔2026〕1" + name[4:5] + "号", "--date", "2026-03-18",
			"--issuer", "长春市南关区人民政府", "--trust-roots", fx.roots}
		if code != "" {
			args = append(args, "--archival-code", code)
		}
		return append(args, extra...)
	}
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := newCLI(t)
			createProject(t, c)
			st := c.store(t)
			state := func() (records map[string]string, entries int64) {
				t.Helper()
				a, log, err := c.config(t).archiveOn(ctx, st, env{now: time.Now})
				if err != nil {
					t.Fatal(err)
				}
				records = map[string]string{}
				if err := a.Records(ctx, func(r archive.Record) error {
					records[r.ArchivalCode] = r.Title
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				_, cp, err := log.Latest(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return records, cp.Size
			}
			stored := func(name string) bool {
				t.Helper()
				_, err := st.Stat(ctx, archive.ContentKey(sha256.Sum256(docs[name])))
				if err != nil && !errors.Is(err, blob.ErrNotFound) {
					t.Fatal(err)
				}
				return err == nil
			}
			// An assigned code, then the same code given by hand to another document.
			if _, errOut, code := c.run(file("doc-0.pdf", "", "--fonds", "Z109", "--dept", "CQ01")...); code != exitOK {
				t.Fatalf("first filing: %d %s", code, errOut)
			}
			used := "Z109-WS·2026-Y-CQ01-0001"
			before, size := state()
			if before[used] != "征收决定 doc-0.pdf" {
				t.Fatalf("records after the first filing: %v", before)
			}
			for _, numbering := range [][]string{nil, {"--fonds", "Z109", "--dept", "CQ01"}} {
				out, errOut, code := c.run(file("doc-1.pdf", used, numbering...)...)
				if code != exitNo || !strings.Contains(out+errOut, "档号已被占用") || !strings.Contains(out+errOut, used) {
					t.Errorf("a used code given by hand (numbering %v): exit %d\n%s%s", numbering != nil, code, out, errOut)
				}
				if after, n := state(); len(after) != len(before) || n != size || stored("doc-1.pdf") {
					t.Errorf("the refused filing changed the archive: records %v, %d entries (were %d), content stored %v", after, n, size, stored("doc-1.pdf"))
				}
			}
			// The same document with its own code again: already filed.
			if out, errOut, code := c.run(file("doc-0.pdf", "", "--fonds", "Z109", "--dept", "CQ01")...); code != exitOK || !strings.Contains(out+errOut, "already filed") {
				t.Errorf("re-run of the first filing: %d\n%s%s", code, out, errOut)
			}

			// Processes giving one new code to different documents at once.
			fresh := "Z109-WS·2026-Y-CQ01-0100"
			var wg sync.WaitGroup
			var mu sync.Mutex
			won, refused := []string{}, 0
			for i := range racers {
				name := fmt.Sprintf("doc-%d.pdf", i+2)
				cmd := c.child(file(name, fresh)...)
				var out strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &out
				wg.Go(func() {
					err := cmd.Run()
					mu.Lock()
					defer mu.Unlock()
					switch code := cmd.ProcessState.ExitCode(); {
					case err == nil:
						won = append(won, name)
					case code == exitNo && strings.Contains(out.String(), "档号已被占用"):
						refused++
						if stored(name) {
							t.Errorf("%s was refused, but its content is stored", name)
						}
					default:
						t.Errorf("%s with %s: %v\n%s", name, fresh, err, out.String())
					}
				})
			}
			wg.Wait()
			after, n := state()
			t.Logf("%s: %d processes gave %s to different documents at once: %d filed, %d refused; %d records, %d ledger entries",
				name, racers, fresh, len(won), refused, len(after), n)
			if len(won) != 1 || refused != racers-1 || len(after) != len(before)+1 || after[fresh] != "征收决定 "+won[0] || n != size+1 {
				t.Errorf("filed %v, %d refused, records %v, %d entries (were %d): want one filed, one more record and entry", won, refused, after, n, size)
			}
			if rep, code := c.audit(t); code != exitOK {
				t.Errorf("audit: %d %+v", code, rep)
			}
		})
	}
}
