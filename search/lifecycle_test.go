package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

func search(t *testing.T, ix *Index, q string, v archive.Viewer) Result {
	t.Helper()
	res, err := ix.Search(context.Background(), Request{Query: q, Viewer: v, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The index follows the ledger: filings, publications, withdrawals, a project's
// new name, a record gone; it stores how far it has applied and goes on from
// there after a restart.
func TestFollow(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clk := &clock{now: fixtureNow}
	dir := t.TempDir()
	opts := Options{Dir: dir, Source: f.src, Now: clk.Now, Shards: 2}
	ix, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	st := ix.Status()
	if st.Lag != 0 || st.Applied != int64(len(f.src.changes)) {
		t.Fatalf("status after catching up: %+v", st)
	}
	// The public finds rehouse and policyJL (站前 is in their project's name); the
	// draft is not published, surveyJL is for the project's households.
	if n := search(t, ix, "站前", public).Total; n != 2 {
		t.Fatalf("站前: %d", n)
	}
	// The draft decision is published: one entry, one poll.
	d, _ := f.src.Doc(ctx, f.ids["draft"], Hint{})
	d.State = published
	f.src.put(d)
	if got := search(t, ix, "站前", public).Total; got != 2 {
		t.Errorf("before the poll the public sees %d", got)
	}
	if st := ix.Status(); st.Lag != 0 {
		t.Errorf("lag before polling %d (the size is read at the poll)", st.Lag)
	}
	if n, err := ix.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	if got := search(t, ix, "站前", public).Total; got != 3 {
		t.Errorf("after publication the public sees %d, want 3", got)
	}
	// Withdrawn again.
	d.State = archive.RecordState{Publication: archive.Withdrawn}
	f.src.put(d)
	ix.Poll(ctx)
	if got := search(t, ix, "站前", public).Total; got != 2 {
		t.Errorf("after withdrawal the public sees %d, want 2", got)
	}
	// A new record, filed and published.
	nr := d.Record
	nr.Title, nr.DocNumber, nr.ID = "关于站前片区房屋征收范围的补充公告", "", "bbbbbbbbbbbbbbbbbbbbbbbbbb"
	nr.Type = "subsidy_policy"
	f.src.put(Doc{Record: nr, Project: d.Project, State: published})
	// The project gets a new name: its records carry it.
	p := d.Project
	p.Name = "船营区站前新区棚户区改造项目"
	f.src.project(p)
	// A record leaves the archive.
	f.src.remove(f.ids["rehouse"])
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := search(t, ix, "补充公告", public); got.Total != 1 || got.Hits[0].ProjectName != p.Name {
		t.Errorf("the new record: %+v", got.Hits)
	}
	if got := search(t, ix, "站前新区", archivist).Total; got != 4 { // draft, surveyJL, policyJL, the new one
		t.Errorf("records under the project's new name: %d, want 4", got)
	}
	if got := search(t, ix, "产权调换房源", archivist).Total; got != 0 {
		t.Errorf("a removed record is still found (%d)", got)
	}
	applied := ix.Status().Applied
	if applied != int64(len(f.src.changes)) {
		t.Errorf("applied %d of %d", applied, len(f.src.changes))
	}
	ix.Close()

	// Reopened: it goes on from where it was, reading nothing again.
	loads := f.src.loads
	ix, err = Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if st := ix.Status(); st.Applied != applied {
		t.Errorf("reopened at %d, want %d", st.Applied, applied)
	}
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if f.src.loads != loads {
		t.Errorf("reopening read %d records again", f.src.loads-loads)
	}
	if got := search(t, ix, "补充公告", public).Total; got != 1 {
		t.Errorf("after reopening: %d", got)
	}
}

// A publicity window closes by itself: no poll, no entry, only the clock.
func TestWindowClosesByItself(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: fixtureNow}
	ix := openFixture(t, f, clk)
	if got := search(t, ix, "初步评估", hh12).Total; got != 1 {
		t.Fatalf("in the window household 12 sees %d", got)
	}
	clk.Set(time.Date(2024, 5, 7, 23, 59, 59, 0, time.UTC))
	if got := search(t, ix, "初步评估", hh12).Total; got != 1 {
		t.Errorf("the last second of the window: %d", got)
	}
	clk.Set(time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC))
	res := search(t, ix, "初步评估", hh12)
	if res.Total != 0 || !facetsEmpty(res.Facets) {
		t.Errorf("at the window's end: total %d, facets %+v", res.Total, res.Facets)
	}
	if got := search(t, ix, "初步评估", archivist).Total; got != 2 { // staff still sees both
		t.Errorf("staff after the window: %d, want 2", got)
	}
	// It opens by itself too.
	f2 := newFixture(t)
	clk2 := &clock{now: time.Date(2024, 4, 30, 12, 0, 0, 0, time.UTC)}
	ix2 := openFixture(t, f2, clk2)
	if got := search(t, ix2, "初步评估", hh12).Total; got != 0 {
		t.Errorf("before the window: %d", got)
	}
	clk2.Set(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC))
	if got := search(t, ix2, "初步评估", hh12).Total; got != 1 {
		t.Errorf("when the window opens: %d", got)
	}
}

// Version moves with every change of what a search may answer, the clock's
// included, and with nothing else: a cache of answers keyed by it is never
// stale. The fixture's preliminary results are shown to the project's
// households from 2024-05-01 to 05-08 (fixtureNow is inside), with no ledger
// entry at either end.
func TestVersion(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clk := &clock{now: fixtureNow}
	ix := openFixture(t, f, clk)
	version := func() uint64 {
		t.Helper()
		v, err := ix.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := version()
	if got := search(t, ix, "初步评估", hh12).Total; got != 1 {
		t.Fatalf("in the window household 12 finds %d", got)
	}
	if n, err := ix.Poll(ctx); err != nil || n != 0 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	if v := version(); v != v0 {
		t.Errorf("nothing changed but the version moved: %d -> %d", v0, v)
	}
	st := ix.Status()
	if want := time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC); !st.NextChange.Equal(want) {
		t.Errorf("next change %v, want the window's end %v", st.NextChange, want)
	}
	// The last second of the window: nothing due yet.
	clk.Set(time.Date(2024, 5, 7, 23, 59, 59, 0, time.UTC))
	if v := version(); v != v0 {
		t.Errorf("before the window's end the version moved")
	}
	// The window ends: Version re-decides without a search, and moves.
	clk.Set(time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC))
	v1 := version()
	if v1 == v0 {
		t.Fatal("the window closed but the version did not move")
	}
	if got := search(t, ix, "初步评估", hh12).Total; got != 0 {
		t.Errorf("after the window household 12 finds %d", got)
	}
	if v := version(); v != v1 {
		t.Errorf("a search after the change moved the version again")
	}
	// An entry (a publication) moves it too, once applied.
	d, _ := f.src.Doc(ctx, f.ids["draft"], Hint{})
	d.State = published
	f.src.put(d)
	if v := version(); v != v1 {
		t.Errorf("the version moved before the poll applied the entry")
	}
	if n, err := ix.Poll(ctx); err != nil || n != 1 {
		t.Fatalf("poll: %d, %v", n, err)
	}
	if v := version(); v == v1 {
		t.Error("an entry was applied but the version did not move")
	}
	if st := ix.Status(); st.Version != version() {
		t.Errorf("status version %d, Version %d", st.Version, version())
	}
	ix.Close()
	if _, err := ix.Version(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Version of a closed index: %v", err)
	}
}

// One process at a time: a second Open is ErrBusy and says who holds the index
// and where it serves.
func TestBusy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	dir := t.TempDir()
	ix, err := Open(ctx, Options{Dir: dir, Source: f.src, Holder: LockInfo{Command: "serve"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.SetHolder(LockInfo{Command: "serve", Server: "http://127.0.0.1:8080"}); err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Options{Dir: dir, Source: f.src})
	var be *BusyError
	if !errors.Is(err, ErrBusy) || !errors.As(err, &be) || be.Holder.Server != "http://127.0.0.1:8080" || be.Holder.PID != os.Getpid() {
		t.Fatalf("second open: %v", err)
	}
	info, held, err := ReadHolder(dir)
	if err != nil || !held || info.Command != "serve" {
		t.Errorf("ReadHolder: %+v %v %v", info, held, err)
	}
	ix.Close()
	if _, held, _ := ReadHolder(dir); held {
		t.Error("held after Close")
	}
	ix, err = Open(ctx, Options{Dir: dir, Source: f.src})
	if err != nil {
		t.Fatalf("open after the holder closed: %v", err)
	}
	ix.Close()
}

// A rebuild by another process (no lock on the live index) is swapped in while
// searches keep being answered, none failing and none seeing a partial index.
func TestRebuildWhileSearching(t *testing.T) {
	ctx := context.Background()
	ix, opts := openSynth(t, 3, 1500)
	src, dir := opts.Source.(*memSource), opts.Dir
	want := search(t, ix, "征收", archivist).Total
	gen := ix.Status().Generation
	stop := make(chan struct{})
	var searches, failures atomic.Int64
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := ix.Search(ctx, Request{Query: "征收", Viewer: archivist})
				searches.Add(1)
				if err != nil || res.Total != want {
					failures.Add(1)
					t.Errorf("search during the rebuild: total %d (want %d), %v", res.Total, want, err)
				}
			}
		})
	}
	rep, err := Reindex(ctx, opts) // as gongshi reindex does, beside the live index
	if err != nil {
		t.Fatal(err)
	}
	if rep.Docs != 1500 || rep.Position != int64(len(src.changes)) {
		t.Errorf("rebuild report %+v", rep)
	}
	if _, err := ix.Poll(ctx); err != nil { // the holder's next poll swaps it in
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if st := ix.Status(); st.Generation != rep.Generation || st.Generation == gen {
		t.Errorf("after the poll the live generation is %s, the rebuild made %s (was %s)", st.Generation, rep.Generation, gen)
	}
	if got := search(t, ix, "征收", archivist).Total; got != want {
		t.Errorf("after the swap: %d, want %d", got, want)
	}
	// The old generation is kept whole as the previous one (the fallback if the
	// new one is found damaged); a second rebuild removes it, once its searches
	// are done, and keeps the first rebuild's.
	if readPrevious(dir) != gen {
		t.Errorf("previous names %q, want the old generation %s", readPrevious(dir), gen)
	}
	if _, err := os.Stat(filepath.Join(dir, gen, "meta.json")); err != nil {
		t.Errorf("the previous generation: %v", err)
	}
	rep2, err := ix.Reindex(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if readPrevious(dir) != rep.Generation || ix.Status().Generation != rep2.Generation {
		t.Errorf("after a second rebuild: previous %q, live %q; want %s, %s", readPrevious(dir), ix.Status().Generation, rep.Generation, rep2.Generation)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, gen)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the generation before the previous one, %s, is still there", gen)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(dir, rep.Generation, "meta.json")); err != nil {
		t.Errorf("the first rebuild's generation, now the previous one: %v", err)
	}
	t.Logf("%d searches during the rebuild, %d failed", searches.Load(), failures.Load())
	if searches.Load() == 0 {
		t.Error("no search ran during the rebuild")
	}
}

// A rebuild killed half-way leaves the live index as it was: a real process,
// killed with SIGKILL while it builds.
func TestCrashMidRebuild(t *testing.T) {
	if os.Getenv("GONGSHI_SEARCH_CRASH_CHILD") != "" {
		crashChild()
		return
	}
	ctx := context.Background()
	ix, opts := openSynth(t, 4, 1500)
	dir := opts.Dir
	want := search(t, ix, "征收", archivist).Total
	live := ix.Status().Generation

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidRebuild$")
	cmd.Env = append(os.Environ(), "GONGSHI_SEARCH_CRASH_CHILD="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child says "building" once it has indexed a third of the records.
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if string(buf[:n]) != "building\n" {
		cmd.Process.Kill()
		t.Fatalf("child said %q", buf[:n])
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	if got := search(t, ix, "征收", archivist).Total; got != want {
		t.Errorf("after the crash: %d, want %d", got, want)
	}
	if _, err := ix.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if g := ix.Status().Generation; g != live {
		t.Errorf("the live generation changed to %s", g)
	}
	cur, _ := readCurrent(dir)
	if cur != live {
		t.Errorf("current names %s, want %s", cur, live)
	}
	// The next rebuild clears what the killed one left and succeeds.
	rep, err := Reindex(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var gens []string
	for _, e := range entries {
		if e.IsDir() {
			gens = append(gens, e.Name())
		}
	}
	if len(gens) != 2 { // the live one (until swapped) and the new one
		t.Errorf("generations after the next rebuild: %v (new %s)", gens, rep.Generation)
	}
}

// crashChild rebuilds the index in GONGSHI_SEARCH_CRASH_CHILD, telling the parent
// when it is a third of the way, and waits there to be killed.
func crashChild() {
	dir := os.Getenv("GONGSHI_SEARCH_CRASH_CHILD")
	src := synthSource(4, 1500)
	said := false
	_, err := Reindex(context.Background(), Options{Dir: dir, Source: src, Shards: 2,
		Progress: func(done, total int) {
			if !said && done >= total/3 {
				said = true
				fmt.Println("building")
				time.Sleep(time.Minute) // killed here
			}
		}})
	fmt.Println("finished", err)
	os.Exit(0)
}

// A corrupt or missing index is rebuilt at open, never a reason not to start.
func TestCorruptIndexIsRebuilt(t *testing.T) {
	ctx := context.Background()
	for _, damage := range []struct {
		name string
		do   func(t *testing.T, dir, gen string)
	}{
		{"no current", func(t *testing.T, dir, gen string) { os.Remove(filepath.Join(dir, "current")) }},
		{"current names nothing", func(t *testing.T, dir, gen string) {
			os.WriteFile(filepath.Join(dir, "current"), []byte("g-nothing\n"), 0o640)
		}},
		{"current is garbage", func(t *testing.T, dir, gen string) {
			os.WriteFile(filepath.Join(dir, "current"), []byte("../../etc\n"), 0o640)
		}},
		{"generation removed", func(t *testing.T, dir, gen string) { os.RemoveAll(filepath.Join(dir, gen)) }},
		{"meta.json garbage", func(t *testing.T, dir, gen string) {
			os.WriteFile(filepath.Join(dir, gen, "meta.json"), []byte("{"), 0o640)
		}},
		{"older schema", func(t *testing.T, dir, gen string) {
			os.WriteFile(filepath.Join(dir, gen, "meta.json"), []byte(`{"schema":0,"shards":2}`), 0o640)
		}},
		{"segment files zeroed", func(t *testing.T, dir, gen string) {
			filepath.Walk(filepath.Join(dir, gen), func(p string, fi os.FileInfo, err error) error {
				if err == nil && filepath.Ext(p) == ".zap" {
					os.WriteFile(p, make([]byte, fi.Size()), 0o640)
				}
				return nil
			})
		}},
		{"root.bolt truncated", func(t *testing.T, dir, gen string) {
			filepath.Walk(filepath.Join(dir, gen), func(p string, fi os.FileInfo, err error) error {
				if err == nil && filepath.Base(p) == "root.bolt" {
					os.Truncate(p, 100)
				}
				return nil
			})
		}},
		{"shard missing", func(t *testing.T, dir, gen string) { os.RemoveAll(filepath.Join(dir, gen, "shard-1")) }},
	} {
		t.Run(damage.name, func(t *testing.T) {
			f := newFixture(t)
			dir := t.TempDir()
			opts := Options{Dir: dir, Source: f.src, Now: (&clock{now: fixtureNow}).Now, Shards: 2}
			ix, err := Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			gen := ix.Status().Generation
			ix.Close()
			damage.do(t, dir, gen)
			ix, err = Open(ctx, opts)
			if err != nil {
				t.Fatalf("open after damage: %v", err)
			}
			defer ix.Close()
			if ix.Status().Generation == gen {
				t.Errorf("the damaged generation %s was opened, not rebuilt", gen)
			}
			if err := ix.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if got := search(t, ix, "东天街", public).Total; got != 5 {
				t.Errorf("after the rebuild: %d, want 5", got)
			}
		})
	}
}

// Following survives a source that fails: the index keeps answering from what it
// has, and catches up once the source is back.
func TestFollowSourceFailure(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	d, _ := f.src.Doc(ctx, f.ids["draft"], Hint{})
	d.State = published
	f.src.put(d)
	f.src.failAt = f.src.loads // the next load fails
	if _, err := ix.Poll(ctx); err == nil {
		t.Fatal("poll with a failing source succeeded")
	}
	if st := ix.Status(); st.LastError == "" || st.Lag != 1 {
		t.Errorf("status after a failed poll: %+v", st)
	}
	if got := search(t, ix, "站前", public).Total; got != 2 {
		t.Errorf("while the source fails: %d", got)
	}
	f.src.failAt = 0
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if st := ix.Status(); st.Lag != 0 || st.LastError != "" {
		t.Errorf("status after recovery: %+v", st)
	}
	if got := search(t, ix, "站前", public).Total; got != 3 {
		t.Errorf("after recovery: %d", got)
	}
	_ = strconv.Itoa
}
