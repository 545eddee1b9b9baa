package retention_test

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/retention"
)

var errKilled = errors.New("killed")

// dying is a store whose process dies at its n-th change (put, delete, lock):
// that change and every one after it fail, as nothing more is written by a
// killed process. Reads go on, as they would for the next process.
type dying struct {
	blob.Store
	n, at atomic.Int64
}

func (d *dying) dead() bool { return d.n.Add(1) >= d.at.Load() }

func (d *dying) Put(ctx context.Context, key string, r io.Reader, o blob.PutOptions) (blob.Info, error) {
	if d.dead() {
		return blob.Info{}, errKilled
	}
	return d.Store.Put(ctx, key, r, o)
}

func (d *dying) Delete(ctx context.Context, key string) error {
	if d.dead() {
		return errKilled
	}
	return d.Store.Delete(ctx, key)
}

func (d *dying) SetLegalHold(ctx context.Context, key string, on bool) error {
	if d.dead() {
		return errKilled
	}
	return d.Store.SetLegalHold(ctx, key, on)
}

func (d *dying) ExtendRetention(ctx context.Context, key string, until time.Time) error {
	if d.dead() {
		return errKilled
	}
	return d.Store.ExtendRetention(ctx, key, until)
}

func (d *dying) Sync(ctx context.Context) error { return blob.Sync(ctx, d.Store) }

// A disposal killed at any point of its carrying out is carried on by
// approving it again, by the same approver, in the next process: every record
// gets exactly one tombstone, each project one destruction list, the content
// no kept record needs is gone and the shared one stays, and the ledger and the
// audit are clean. Every change the approval makes is a point it dies at.
func TestDisposalKilled(t *testing.T) {
	ctx := context.Background()
	short := func(o *ledger.Options) { o.LeaseTTL = 50 * time.Millisecond }
	for point := int64(1); ; point++ {
		c := &clock{t: time.Date(2026, 12, 1, 10, 0, 0, 0, cst)}
		under, err := fs.Open(t.TempDir(), fs.Options{Now: c.Now})
		if err != nil {
			t.Fatal(err)
		}
		w0 := newWorld(t, under, &retention.Rules{}, c.Now)
		alone := w0.file("CC-2026-001", "site_chart", "进度表一", archive.D(2026, 3, 18), pdf("alone"))
		shared := w0.file("JL-2026-003", "site_chart", "进度表二", archive.D(2026, 3, 18), pdf("shared"))
		keeper := w0.file("JL-2026-003", "petition", "信访答复", archive.D(2026, 4, 1), pdf("shared"))
		c.Set(time.Date(2037, 1, 2, 9, 0, 0, 0, cst))
		d, err := w0.ex.Propose(ctx, []string{alone.ID, shared.ID}, "鉴定会议：保管期满", alice)
		if err != nil {
			t.Fatal(err)
		}
		// The approving process, killed at its point-th change.
		st := &dying{Store: under}
		st.at.Store(point)
		w := openWorldWith(t, st, w0.key, archive.DefaultCatalogue(), w0.rules, c.Now, true, short)
		_, err = w.ex.Approve(ctx, d.ID, "同意销毁", bob, false)
		if err == nil {
			if point == 1 {
				t.Fatal("the approval changed nothing")
			}
			t.Logf("killed at each of the %d changes of an approval, carried on each time", point-1)
			under.Close()
			return
		}
		if !errors.Is(err, errKilled) {
			t.Fatalf("point %d: %v", point, err)
		}
		// The next process: the same approver carries it on.
		c.Set(c.Now().Add(time.Minute)) // the dead writer's lease has run out
		next := openWorldWith(t, under, w0.key, archive.DefaultCatalogue(), w0.rules, c.Now, true, short)
		if _, err := next.ex.Approve(ctx, d.ID, "同意销毁", bob, false); err != nil && !errors.Is(err, retention.ErrStep) {
			t.Fatalf("point %d: carrying on: %v", point, err)
		}
		hist, err := next.ex.DisposalHistory(ctx, d.ID)
		if err != nil || len(hist) != 3 || hist[2].Step != retention.Done {
			t.Fatalf("point %d: disposal history %+v, %v", point, hist, err)
		}
		for _, id := range []string{alone.ID, shared.ID} {
			vs, err := next.a.RecordVersions(ctx, id)
			if err != nil || len(vs) != 2 || vs[1].Disposal == nil || vs[1].Disposal.Approver != bob {
				t.Fatalf("point %d: versions of %s: %d, %v", point, id, len(vs), err)
			}
		}
		var lists []string
		if err := next.a.Records(ctx, func(r archive.Record) error {
			if r.Type == retention.RegisterType {
				lists = append(lists, r.Project)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(lists)
		if !slices.Equal(lists, []string{"CC-2026-001", "JL-2026-003"}) {
			t.Fatalf("point %d: destruction lists of %v, want one per project", point, lists)
		}
		if _, err := under.Stat(ctx, archive.ContentKey(alone.Content.SHA256)); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("point %d: content of the disposed record: %v", point, err)
		}
		if _, err := under.Stat(ctx, archive.ContentKey(keeper.Content.SHA256)); err != nil {
			t.Fatalf("point %d: shared content: %v", point, err)
		}
		rep, err := audit.Run(ctx, audit.Options{Store: under, Archive: next.a, Ledger: next.l, Now: c.Now})
		if err != nil || !rep.OK || len(rep.Failures) != 0 {
			t.Fatalf("point %d: audit: %+v, %v", point, rep.Failures, err)
		}
		under.Close()
	}
}
