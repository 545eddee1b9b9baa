package ingest

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// Power failures during a batch ingest. Filing a small document defers the
// flushes of its objects (content, content-lookup marker, record version,
// archival-number claim, ledger tiles and lookup keys) to a Sync, and each
// writer must Sync before anything durable depends on what it deferred. Here the
// power fails (storetest.PowerFail.Cut, which keeps any subset of what was not
// synced) right after a random put of a batch, and again after a random put of
// the re-run; then the batch is re-run to the end, twice, and the archive must be
// as if the batch had run once: every row filed once, archival codes 0001..N,
// one ledger event per record, content intact, and an audit that finds nothing.
const (
	powerFailDocs    = 40
	powerFailWorkers = 2 // and 16 committers each: many commits in flight at a cut
)

// powerFailSeeds is how many power-failure histories TestPowerFailBatch plays;
// more search longer (go test -run PowerFail ./ingest -args -powerfail.seeds=200).
var powerFailSeeds = flag.Int("powerfail.seeds", 6, "seeds of TestPowerFailBatch")

func TestPowerFailBatch(t *testing.T) {
	dir, rows, roots := benchBatchT(t, powerFailDocs, 2<<10)
	files := fileDigests(t, dir, rows)
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "powerfail.gongshi.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Without a power failure: how many puts a batch makes, where the cuts fall.
	under := powerFailStore(t)
	w := &tripwire{PowerFail: storetest.NewPowerFail(under), flush: time.Millisecond}
	if sum := powerFailFiler(w, key, roots).Batch(ctx, dir, rows, powerFailWorkers, nil); sum.Filed != len(rows) {
		t.Fatalf("without a power failure: %s", summarize(sum, true))
	}
	checkFiledOnce(t, under, key, rows, files)
	total := w.puts.Load()

	cuts, lossy := 0, 0 // the power failures, and those that lost objects
	for seed := range uint64(*powerFailSeeds) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			under := powerFailStore(t)
			// The power fails during the batch, then during its re-run, which
			// has less to do: about what the first run left.
			left := total
			for run := range 2 {
				at := 1 + rng.Int64N(left)
				flush := time.Duration(1+rng.IntN(4)) * time.Millisecond
				cancelFirst := rng.IntN(2) == 0
				r := cutRun(t, under, key, roots, dir, rows, at, flush, cancelFirst, rand.New(rand.NewPCG(seed, uint64(run))))
				when := fmt.Sprintf("after put %d of %d", at, r.puts)
				if r.puts < at {
					when = fmt.Sprintf("after the batch (%d puts)", r.puts)
				}
				t.Logf("run %d: the power failed %s (context cancelled first: %t); %s; of the objects not synced, %d survived and %d were lost",
					run+1, when, cancelFirst, summarize(r.sum, false), r.kept, r.dropped)
				left = max(left-r.puts, 0) + 16
				cuts++
				if r.dropped > 0 {
					lossy++
				}
			}
			// Then the power holds: the re-run files the rest, and a second
			// re-run finds everything filed.
			sum := powerFailFiler(under, key, roots).Batch(ctx, dir, rows, powerFailWorkers, nil)
			if sum.Errors != 0 || sum.Rejected != 0 || sum.Filed+sum.Already != len(rows) {
				t.Errorf("re-run: %s", summarize(sum, true))
			}
			sum = powerFailFiler(under, key, roots).Batch(ctx, dir, rows, powerFailWorkers, nil)
			if sum.Already != len(rows) {
				t.Errorf("second re-run: %s, want all already filed", summarize(sum, true))
			}
			checkFiledOnce(t, under, key, rows, files)
		})
	}
	// Most cuts lose something (about five in six); none losing anything would
	// prove nothing.
	t.Logf("%d of %d power failures lost objects not yet synced", lossy, cuts)
	if cuts >= 10 && lossy == 0 {
		t.Errorf("none of %d power failures lost an object: the test no longer finds unsynced objects at a cut", cuts)
	}
}

// powerFailStore is the disk under the PowerFail (storetest.Disk), with a
// project.
func powerFailStore(t *testing.T) blob.Store {
	t.Helper()
	st := storetest.Disk(t, nil)
	if _, err := archive.New(st, archive.Options{}).CreateProject(context.Background(),
		archive.Project{Code: "CC-2026-001", Name: "断电测试项目", City: "长春市"}); err != nil {
		t.Fatal(err)
	}
	return st
}

// powerFailFiler is a Filer as the command builds one over st: a ledger
// journal and archival numbering.
func powerFailFiler(st blob.Store, key ledger.Key, roots *TrustRoots) *Filer {
	a := archive.New(st, archive.Options{Journal: ledger.New(st, ledger.Options{Key: key})})
	return NewFiler(a, st, Options{Inspector: NewInspector(InspectorOptions{Roots: roots}),
		Numbering: &Numbering{Fonds: "Z109", Category: "WS"}})
}

// tripwire counts the puts that succeed through a PowerFail and calls cut right
// after the at-th returns (never when at is 0). Its Sync takes as long as a
// disk's flush, up to flush, so that deferred objects pile up while flushes
// run and a cut finds some not yet synced, as on a disk: the underlying store,
// without fsync, would flush at once.
type tripwire struct {
	*storetest.PowerFail
	at    int64
	flush time.Duration
	puts  atomic.Int64
	once  sync.Once
	cut   func()
}

func (w *tripwire) Sync(ctx context.Context) error {
	if w.flush > 0 {
		// The flush that covers this call begins after it; what is put in the
		// meantime is covered too, as by the filesystem store's shared syncfs.
		select {
		case <-time.After(rand.N(w.flush)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return w.PowerFail.Sync(ctx)
}

func (w *tripwire) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	info, err := w.PowerFail.Put(ctx, key, r, opts)
	if err == nil && w.puts.Add(1) == w.at {
		w.once.Do(w.cut)
	}
	return info, err
}

type cutResult struct {
	sum           Summary
	puts          int64
	kept, dropped int
}

// cutRun runs the batch over a PowerFail on under, whose flushes take up to
// flush, and fails the power right after put number at, while the other
// commits are in flight; when the batch makes fewer puts, the power fails
// after it. With cancelFirst, the batch's context is cancelled just before (an
// operator's Ctrl-C, then the power), otherwise just after (to stop the dead
// run).
func cutRun(t *testing.T, under blob.Store, key ledger.Key, roots *TrustRoots, dir string, rows []Row,
	at int64, flush time.Duration, cancelFirst bool, rng *rand.Rand) cutResult {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pf := storetest.NewPowerFail(under)
	var r cutResult
	var cutErr error
	w := &tripwire{PowerFail: pf, at: at, flush: flush}
	w.cut = func() {
		if cancelFirst {
			cancel()
		}
		// Cut waits for the writes in flight; no write reaches under after it.
		r.kept, r.dropped, cutErr = pf.Cut(context.Background(), rng)
		cancel()
	}
	r.sum = powerFailFiler(w, key, roots).Batch(ctx, dir, rows, powerFailWorkers, nil)
	w.once.Do(w.cut)
	if cutErr != nil {
		t.Fatal(cutErr)
	}
	r.puts = w.puts.Load()
	return r
}

// summarize counts the outcomes of a batch and, with problems, says the first
// rejection or error.
func summarize(s Summary, problems bool) string {
	out := fmt.Sprintf("%d filed, %d already filed, %d rejected, %d errors", s.Filed, s.Already, s.Rejected, s.Errors)
	for _, r := range s.Results {
		if problems && (r.Status == StatusRejected || r.Status == StatusError) {
			return out + fmt.Sprintf(" (first: %s: %s)", r.Path, strings.Join(r.Reasons, "; "))
		}
	}
	return out
}

// fileDigests digests the batch's files, by file name.
func fileDigests(t testing.TB, dir string, rows []Row) map[string]archive.Digests {
	t.Helper()
	out := map[string]archive.Digests{}
	for _, row := range rows {
		f, err := os.Open(filepath.Join(dir, row.File))
		if err != nil {
			t.Fatal(err)
		}
		d, err := archive.DigestReader(context.Background(), f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[row.File] = d
	}
	return out
}

// checkFiledOnce checks what an archivist and an inspector would check of the
// archive in st after the batch of rows: that it is as if the batch had run once.
func checkFiledOnce(t *testing.T, st blob.Store, key ledger.Key, rows []Row, files map[string]archive.Digests) {
	t.Helper()
	ctx := context.Background()
	l := ledger.New(st, ledger.Options{Key: key})
	a := archive.New(st, archive.Options{Journal: l})
	n := len(rows)

	// Every row is filed once: one record in version 1, with the row's content.
	versions := 0
	if err := a.WalkRecordVersions(ctx, "", func(v archive.RecordVersionInfo) error {
		versions++
		if v.Version != 1 {
			t.Errorf("record %s has version %d: a filing made a correction", v.ID, v.Version)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	byDoc := map[string]archive.Record{} // the batch's rows differ by document number
	byID := map[string]archive.Record{}
	if err := a.Records(ctx, func(r archive.Record) error {
		if prev, dup := byDoc[r.DocNumber]; dup {
			t.Errorf("%s is filed twice: records %s (%s) and %s (%s)", r.DocNumber, prev.ID, prev.ArchivalCode, r.ID, r.ArchivalCode)
		}
		byDoc[r.DocNumber], byID[r.ID] = r, r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		r, ok := byDoc[row.Meta.DocNumber]
		if !ok {
			t.Errorf("%s (%s) is not filed", row.File, row.Meta.DocNumber)
		} else if r.Content != files[row.File] {
			t.Errorf("%s is filed with content %+v, the file has %+v", row.File, r.Content, files[row.File])
		}
	}
	if versions != n || len(byID) != n {
		t.Errorf("%d record versions of %d records, want %d of %d", versions, len(byID), n, n)
	}

	// Archival codes are 0001..N of one class, each claimed once, by the filing
	// of the record that carries it.
	byItem := map[int]archive.Record{}
	var class archive.ArchivalCode
	for _, r := range byID {
		c, err := archive.ParseArchivalCode(r.ArchivalCode)
		if err != nil {
			t.Errorf("record %s: %v", r.ID, err)
			continue
		}
		item := c.Item
		c.Item = 0
		if class == (archive.ArchivalCode{}) {
			class = c
		} else if c != class {
			t.Errorf("record %s has code %s, of another class than %s", r.ID, r.ArchivalCode, class)
		}
		if prev, dup := byItem[item]; dup {
			t.Errorf("code %s is on records %s and %s", r.ArchivalCode, prev.ID, r.ID)
		}
		byItem[item] = r
	}
	for item := 1; item <= n; item++ {
		if _, ok := byItem[item]; !ok {
			t.Errorf("no record has item number %04d: a gap", item)
		}
	}
	claims := 0
	if err := st.List(ctx, "ingest/numbers/", "", func(info blob.Info) error {
		claims++
		item, _ := strconv.Atoi(info.Key[strings.LastIndexByte(info.Key, '/')+1:])
		owner := readString(t, st, info.Key)
		r, ok := byItem[item]
		if !ok {
			t.Errorf("claim %s (by %s) names no record", info.Key, owner)
			// What the numbering stored for that filing, to tell how it happened.
			st.List(ctx, "ingest/", "", func(i blob.Info) error {
				if strings.Contains(i.Key, owner) || strings.Contains(readString(t, st, i.Key), owner) {
					t.Logf("  %s: %q", i.Key, readString(t, st, i.Key))
				}
				return nil
			})
			return nil
		}
		filing := r
		filing.ArchivalCode = ""
		if id, err := archive.RecordID(filing); err != nil || id != owner {
			t.Errorf("claim %s is by %s, but the record with that number is the filing %s (%v)", info.Key, owner, id, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if claims != n {
		t.Errorf("%d archival numbers claimed, want %d", claims, n)
	}

	// One content-lookup marker per record, so that an inspector's file finds it.
	markers := 0
	if err := st.List(ctx, "by-content/", "", func(info blob.Info) error {
		markers++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if markers != n {
		t.Errorf("%d content-lookup markers, want %d", markers, n)
	}
	for _, r := range byID {
		if ids, err := a.RecordsByContent(ctx, r.Content.SHA256); err != nil || len(ids) != 1 || ids[0] != r.ID {
			t.Errorf("records with the content of %s: %q, %v", r.ID, ids, err)
		}
	}

	// The ledger: one file event per record, each the stored version's, all
	// covered by the signed checkpoint.
	_, cp, err := l.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != int64(n) {
		t.Errorf("the signed checkpoint covers %d entries, want %d", cp.Size, n)
	}
	events := map[string]int{}
	if err := l.Entries(ctx, func(i int64, text []byte) error {
		ev, err := ledger.ParseEntry(text)
		if err != nil {
			t.Errorf("entry %d: %v", i, err)
			return nil
		}
		events[ev.RecordID]++
		r, ok := byID[ev.RecordID]
		if !ok || ev.Kind != archive.EventFile || ev.Version != 1 {
			t.Errorf("entry %d: %s of %s version %d, which is not a filing of this batch", i, ev.Kind, ev.RecordID, ev.Version)
			return nil
		}
		b, err := a.RecordVersionBytes(ctx, r.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ev.RecordDigest != sha256.Sum256(b) || ev.Content != r.Content || !ev.Time.Equal(r.FiledAt) {
			t.Errorf("entry %d differs from record %s as stored", i, r.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for id := range byID {
		if events[id] != 1 {
			t.Errorf("record %s has %d ledger entries, want 1", id, events[id])
		}
		if locs, err := l.Lookup(ctx, id, 1); err != nil || len(locs) != 1 {
			t.Errorf("ledger lookup of %s: %v, %v; want one entry", id, locs, err)
		}
	}

	// Each record's content reads back with its digests.
	for _, r := range byID {
		rc, err := a.OpenContent(ctx, r.Content.SHA256)
		if err != nil {
			t.Errorf("record %s: %v", r.ID, err)
			continue
		}
		d, err := archive.DigestReader(ctx, rc)
		rc.Close()
		if err != nil || d != r.Content {
			t.Errorf("record %s: content reads back as %+v (%v), want %+v", r.ID, d, err, r.Content)
		}
	}

	// And the inspector's audit of the whole archive finds nothing wrong.
	rep, err := audit.Run(ctx, audit.Options{Store: st, Archive: a, Ledger: l})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.RecordVersions != n || rep.LedgerEntries != int64(n) || rep.ContentObjects != n {
		t.Errorf("audit: ok %t, %d record versions, %d ledger entries, %d content objects (want %d of each); failures %+v, read errors %+v",
			rep.OK, rep.RecordVersions, rep.LedgerEntries, rep.ContentObjects, n, rep.Failures, rep.ReadErrors)
	}
}

func readString(t *testing.T, st blob.Store, key string) string {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
