package audit

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// writer is one process filing: its own Archive and Log on the shared store.
type writer struct {
	a *archive.Archive
	l *ledger.Log
}

func newWriter(t testing.TB, f *fixture) writer {
	l := ledger.New(f.st, ledger.Options{Key: f.key})
	return writer{a: archive.New(f.st, archive.Options{Journal: l, TempDir: t.TempDir()}), l: l}
}

// file files document n of a writer's series: its content and its record.
func (w writer) file(ctx context.Context, series string, n int) error {
	body := []byte(fmt.Sprintf("%%PDF-1.7\n%% %s 第%d号\n%%%%EOF\n", series, n))
	d, err := w.a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	_, err = w.a.CreateRecord(ctx, archive.Record{Project: "CQ-2024-01", Type: "decision",
		Title: fmt.Sprintf("%s 第%d号", series, n), DocNumber: fmt.Sprintf("长征补〔2024〕%d号", n+1),
		Issuer: "长春市南关区人民政府", Date: archive.D(2024, time.March, 15), Format: "pdf",
		FileName: fmt.Sprintf("%s-%d.pdf", series, n), Content: d})
	return err
}

// Audits running beside writers that file all the while (three processes, each
// on two workers, as ingest does) find nothing wrong, append nothing to the
// ledger, and make no filing fail: every record version without its entry yet is
// young, or gains its entry before the second look.
func TestAuditBesideWriters(t *testing.T) {
	const processes, workers, perWorker = 3, 2, 10
	const writers, perWriter = processes * workers, perWorker
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixtureAt(t, b, 0, time.Now)
			var wg sync.WaitGroup
			errs := make(chan error, writers*perWriter)
			procs := []writer{newWriter(t, f), newWriter(t, f), newWriter(t, f)}
			for w := 0; w < writers; w++ {
				wr := procs[w%processes]
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := 0; n < perWriter; n++ {
						if err := wr.file(ctx, fmt.Sprintf("writer%d", w), n); err != nil {
							errs <- err
						}
					}
				}()
			}
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			// A dozen audits at most, spread over the filings (each is a whole
			// audit, slow under the race detector).
			audits, inFlight := 0, 0
			for running := true; running; audits++ {
				select {
				case <-done:
					running = false
				default:
				}
				rep, err := Run(ctx, Options{Store: f.st, Archive: newWriter(t, f).a, Ledger: ledger.New(f.st, ledger.Options{Key: f.key}), Workers: 2})
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Failures) != 0 {
					t.Fatalf("audit %d beside the writers: %+v", audits, rep.Failures)
				}
				inFlight += len(rep.InFlight)
				if audits >= 12 {
					<-done
					break
				}
				time.Sleep(50 * time.Millisecond) // let the batch get on
			}
			close(errs)
			for err := range errs {
				t.Errorf("a filing failed beside the audit: %v", err)
			}
			// Afterwards: every filing in the ledger once (after the project's
			// entry), no fixity event.
			rep := f.run(t, func(o *Options) { o.Now = time.Now })
			if !rep.OK || rep.RecordVersions != writers*perWriter || rep.LedgerEntries != 1+writers*perWriter {
				t.Fatalf("final audit: ok %v, %d versions, %d entries; failures %+v", rep.OK, rep.RecordVersions, rep.LedgerEntries, rep.Failures)
			}
			t.Logf("%d audits beside %d filings: no failure, no event; %d in flight when looked at", audits, writers*perWriter, inFlight)
		})
	}
}

// A record version stored without its ledger entry (a filing that stopped
// there) is in flight while it is young, and a failure, appended to the ledger,
// once it is older than the bound.
func TestNotInLedgerAfterTheBound(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, storetest.Backends()[0], 2)
	orphan := archive.New(f.st, archive.Options{Now: testNow, TempDir: t.TempDir()}) // files without a ledger
	body := []byte("%PDF-1.7\n% stopped before its entry\n%%EOF\n")
	d, err := orphan.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := orphan.CreateRecord(ctx, archive.Record{Project: "CQ-2024-01", Type: "decision", Title: "未入账的决定",
		DocNumber: "长征补〔2024〕99号", Issuer: "长春市南关区人民政府", Date: archive.D(2024, time.March, 15), Format: "pdf",
		FileName: "x.pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	rep := f.run(t, func(o *Options) { o.Now = func() time.Time { return testNow().Add(time.Minute) } })
	if len(rep.Failures) != 0 || len(rep.InFlight) != 1 || rep.InFlight[0].Kind != NotInLedger || rep.InFlight[0].Record != rec.ID {
		t.Fatalf("a minute after: failures %+v, in flight %+v; want it in flight", rep.Failures, rep.InFlight)
	}
	before := ledgerSize(t, f.log)
	rep = f.run(t, func(o *Options) { o.Now = func() time.Time { return testNow().Add(time.Hour) } })
	if len(rep.Failures) != 1 || rep.Failures[0].Kind != NotInLedger || rep.Failures[0].LedgerIndex == nil {
		t.Fatalf("an hour after: failures %+v; want it not in the ledger, journaled", rep.Failures)
	}
	if after := ledgerSize(t, f.log); after != before+1 {
		t.Fatalf("ledger %d → %d, want one event", before, after)
	}
}

// What the first look finds and the second does not is not a failure: a content
// object damaged, then mended between the looks.
func TestSecondLook(t *testing.T) {
	f := newFixture(t, storetest.Backends()[0], 3)
	key := archive.ContentKey(f.records[1].Content.SHA256)
	damaged := bytes.Clone(f.content[1])
	damaged[3] ^= 1
	f.raw.Overwrite(t, key, damaged)
	before := ledgerSize(t, f.log)
	rep := f.run(t, func(o *Options) { o.BeforeSecondLook = func() { f.raw.Overwrite(t, key, f.content[1]) } })
	if len(rep.Failures) != 0 || len(rep.Unconfirmed) != 1 || rep.Unconfirmed[0].Kind != ContentDamaged || rep.Unconfirmed[0].Key != key {
		t.Fatalf("failures %+v, unconfirmed %+v; want the damage unconfirmed", rep.Failures, rep.Unconfirmed)
	}
	if after := ledgerSize(t, f.log); after != before {
		t.Fatalf("ledger %d → %d: an unconfirmed failure was appended", before, after)
	}
}
