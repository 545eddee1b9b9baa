package search

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

// A granted request sees the on-request record's content — and only that
// ticket; the grant survives the index re-deciding the record when a window of
// its state opens or closes (the stored state keeps the grants).
func TestGrantedRequest(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	clk := &clock{now: fixtureNow}
	ix := openFixture(t, f, clk)
	const ticket = "20240505-K7M3PX"
	granted, other := archive.RequesterViewer(ticket), archive.RequesterViewer("20240505-ACEFHJ")
	if n := search(t, ix, "kqzhrisk", granted).Total; n != 0 {
		t.Fatalf("before the grant the ticket finds the content: %d", n)
	}
	d, _ := f.src.Doc(ctx, f.ids["risk"], Hint{})
	d.State.Grants = []string{ticket}
	// A window of its state closes in an hour (a table's, say): the index
	// re-decides the record then, from what it stored.
	d.State.Table = archive.TableState{Attached: true, Window: archive.Window{Start: fixtureNow.Add(-time.Hour), End: fixtureNow.Add(time.Hour)}}
	f.src.put(d)
	if _, err := ix.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{fixtureNow, fixtureNow.Add(2 * time.Hour)} {
		clk.Set(at)
		res := search(t, ix, "kqzhrisk", granted)
		if res.Total != 1 || res.Hits[0].Access != archive.AccessContent || !slices.Contains(f.namesOf(res.Hits), "risk") {
			t.Errorf("at %v the ticket finds %v", at, f.namesOf(res.Hits))
		}
		if n := search(t, ix, "kqzhrisk", other).Total; n != 0 {
			t.Errorf("at %v another ticket finds the content", at)
		}
		if n := search(t, ix, "kqzhrisk", public).Total; n != 0 {
			t.Errorf("at %v the public finds the content", at)
		}
	}
}
