package verify_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/verify"
)

// countingContents counts the questions to the content index.
type countingContents struct {
	*ledger.ContentIndex
	finds atomic.Int32
}

func (c *countingContents) Find(ctx context.Context, h archive.Hash) ([]ledger.Found, error) {
	c.finds.Add(1)
	return c.ContentIndex.Find(ctx, h)
}

// withContents gives the fixture a Verifier with a content index that has
// read the ledger, as the portal runs it.
func (f *fixture) withContents(t *testing.T) *countingContents {
	t.Helper()
	ci := &countingContents{ContentIndex: ledger.NewContentIndex(f.ledger.Log)}
	if err := ci.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.v = verify.New(archive.New(f.st, archive.Options{Now: now}), f.ledger, f.key.Verifier, verify.Options{Contents: ci})
	return ci
}

// hiding admits every record but hidden, and counts the records it was asked
// about.
func hiding(hidden string, asked *atomic.Int32) func(context.Context, archive.Record) (bool, error) {
	return func(_ context.Context, latest archive.Record) (bool, error) {
		asked.Add(1)
		return latest.ID != hidden, nil
	}
}

// A file whose record the caller may not see answers exactly as a file nobody
// filed — the same Result, with its own digests — whatever damage the lookups
// have, and it costs what that answer costs: one question to the content
// index, no search of the ledger.
func TestHiddenRecordAnswersAsUnknown(t *testing.T) {
	damages := []struct {
		name   string
		damage func(t *testing.T, f *fixture, rec archive.Record)
	}{
		{"intact", func(*testing.T, *fixture, archive.Record) {}},
		{"marker deleted", func(t *testing.T, f *fixture, rec archive.Record) { f.raw.Remove(t, f.marker(t, rec)) }},
		{"by-record key deleted", func(t *testing.T, f *fixture, rec archive.Record) { f.raw.Remove(t, f.byRecord(t, rec)) }},
		{"marker and key deleted", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Remove(t, f.marker(t, rec))
			f.raw.Remove(t, f.byRecord(t, rec))
		}},
		{"key forged beyond the checkpoint", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Overwrite(t, f.byRecord(t, rec), []byte("7 7\n"))
		}},
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range damages {
				t.Run(tc.name, func(t *testing.T) {
					f := setup(t, b, verify.Options{})
					ci := f.withContents(t)
					hidden := f.recs[1]
					tc.damage(t, f, hidden)
					var asked atomic.Int32
					ctx := context.Background()
					answer := func(d archive.Digests) string {
						t.Helper()
						before := ci.finds.Load()
						res, err := f.v.Verify(ctx, verify.Request{Digests: d, Admit: hiding(hidden.ID, &asked)})
						if err != nil {
							t.Fatal(err)
						}
						if n := ci.finds.Load() - before; n != 1 {
							t.Errorf("%d questions to the content index for one file", n)
						}
						b, _ := json.Marshal(res)
						s := strings.ReplaceAll(string(b), d.SHA256.String(), "SHA256")
						return strings.ReplaceAll(s, d.SM3.String(), "SM3")
					}
					unknown := body(1)
					unknown[20] ^= 1 // same size, other content
					got, want := answer(hidden.Content), answer(digests(unknown))
					if got != want {
						t.Errorf("hidden record's file:\n%s\nunknown file:\n%s", got, want)
					}
					if asked.Load() == 0 && tc.name == "intact" {
						t.Error("the hidden record was never asked about: the test proves nothing")
					}
					if n := f.ledger.searches.Load(); n != 0 {
						t.Errorf("%d searches of the ledger", n)
					}
					// The others still verify, damaged lookups or not.
					tc.damage(t, f, f.recs[2])
					res, err := f.v.Verify(ctx, verify.Request{Digests: f.recs[2].Content, Admit: hiding(hidden.ID, &asked)})
					if err != nil || !res.Verified || len(res.Matches) != 1 || res.Matches[0].Record != f.recs[2].ID {
						t.Fatalf("a visible record after %s: %v %+v", tc.name, err, res)
					}
					if tc.name != "intact" && (!res.Searched || len(res.Derived) == 0) {
						t.Errorf("damage not found: %+v", res)
					}
					if off, err := verify.Offline(*res.Matches[0].Receipt(), f.key.Verifier, f.recs[2].Content); err != nil || !off.Verified {
						t.Fatalf("its receipt offline: %v %+v", err, off)
					}
				})
			}
		})
	}
}

// A forged marker naming a hidden record, for content nobody filed, changes
// nothing either: the hidden record is not mentioned.
func TestForgedMarkerToHiddenRecord(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	f.withContents(t)
	hidden := f.recs[1]
	altered := body(0)
	altered[12] ^= 1
	d := digests(altered)
	h := d.SHA256.String()
	var asked atomic.Int32
	plain, err := f.v.Verify(context.Background(), verify.Request{Digests: d, Admit: hiding(hidden.ID, &asked)})
	if err != nil {
		t.Fatal(err)
	}
	f.forge(t, "by-content/"+h[:2]+"/"+h+"."+hidden.ID, []byte(hidden.ID+"\n"))
	forged, err := f.v.Verify(context.Background(), verify.Request{Digests: d, Admit: hiding(hidden.ID, &asked)})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(plain)
	b, _ := json.Marshal(forged)
	if string(a) != string(b) || strings.Contains(string(b), hidden.ID) {
		t.Fatalf("without the forged marker:\n%s\nwith it:\n%s", a, b)
	}
}

// A browser knows the SHA-256 only: the record version verifies through its
// entry, whose SM3 and size are taken as the file's; the receipt handed out
// verifies offline with the whole file.
func TestSHA256Only(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	f.withContents(t)
	rec := f.recs[0]
	all := func(context.Context, archive.Record) (bool, error) { return true, nil }
	res, err := f.v.Verify(context.Background(), verify.Request{Digests: archive.Digests{SHA256: rec.Content.SHA256},
		SHA256Only: true, Admit: all})
	if err != nil || !res.Verified || res.SM3 != "" || res.Size != 0 || len(res.Matches) != 1 || res.Matches[0].Date != "2026-03-18" {
		t.Fatalf("by SHA-256: %v %+v", err, res)
	}
	if off, err := verify.Offline(*res.Matches[0].Receipt(), f.key.Verifier, rec.Content); err != nil || !off.Verified {
		t.Fatalf("its receipt with the whole file: %v %+v", err, off)
	}
	other := f.recs[1].Content.SHA256
	other[0] ^= 1
	res, err = f.v.Verify(context.Background(), verify.Request{Digests: archive.Digests{SHA256: other}, SHA256Only: true, Admit: all})
	if err != nil || res.Verified || len(res.Reasons) != 1 || res.Reasons[0].Code != proof.NoRecord {
		t.Fatalf("unknown SHA-256: %v %+v", err, res)
	}
}

// Until the content index has read the ledger, a file the lookups do not
// verify is ErrBusy — for hidden, damaged and unknown content alike — and an
// intact visible record verifies. A request that admits records needs the
// index.
func TestContentsNotReady(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	ctx := context.Background()
	all := func(context.Context, archive.Record) (bool, error) { return true, nil }
	if _, err := f.v.Verify(ctx, verify.Request{Digests: f.recs[0].Content, Admit: all}); !errors.Is(err, verify.ErrNoContents) {
		t.Fatalf("Admit without Contents: %v", err)
	}
	ci := ledger.NewContentIndex(f.ledger.Log)
	f.v = verify.New(archive.New(f.st, archive.Options{Now: now}), f.ledger, f.key.Verifier, verify.Options{Contents: ci})
	f.raw.Remove(t, f.marker(t, f.recs[0]))
	var asked atomic.Int32
	unknown := digests([]byte("nobody filed this"))
	for _, d := range []archive.Digests{f.recs[0].Content, f.recs[1].Content, unknown} {
		if _, err := f.v.Verify(ctx, verify.Request{Digests: d, Admit: hiding(f.recs[1].ID, &asked)}); !errors.Is(err, verify.ErrBusy) {
			t.Errorf("before the index is ready: %v, want ErrBusy", err)
		}
	}
	if res, err := f.v.Verify(ctx, verify.Request{Digests: f.recs[2].Content, Admit: all}); err != nil || !res.Verified || res.Searched {
		t.Fatalf("intact record before the index is ready: %v %+v", err, res)
	}
	if err := ci.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if res, err := f.v.Verify(ctx, verify.Request{Digests: f.recs[0].Content, Admit: all}); err != nil || !res.Verified || !res.Searched ||
		!slices.Equal(res.Derived, []verify.Derived{{Object: verify.ContentMarker, Problem: verify.Missing, Record: f.recs[0].ID, Searched: true}}) {
		t.Fatalf("marker deleted, index ready: %v %+v", err, res)
	}
}

// A receipt alone: its entry and record check out, or say why not.
func TestOfflineReceipt(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	r := *f.verifyFile(t, f.recs[0]).Receipt()
	res, err := verify.OfflineReceipt(r, f.key.Verifier)
	if err != nil || !res.Verified || res.Matches[0].Record != f.recs[0].ID || res.Matches[0].Title != f.recs[0].Title || res.SHA256 != "" {
		t.Fatalf("a genuine receipt: %v %+v", err, res)
	}
	r.Record = strings.Replace(r.Record, "第1批", "第9批", 1)
	res, err = verify.OfflineReceipt(r, f.key.Verifier)
	if err != nil || res.Verified || res.Matches[0].Reason == nil || res.Matches[0].Reason.Code != proof.RecordAltered {
		t.Fatalf("a receipt with an altered record: %v %+v", err, res)
	}
}
