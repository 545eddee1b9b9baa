package retention_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/retention"
	"github.com/gongshi-archive/gongshi/verify"
)

var cst = time.FixedZone("CST", 8*3600)

// clock is the injected clock of the store, the archive and the rules.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// world is an archive with its ledger and this package's locks, on one store.
type world struct {
	t     *testing.T
	st    blob.Store
	a     *archive.Archive
	l     *ledger.Log
	key   ledger.Key
	ex    *retention.Executor
	rules *retention.Rules
	now   func() time.Time
}

var (
	alice = archive.AccountActor("ualice0000001") // an archivist
	bob   = archive.AccountActor("ubob000000001") // another
)

func newWorld(t *testing.T, st blob.Store, rules *retention.Rules, now func() time.Time) *world {
	t.Helper()
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	w := openWorld(t, st, key, rules, now, true)
	for _, code := range []string{"CC-2026-001", "JL-2026-003"} {
		if _, err := w.a.CreateProject(context.Background(), archive.Project{Code: code, Name: "项目 " + code, City: "长春市",
			Department: "长春市房屋征收经办中心"}); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// openWorld opens the archive in st with the ledger key, with this package's
// locks or (locked false) as an archive made before them.
func openWorld(t *testing.T, st blob.Store, key ledger.Key, rules *retention.Rules, now func() time.Time, locked bool) *world {
	return openWorldWith(t, st, key, archive.DefaultCatalogue(), rules, now, locked)
}

func openWorldWith(t *testing.T, st blob.Store, key ledger.Key, cat *archive.Catalogue, rules *retention.Rules, now func() time.Time, locked bool, lopts ...func(*ledger.Options)) *world {
	lo := ledger.Options{Key: key, Now: now}
	for _, f := range lopts {
		f(&lo)
	}
	ao := archive.Options{Now: now, Actor: archive.ActorCLI, Catalogue: cat}
	if locked {
		lo.RetainUntil = func() time.Time { return rules.Forever(now()) }
		ao.Locks = retention.NewLocks(st, cat, rules, now)
	}
	l := ledger.New(st, lo)
	ao.Journal = l
	a := archive.New(st, ao)
	return &world{t: t, st: st, a: a, l: l, key: key, rules: rules, now: now,
		ex: retention.New(retention.Options{Archive: a, Store: st, Rules: rules, Now: now})}
}

func fsWorld(t *testing.T, rules *retention.Rules) (*world, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, cst)}
	st, err := fs.Open(t.TempDir(), fs.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newWorld(t, st, rules, c.Now), c
}

// file files content body as a record of type typ in project code.
func (w *world) file(code, typ, title string, date archive.Date, body []byte) archive.Record {
	w.t.Helper()
	ctx := context.Background()
	d, err := w.a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		w.t.Fatal(err)
	}
	rec, err := w.a.CreateRecord(ctx, archive.Record{Project: code, Type: typ, Title: title, Date: date,
		Format: "pdf", FileName: title + ".pdf", Content: d})
	if err != nil {
		w.t.Fatal(err)
	}
	return rec
}

func (w *world) retention(key string) blob.Retention {
	w.t.Helper()
	r, err := w.st.Retention(context.Background(), key)
	if err != nil {
		w.t.Fatalf("retention %s: %v", key, err)
	}
	return r
}

func (w *world) versionKey(rec archive.Record) string {
	return w.a.RecordStore().Key(rec.ID, rec.Version)
}

func midnight(d archive.Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, cst) }

func pdf(s string) []byte { return []byte("%PDF-1.7\n% " + s + "\n%%EOF\n") }

// At filing, the record keeps its schedule and its objects are locked until it
// becomes due; shared content is locked as long as its longest record needs; the
// ledger and other state for ever.
func TestFilingLocks(t *testing.T) {
	w, _ := fsWorld(t, &retention.Rules{})
	ctx := context.Background()
	chart := w.file("CC-2026-001", "site_chart", "进度表", archive.D(2026, 3, 18), pdf("chart"))
	want := archive.Schedule{Period: archive.Years10, Trigger: archive.TriggerDocumentDate, From: archive.D(2026, 3, 18), Due: archive.D(2037, 1, 1)}
	if chart.Schedule == nil || *chart.Schedule != want {
		t.Fatalf("schedule kept with the record: %+v, want %+v", chart.Schedule, want)
	}
	stored, err := w.a.Record(ctx, chart.ID)
	if err != nil || stored.Schedule == nil || *stored.Schedule != want {
		t.Fatalf("stored schedule: %+v, %v", stored.Schedule, err)
	}
	due := midnight(archive.D(2037, 1, 1))
	for _, key := range []string{w.versionKey(chart), archive.ContentKey(chart.Content.SHA256)} {
		if r := w.retention(key); !r.Until.Equal(due) || r.LegalHold {
			t.Errorf("%s: %+v, want locked until %v", key, r, due)
		}
	}
	// The same content filed again as a permanent record of another project:
	// its lock grows to the horizon, the D10 record's version keeps its own.
	perm := w.file("JL-2026-003", "funding_proof", "资金证明", archive.D(2026, 5, 1), pdf("chart"))
	forever := w.rules.Forever(w.now())
	if r := w.retention(archive.ContentKey(perm.Content.SHA256)); !r.Until.Equal(forever) {
		t.Errorf("shared content: until %v, want the horizon %v", r.Until, forever)
	}
	if r := w.retention(w.versionKey(chart)); !r.Until.Equal(due) {
		t.Errorf("the D10 version after sharing: %v", r.Until)
	}
	// The ledger's objects and the project versions are locked for ever.
	var locked, all int
	for _, prefix := range []string{"ledger/batch/", "ledger/checkpoint/", "projects/"} {
		w.st.List(ctx, prefix, "", func(i blob.Info) error {
			all++
			if r := w.retention(i.Key); r.Until.Equal(forever) {
				locked++
			}
			return nil
		})
	}
	if all == 0 || locked != all {
		t.Errorf("%d of %d ledger and project objects locked for ever", locked, all)
	}
	if err := w.st.Delete(ctx, archive.ContentKey(chart.Content.SHA256)); !errors.Is(err, blob.ErrLocked) {
		t.Errorf("delete of locked content: %v, want ErrLocked", err)
	}
}

// The whole life of a D10 record, with an injected clock: due exactly when its
// period ends, proposed and approved by two accounts, its content deleted unless
// a kept record shares it, a tombstone and a destruction list left, and the
// ledger, verify and the audit all saying so.
func TestDisposal(t *testing.T) {
	w, c := fsWorld(t, &retention.Rules{})
	ctx := context.Background()
	alone := w.file("CC-2026-001", "site_chart", "进度表一", archive.D(2026, 3, 18), pdf("alone"))
	shared := w.file("CC-2026-001", "site_chart", "进度表二", archive.D(2026, 3, 18), pdf("shared"))
	keeper := w.file("JL-2026-003", "petition", "信访答复", archive.D(2026, 4, 1), pdf("shared")) // D30: kept
	held := w.file("JL-2026-003", "site_chart", "进度表三", archive.D(2026, 3, 18), pdf("held"))
	if _, err := w.ex.Place(ctx, retention.Scope{Project: "JL-2026-003"}, "行政诉讼（2036）吉0104行初12号审理中", alice); err != nil {
		t.Fatal(err)
	}
	ids := func(es []retention.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Record.ID)
		}
		slices.Sort(out)
		return out
	}
	// The last second of 2036 in China: nothing due, and a proposal is refused.
	c.Set(time.Date(2036, 12, 31, 23, 59, 59, 0, cst))
	if due, err := w.ex.Due(ctx); err != nil || len(due) != 0 {
		t.Fatalf("due a second early: %v, %v", ids(due), err)
	}
	if _, err := w.ex.Propose(ctx, []string{alone.ID}, "鉴定到期", alice); !errors.Is(err, retention.ErrNotDue) {
		t.Fatalf("proposal a second early: %v, want ErrNotDue", err)
	}
	// Midnight: the two D10 records of CC are due; the held one never is.
	c.Set(time.Date(2037, 1, 1, 0, 0, 0, 0, cst))
	due, err := w.ex.Due(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(due), sortedIDs(alone.ID, shared.ID); !slices.Equal(got, want) {
		t.Fatalf("due at midnight: %v, want %v", got, want)
	}
	if _, err := w.ex.Propose(ctx, []string{held.ID}, "鉴定到期", alice); !errors.Is(err, retention.ErrNotDue) || !strings.Contains(err.Error(), "held") {
		t.Fatalf("proposal of a held record: %v", err)
	}
	if _, err := w.ex.Propose(ctx, []string{alone.ID}, "鉴定到期", archive.ActorCLI); !errors.Is(err, retention.ErrNotAccount) {
		t.Fatalf("proposal by the command line, not an account: %v", err)
	}
	d, err := w.ex.Propose(ctx, []string{alone.ID, shared.ID}, "2037年第1次鉴定会议：保管期满，无继续保存价值", alice)
	if err != nil {
		t.Fatal(err)
	}
	// One person's two tokens are one account: refused.
	if _, err := w.ex.Approve(ctx, d.ID, "同意", alice, false); !errors.Is(err, retention.ErrSameAccount) {
		t.Fatalf("approval by the proposer: %v, want ErrSameAccount", err)
	}
	size := ledgerSize(t, w)
	plan, err := w.ex.Approve(ctx, d.ID, "同意销毁", bob, true)
	if err != nil || len(plan.Problems) > 0 {
		t.Fatalf("dry run: %+v, %v", plan, err)
	}
	if got := ledgerSize(t, w); got != size {
		t.Fatalf("a dry run appended %d entries", got-size)
	}
	if len(plan.Delete) != 1 || plan.Delete[0] != archive.ContentKey(alone.Content.SHA256) ||
		len(plan.Keep) != 1 || plan.Keep[0].By[0] != keeper.ID {
		t.Fatalf("plan: delete %v, keep %+v", plan.Delete, plan.Keep)
	}
	if _, err := w.st.Stat(ctx, archive.ContentKey(alone.Content.SHA256)); err != nil {
		t.Fatalf("the dry run deleted: %v", err)
	}
	plan, err = w.ex.Approve(ctx, d.ID, "同意销毁", bob, false)
	if err != nil {
		t.Fatal(err)
	}
	// Content: the one only the disposed record had is gone; the shared one stays.
	if _, err := w.st.Stat(ctx, archive.ContentKey(alone.Content.SHA256)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("content of the disposed record: %v, want gone", err)
	}
	if _, err := w.st.Stat(ctx, archive.ContentKey(keeper.Content.SHA256)); err != nil {
		t.Errorf("content shared with a kept record: %v, want kept", err)
	}
	// Tombstones, ledgered as dispose by the approver.
	tomb, err := w.a.Record(ctx, alone.ID)
	if err != nil || tomb.Disposal == nil || tomb.Disposal.Approver != bob || tomb.Disposal.Proposer != alice ||
		tomb.Version != 2 || tomb.Title != alone.Title || tomb.FileName != "" {
		t.Fatalf("tombstone: %+v, %v", tomb, err)
	}
	locs, err := w.l.Lookup(ctx, alone.ID, 2)
	if err != nil || len(locs) != 1 || locs[0].Kind != archive.EventDispose {
		t.Fatalf("tombstone's entry: %+v, %v", locs, err)
	}
	// The destruction list: a permanent, restricted record of CC-2026-001.
	reg, err := w.a.Record(ctx, tomb.Disposal.Register)
	if err != nil || reg.Type != retention.RegisterType || reg.Project != "CC-2026-001" || reg.Retention != archive.Permanent ||
		reg.Disclosure != archive.Restricted {
		t.Fatalf("destruction list: %+v, %v", reg, err)
	}
	body := readContent(t, w, reg.Content.SHA256)
	for _, want := range []string{"进度表一", "进度表二", alone.ID, "已销毁", "保留（另有保管中的档案为同一内容）", "2037-01-01"} {
		if !strings.Contains(body, want) {
			t.Errorf("destruction list lacks %q:\n%s", want, body)
		}
	}
	if r := w.retention(w.versionKey(reg)); r.Until.Before(w.now().Add(50 * 365 * 24 * time.Hour)) {
		t.Errorf("destruction list locked until %v: want for ever", r.Until)
	}
	if hist, _ := w.ex.DisposalHistory(ctx, d.ID); len(hist) != 3 || hist[0].Actor != alice || hist[1].Actor != bob || hist[2].Step != retention.Done {
		t.Fatalf("disposal history: %+v", hist)
	}
	// Approving again: done already, nothing more.
	if _, err := w.ex.Approve(ctx, d.ID, "再次", bob, false); !errors.Is(err, retention.ErrStep) {
		t.Fatalf("approval of a done disposal: %v", err)
	}
	// The held record and the kept one are untouched.
	if r, _ := w.a.Record(ctx, held.ID); r.Disposal != nil {
		t.Fatal("held record disposed of")
	}

	// Verify of the old file: exactly what was filed, and disposed of, when,
	// on whose approval.
	v := verify.New(w.a, ledger.New(w.st, ledger.Options{Key: ledger.Key{Verifier: w.key.Verifier}}), w.key.Verifier, verify.Options{Now: w.now})
	res, err := v.File(ctx, digests(pdf("alone")))
	if err != nil {
		t.Fatal(err)
	}
	hist, _ := w.ex.DisposalHistory(ctx, d.ID)
	if !res.Verified || len(res.Matches) != 1 || res.Matches[0].Disposed == nil || res.Matches[0].Version != 1 ||
		res.Matches[0].Disposed.Approver != string(bob) || res.Matches[0].Disposed.Proposer != string(alice) ||
		res.Matches[0].Disposed.List != d.ID || !res.Matches[0].Disposed.Approved.Equal(hist[1].At) {
		t.Fatalf("verify of the disposed file: %+v (approved %v)", res.Matches, hist[1].At)
	}
	// An old receipt (saved before the disposal would do; one now is the same
	// entry) verifies offline and, with the archive, shows the disposal.
	off, err := verify.Offline(*res.Receipt(), w.key.Verifier, digests(pdf("alone")))
	if err != nil || !off.Verified {
		t.Fatalf("offline: %+v, %v", off, err)
	}
	if err := v.AddDisposals(ctx, off); err != nil || off.Matches[0].Disposed == nil {
		t.Fatalf("offline with the archive at hand: %+v, %v", off.Matches[0], err)
	}

	// The audit: clean, the deleted content a notice of its tombstone.
	rep, err := audit.Run(ctx, audit.Options{Store: w.st, Archive: w.a, Ledger: w.l, Now: w.now})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Failures) != 0 {
		t.Fatalf("audit after the disposal: %+v", rep.Failures)
	}
	var notice *audit.Failure
	for i, n := range rep.Notices {
		if n.Kind == audit.ContentDisposed {
			notice = &rep.Notices[i]
		}
	}
	if notice == nil || notice.Key != archive.ContentKey(alone.Content.SHA256) || !strings.Contains(notice.Detail, string(bob)) {
		t.Fatalf("audit notices: %+v", rep.Notices)
	}
}

func digests(b []byte) archive.Digests {
	d := archive.NewDigester()
	d.Write(b)
	return d.Sum()
}

func sortedIDs(ids ...string) []string { slices.Sort(ids); return ids }

func ledgerSize(t *testing.T, w *world) int64 {
	t.Helper()
	_, cp, err := w.l.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

func readContent(t *testing.T, w *world, h archive.Hash) string {
	t.Helper()
	rc, err := w.a.OpenContent(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var b bytes.Buffer
	b.ReadFrom(rc)
	return b.String()
}

// A storage legal hold is one flag per object: releasing project A's hold never
// frees content that project B's hold still covers.
func TestHoldsShareContent(t *testing.T) {
	w, _ := fsWorld(t, &retention.Rules{})
	ctx := context.Background()
	a := w.file("CC-2026-001", "site_chart", "甲", archive.D(2026, 3, 18), pdf("same"))
	b := w.file("JL-2026-003", "site_chart", "乙", archive.D(2026, 3, 18), pdf("same"))
	own := w.file("CC-2026-001", "site_chart", "丙", archive.D(2026, 3, 18), pdf("own"))
	ha, err := w.ex.Place(ctx, retention.Scope{Project: "CC-2026-001"}, "诉讼 A", alice)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := w.ex.Place(ctx, retention.Scope{Record: b.ID}, "诉讼 B", bob)
	if err != nil {
		t.Fatal(err)
	}
	shared := archive.ContentKey(a.Content.SHA256)
	for _, key := range []string{shared, archive.ContentKey(own.Content.SHA256), w.versionKey(a), w.versionKey(b), "projects/CC-2026-001/000001.json"} {
		if !w.retention(key).LegalHold {
			t.Errorf("%s not held", key)
		}
	}
	if w.retention("projects/JL-2026-003/000001.json").LegalHold {
		t.Error("a record's hold holds its project")
	}
	// Filed into a held project: held as it is filed.
	late := w.file("CC-2026-001", "site_chart", "丁", archive.D(2026, 6, 1), pdf("late"))
	if !w.retention(w.versionKey(late)).LegalHold || !w.retention(archive.ContentKey(late.Content.SHA256)).LegalHold {
		t.Error("a record filed into a held project is not held")
	}
	res, err := w.ex.Release(ctx, ha.Hold.ID, "判决生效", alice)
	if err != nil {
		t.Fatal(err)
	}
	if !w.retention(shared).LegalHold {
		t.Error("releasing A's hold freed content B's hold still covers")
	}
	if !slices.Contains(res.Kept, shared) {
		t.Errorf("release kept %v, want the shared content", res.Kept)
	}
	for _, key := range []string{archive.ContentKey(own.Content.SHA256), w.versionKey(a), w.versionKey(late), "projects/CC-2026-001/000001.json"} {
		if w.retention(key).LegalHold {
			t.Errorf("%s still held after release", key)
		}
	}
	if _, err := w.ex.Release(ctx, ha.Hold.ID, "again", alice); !errors.Is(err, retention.ErrReleased) {
		t.Errorf("second release: %v", err)
	}
	if _, err := w.ex.Release(ctx, hb.Hold.ID, "结案", bob); err != nil {
		t.Fatal(err)
	}
	if w.retention(shared).LegalHold || w.retention(w.versionKey(b)).LegalHold {
		t.Error("still held after both holds were released")
	}
	// Both are ledger events: hold and release.
	for _, h := range []string{ha.Hold.ID, hb.Hold.ID} {
		for n, kind := range map[int]archive.EventKind{1: archive.EventHold, 2: archive.EventRelease} {
			locs, err := w.l.LookupSubject(ctx, archive.SubjectHold, h, n)
			if err != nil || len(locs) != 1 || locs[0].Kind != kind {
				t.Errorf("hold %s version %d: %+v, %v", h, n, locs, err)
			}
		}
	}
	for _, bad := range []struct {
		scope  retention.Scope
		reason string
	}{{retention.Scope{}, "x"}, {retention.Scope{Project: "CC-2026-001", Record: a.ID}, "x"},
		{retention.Scope{Project: "NO-SUCH"}, "x"}, {retention.Scope{Project: "CC-2026-001"}, ""},
		{retention.Scope{Project: "CC-2026-001"}, "bad\x1b[31m"}} {
		if _, err := w.ex.Place(ctx, bad.scope, bad.reason, alice); err == nil {
			t.Errorf("hold %+v %q accepted", bad.scope, bad.reason)
		}
	}
}

// An archive made before locks gets them by one command; a second run changes
// nothing. The close of a project, unknown at filing, extends the locks.
func TestLockCommandAndClose(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, cst)}
	st, err := fs.Open(t.TempDir(), fs.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	sched, err := retention.ParseSchedules(strings.NewReader(`{"schema":1,"types":{"petition":{"trigger":"project_close"}}}`), archive.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	rules := &retention.Rules{Schedules: sched}
	// An old archive: no locks, no schedules.
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	old := openWorld(t, st, key, rules, c.Now, false)
	if _, err := old.a.CreateProject(ctx, archive.Project{Code: "CC-2026-001", Name: "项目", City: "长春市"}); err != nil {
		t.Fatal(err)
	}
	chart := old.file("CC-2026-001", "site_chart", "进度表", archive.D(2026, 3, 18), pdf("chart"))
	pet := old.file("CC-2026-001", "petition", "信访", archive.D(2026, 4, 1), pdf("petition"))
	if chart.Schedule != nil || !old.retention(old.versionKey(chart)).Until.IsZero() {
		t.Fatal("the old archive locked something")
	}
	w := openWorld(t, st, key, rules, c.Now, true) // the same archive, now with locks
	rep, err := w.ex.Lock(ctx, retention.LockOptions{DryRun: true})
	if err != nil || rep.Extended == 0 || rep.Schedules != 2 {
		t.Fatalf("dry run: %+v, %v", rep, err)
	}
	if !w.retention(w.versionKey(chart)).Until.IsZero() {
		t.Fatal("the dry run locked")
	}
	rep, err = w.ex.Lock(ctx, retention.LockOptions{Actor: archive.ActorCLI})
	if err != nil || rep.Schedules != 2 || rep.Extended == 0 {
		t.Fatalf("lock: %+v, %v", rep, err)
	}
	if got := w.retention(w.versionKey(chart)).Until; !got.Equal(midnight(archive.D(2037, 1, 1))) {
		t.Errorf("old D10 record locked until %v", got)
	}
	// The petition counts from the close: until then, at least from its date.
	if got := w.retention(archive.ContentKey(pet.Content.SHA256)).Until; !got.Equal(midnight(archive.D(2057, 1, 1))) {
		t.Errorf("petition locked until %v, want 2057-01-01 (the least it can be)", got)
	}
	var batches, lockedBatches int
	st.List(ctx, "ledger/batch/", "", func(i blob.Info) error {
		batches++
		if !w.retention(i.Key).Until.IsZero() {
			lockedBatches++
		}
		return nil
	})
	if batches == 0 || lockedBatches != batches {
		t.Errorf("%d of %d batches locked", lockedBatches, batches)
	}
	again, err := w.ex.Lock(ctx, retention.LockOptions{Actor: archive.ActorCLI})
	if err != nil || again.Extended != 0 || again.Schedules != 0 || again.Held != 0 {
		t.Fatalf("second run changed something: %+v, %v", again, err)
	}
	// The project closes in 2031: the petition's disposal date is known, kept,
	// and its locks grow; the chart (counted from its date) does not change.
	c.Set(time.Date(2031, 7, 1, 9, 0, 0, 0, cst))
	if _, err := w.ex.Close(ctx, "CC-2026-001", archive.D(2031, 6, 30), "项目结束，档案移交", alice); err != nil {
		t.Fatal(err)
	}
	en, err := w.ex.StatusOf(ctx, pet.ID)
	if err != nil || en.Status.Due != archive.D(2062, 1, 1) || en.Status.State != retention.Kept {
		t.Fatalf("petition after the close: %+v, %v", en.Status, err)
	}
	if got := w.retention(archive.ContentKey(pet.Content.SHA256)).Until; !got.Equal(midnight(archive.D(2062, 1, 1))) {
		t.Errorf("petition content after the close: %v, want 2062-01-01", got)
	}
	if got := w.retention(w.versionKey(chart)).Until; !got.Equal(midnight(archive.D(2037, 1, 1))) {
		t.Errorf("chart after the close: %v", got)
	}
	if _, err := w.ex.Close(ctx, "CC-2026-001", archive.D(2031, 5, 1), "改", alice); err == nil {
		t.Error("a second, earlier close date was accepted")
	}
	// Extending a record: longer only.
	if _, err := w.ex.Extend(ctx, chart.ID, archive.Years10, "", "不变", alice); err == nil {
		t.Error("an extension to the same period was accepted")
	}
	en, err = w.ex.Extend(ctx, chart.ID, archive.Years30, "", "具有长期保存价值", alice)
	if err != nil || en.Status.Due != archive.D(2057, 1, 1) {
		t.Fatalf("extend: %+v, %v", en.Status, err)
	}
	if got := w.retention(w.versionKey(chart)).Until; !got.Equal(midnight(archive.D(2057, 1, 1))) {
		t.Errorf("chart after extension: %v", got)
	}
	final, err := w.ex.Lock(ctx, retention.LockOptions{Actor: archive.ActorCLI})
	if err != nil || final.Extended != 0 || final.Schedules != 0 {
		t.Fatalf("lock after close and extension changed something: %+v, %v", final, err)
	}
}

// A record's per-household table (its CSV, personal data) is kept, locked and
// disposed of with the record.
func TestTablesGoWithTheirRecord(t *testing.T) {
	// A province whose catalogue keeps survey results ten years.
	b, err := os.ReadFile("../archive/catalogue.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, ty := range raw["types"].([]any) {
		if m := ty.(map[string]any); m["code"] == "survey_result" {
			m["retention"] = "D10"
		}
	}
	b, _ = json.Marshal(raw)
	cat, err := archive.ParseCatalogue(b)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, cst)}
	st, err := fs.Open(t.TempDir(), fs.Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	w := openWorldWith(t, st, key, cat, &retention.Rules{}, c.Now, true)
	if _, err := w.a.CreateProject(ctx, archive.Project{Code: "CC-2026-001", Name: "项目", City: "长春市"}); err != nil {
		t.Fatal(err)
	}
	body := pdf("survey")
	d, err := w.a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.a.CreateRecord(ctx, archive.Record{Project: "CC-2026-001", Type: "survey_result", Title: "调查登记结果",
		Issuer: "长春市南关区人民政府", Date: archive.D(2026, 3, 18), Format: "pdf", FileName: "调查.pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	csv := []byte("户号,户主,建筑面积\n0001,张三,86.5\n")
	cd, err := w.a.PutContent(ctx, bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.PutTable(ctx, archive.Table{Record: rec.ID, Content: cd, Encoding: "utf-8", Key: "户号", Rows: 1,
		Columns: []archive.TableColumn{{Name: "户号", Policy: archive.ColumnPublic}, {Name: "户主", Policy: archive.ColumnMasked, Mask: archive.MaskName},
			{Name: "建筑面积", Policy: archive.ColumnPublic}},
		MaskRule: "test-1", Masked: archive.Hash{1}, Window: archive.DateWindow{From: archive.D(2026, 4, 1), To: archive.D(2026, 4, 8)}}); err != nil {
		t.Fatal(err)
	}
	csvKey := archive.ContentKey(cd.SHA256)
	if got := w.retention(csvKey).Until; !got.Equal(midnight(archive.D(2037, 1, 1))) {
		t.Fatalf("the table's CSV is locked until %v, want its record's 2037-01-01", got)
	}
	h, err := w.ex.Place(ctx, retention.Scope{Record: rec.ID}, "复核", alice)
	if err != nil {
		t.Fatal(err)
	}
	if !w.retention(csvKey).LegalHold {
		t.Error("the record's hold does not hold its table")
	}
	if _, err := w.ex.Release(ctx, h.Hold.ID, "复核结束", alice); err != nil {
		t.Fatal(err)
	}
	c.Set(time.Date(2037, 1, 2, 9, 0, 0, 0, cst))
	dp, err := w.ex.Propose(ctx, []string{rec.ID}, "到期", alice)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := w.ex.Approve(ctx, dp.ID, "同意", bob, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(plan.Delete, csvKey) {
		t.Errorf("deleted %v, want the table's CSV too", plan.Delete)
	}
	if _, err := st.Stat(ctx, csvKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the table's CSV after the disposal: %v", err)
	}
	// The audit names the CSV as disposed of with its record, not missing.
	rep, err := audit.Run(ctx, audit.Options{Store: w.st, Archive: w.a, Ledger: w.l, Now: w.now})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Failures) != 0 {
		t.Fatalf("audit after disposing of a record with a table: %+v", rep.Failures)
	}
	found := false
	for _, n := range rep.Notices {
		found = found || n.Kind == audit.ContentDisposed && n.Key == csvKey
	}
	if !found {
		t.Errorf("audit notices: %+v, want the CSV as content_disposed", rep.Notices)
	}
}
