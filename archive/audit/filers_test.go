package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// The fault suite's rows for many writers: several filers, each with its own
// archive, ledger and numbering (what separate `gongshi ingest` processes
// have), file the same documents, on two workers each, while audits run beside
// them: in the first round all of them in one order, and all but one stopped
// in the middle; in the second overlapping sets in orders of their own. Then every
// document is one record with one archival number and one ledger entry, the
// numbers have no gap, no audit reported or appended anything, and the last
// audit is clean. (cmd/gongshi's TestConcurrentIngest does the same with child
// processes killed by SIGKILL.)
func TestFaultsConcurrentFilers(t *testing.T) {
	const docs, filers, workers = 12, 3, 2
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, time.Now) // the real clock: what the filers leave is young
			key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/filers")
			if err != nil {
				t.Fatal(err)
			}
			type handles struct {
				a     *archive.Archive
				l     *ledger.Log
				filer *ingest.Filer
			}
			open := func() handles {
				l := ledger.New(st, ledger.Options{Key: key, Versions: true})
				a := archive.New(st, archive.Options{Journal: l, TempDir: t.TempDir(), Actor: archive.ActorCLI})
				return handles{a, l, ingest.NewFiler(a, st, ingest.Options{
					Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})}
			}
			if _, err := open().a.CreateProject(ctx, archive.Project{Code: "CQ-2024-01", Name: "南关区东天街片区旧城区改建项目",
				City: "长春市", Department: "长春市南关区房屋征收经办中心"}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			paths := make([]string, docs)
			for i := range paths {
				paths[i] = filepath.Join(dir, fmt.Sprintf("决定-%02d.pdf", i))
				body := pdftest.Document(pdftest.Options{Pages: 1, Title: fmt.Sprintf("征收决定 %d", i)})
				if err := os.WriteFile(paths[i], body, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			meta := func(i int) archive.Record {
				return archive.Record{Project: "CQ-2024-01", Type: "decision",
					Title: fmt.Sprintf("关于东天街片区房屋征收的决定（第%d号）", i), DocNumber: fmt.Sprintf("长征补〔2024〕%d号", i+1),
					Issuer: "长春市南关区人民政府", Date: archive.D(2024, time.March, 15)}
			}
			rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
			var mu sync.Mutex
			filed := map[int]int{} // document → how many filings said "filed"
			var failed []string
			auditsBeside := 0
			for round := range 2 {
				stopping := round == 0
				var wg sync.WaitGroup
				for f := range filers {
					// In the first round every filer files every document in the
					// same order, all starting at once (so that they meet on each
					// document); in the second, filer f takes a window of two
					// thirds of them in an order of its own (the windows overlap
					// and cover all).
					var mine []int
					if round == 0 {
						for i := range docs {
							mine = append(mine, i)
						}
					} else {
						for k := range docs * 2 / 3 {
							mine = append(mine, (f*docs/filers+k)%docs)
						}
						rnd.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
					}
					fctx, stop := context.WithCancel(ctx)
					stopAt := -1
					if stopping && f != 1 {
						stopAt = 1 + rnd.IntN(len(mine)/2)
					}
					h := open()
					next := make(chan int)
					var fw sync.WaitGroup
					for range workers {
						fw.Go(func() {
							for i := range next {
								res, err := h.filer.File(fctx, paths[i], meta(i))
								mu.Lock()
								switch {
								case fctx.Err() != nil:
									// stopped: whatever it left is finished by the next round
								case err != nil || (res.Status != ingest.StatusFiled && res.Status != ingest.StatusAlreadyFiled):
									failed = append(failed, fmt.Sprintf("round %d, filer %d, document %d: %v %v %v", round, f, i, res.Status, res.Reasons, err))
								case res.Status == ingest.StatusFiled:
									filed[i]++
								}
								mu.Unlock()
							}
						})
					}
					wg.Go(func() {
						defer stop()
						for k, i := range mine {
							if k == stopAt {
								stop() // the kill, between two documents or in the middle of one
							}
							if fctx.Err() != nil {
								break
							}
							next <- i
						}
						close(next)
						fw.Wait()
					})
				}
				done := make(chan struct{})
				go func() { wg.Wait(); close(done) }()
				// Audits beside the filers, one after the other until they end.
				for running := true; running; {
					select {
					case <-done:
						running = false
					default:
					}
					rep, err := Run(ctx, Options{Store: st, Archive: open().a, Ledger: ledger.New(st, ledger.Options{Key: key, Versions: true}), Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					auditsBeside++
					time.Sleep(50 * time.Millisecond) // leave the filers the machine
					if len(rep.Failures) != 0 || rep.LedgerError != "" || rep.LedgerDamaged {
						t.Fatalf("round %d: an audit beside the filers found %+v (ledger error %q, damaged %v)", round, rep.Failures, rep.LedgerError, rep.LedgerDamaged)
					}
				}
			}
			if len(failed) > 0 {
				t.Fatalf("filings failed beside the audits:\n%s", strings.Join(failed, "\n"))
			}
			// Exactly once: one record per document, one number per record, the
			// numbers 1…docs, one ledger entry per record version.
			h := open()
			byContent := map[archive.Hash][]archive.Record{}
			var items []int
			if err := h.a.Records(ctx, func(rec archive.Record) error {
				byContent[rec.Content.SHA256] = append(byContent[rec.Content.SHA256], rec)
				ac, err := archive.ParseArchivalCode(rec.ArchivalCode)
				if err != nil {
					return fmt.Errorf("record %s: archival code %q: %w", rec.ID, rec.ArchivalCode, err)
				}
				items = append(items, ac.Item)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for h, recs := range byContent {
				if len(recs) != 1 {
					var codes []string
					for _, r := range recs {
						codes = append(codes, r.ID+" "+r.ArchivalCode)
					}
					t.Errorf("content %s is %d records: %s", h, len(recs), strings.Join(codes, ", "))
				}
			}
			slices.Sort(items)
			want := make([]int, docs)
			for i := range want {
				want[i] = i + 1
			}
			if len(byContent) != docs || !slices.Equal(items, want) {
				t.Errorf("%d documents filed as %d records with the numbers %v; want %d records numbered 1…%d", docs, len(items), items, docs, docs)
			}
			for i := range docs {
				if filed[i] > 1 {
					t.Errorf("document %d: %d filings said \"filed\"", i, filed[i])
				}
			}
			entries := map[string]int{}
			if err := h.l.Entries(ctx, func(_ int64, text []byte) error {
				ev, err := ledger.ParseEntry(text)
				if err != nil {
					return err
				}
				if kind, id := ev.Ref(); kind == archive.SubjectRecord || kind == "" {
					if ev.Kind != archive.EventFile {
						return fmt.Errorf("a %s entry for record %s: nothing but filings happened", ev.Kind, id)
					}
					entries[id]++
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, recs := range byContent {
				for _, rec := range recs {
					if entries[rec.ID] != 1 {
						t.Errorf("record %s has %d ledger entries, want 1", rec.ID, entries[rec.ID])
					}
				}
			}
			if len(entries) != len(items) {
				t.Errorf("%d records in the ledger, %d stored", len(entries), len(items))
			}
			// The last audit, after the in-flight bound: clean, nothing left over
			// but the notices of the stopped filings (content stored, no record).
			later := time.Now().Add(2 * ledger.DefaultInFlight)
			rep, err := Run(ctx, Options{Store: st, Archive: h.a, Ledger: h.l, Now: func() time.Time { return later }})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK || len(rep.Failures) != 0 || rep.RecordVersions != docs || rep.Claims != docs {
				t.Fatalf("the last audit: ok %v, failures %+v, %d record versions, %d claims; want clean, %d and %d", rep.OK, rep.Failures, rep.RecordVersions, rep.Claims, docs, docs)
			}
			for _, n := range rep.Notices {
				if n.Kind != ContentUnreferenced {
					t.Errorf("notice %s %s: %s", n.Kind, n.Key, n.Detail)
				}
			}
			t.Logf("%d documents, %d filers × %d workers, 2 rounds (the first stopped in the middle): exactly once; %d audits beside them, none found or appended anything; %d notices after", docs, filers, workers, auditsBeside, len(rep.Notices))
		})
	}
}
