package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/verify"
)

var testNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func now() time.Time { return testNow }

// countingLedger counts the searches of the ledger.
type countingLedger struct {
	*ledger.Log
	searches atomic.Int32
}

func (c *countingLedger) FindContent(ctx context.Context, h archive.Hash) ([]ledger.Found, error) {
	c.searches.Add(1)
	return c.Log.FindContent(ctx, h)
}

// fixture is an archive with a ledger on one backend, three filed records, and
// a Verifier that reads it with the verifier key only.
type fixture struct {
	st     blob.Store
	raw    storetest.Raw
	key    ledger.Key
	a      *archive.Archive
	ledger *countingLedger
	v      *verify.Verifier
	recs   []archive.Record
}

const project = "CC-2026-001"

func setup(t *testing.T, b storetest.Backend, opts verify.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	st, raw := b.Open(t, now)
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	a := archive.New(st, archive.Options{Now: now, Journal: ledger.New(st, ledger.Options{Key: key})})
	if _, err := a.CreateProject(ctx, archive.Project{Code: project, Name: "南关区东天街片区旧城区改建项目", City: "长春市",
		Department: "长春市房屋征收经办中心"}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, raw: raw, key: key, a: a}
	for i := range 3 {
		f.recs = append(f.recs, f.file(t, a, i, body(i)))
	}
	f.ledger = &countingLedger{Log: ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: key.Verifier}})}
	f.v = verify.New(archive.New(st, archive.Options{Now: now}), f.ledger, key.Verifier, opts)
	return f
}

func body(i int) []byte {
	return fmt.Appendf(nil, "%%PDF-1.7\n%% 关于房屋征收的决定 %d\n%s\n%%%%EOF\n", i, strings.Repeat("征收", 50+i))
}

func (f *fixture) file(t *testing.T, a *archive.Archive, i int, b []byte) archive.Record {
	t.Helper()
	ctx := context.Background()
	d, err := a.PutContent(ctx, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.CreateRecord(ctx, archive.Record{Project: project, Type: "decision",
		Title: fmt.Sprintf("关于东天街片区房屋征收的决定（第%d批）", i+1), DocNumber: fmt.Sprintf("长征补〔2026〕%d号", 12+i),
		Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18), Format: "pdf", FileName: "决定.pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// keys lists the keys under prefix.
func (f *fixture) keys(t *testing.T, prefix string) []string {
	t.Helper()
	var out []string
	if err := f.st.List(context.Background(), prefix, "", func(i blob.Info) error { out = append(out, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// forge creates the object key with data, or overwrites it.
func (f *fixture) forge(t *testing.T, key string, data []byte) {
	t.Helper()
	_, err := f.st.Put(context.Background(), key, bytes.NewReader(data), blob.PutOptions{Size: int64(len(data))})
	if errors.Is(err, blob.ErrExists) {
		f.raw.Overwrite(t, key, data)
	} else if err != nil {
		t.Fatal(err)
	}
}

// marker is the content marker of rec; byRecord its ledger lookup key.
func (f *fixture) marker(t *testing.T, rec archive.Record) string {
	t.Helper()
	h := rec.Content.SHA256.String()
	k := f.keys(t, "by-content/"+h[:2]+"/"+h+"."+rec.ID)
	if len(k) != 1 {
		t.Fatalf("markers of %s: %v", rec.ID, k)
	}
	return k[0]
}

func (f *fixture) byRecord(t *testing.T, rec archive.Record) string {
	t.Helper()
	k := f.keys(t, fmt.Sprintf("ledger/by-record/%s/%s.%06d.", rec.ID[:2], rec.ID, rec.Version))
	if len(k) != 1 {
		t.Fatalf("by-record keys of %s: %v", rec.ID, k)
	}
	return k[0]
}

func (f *fixture) verifyFile(t *testing.T, rec archive.Record) *verify.Result {
	t.Helper()
	res, err := f.v.File(context.Background(), rec.Content)
	if err != nil {
		t.Fatalf("verify %s: %v", rec.ID, err)
	}
	return res
}

// Every way a derived object can be deleted or forged, on both backends: the
// genuine file still verifies (the ledger is searched for what the lookups
// hid), with its title, department and ledger entry, and the damage is named.
// A derived object never decides the verdict.
func TestDerivedObjectsNeverDecide(t *testing.T) {
	type damage func(t *testing.T, f *fixture, rec archive.Record)
	cases := []struct {
		name     string
		damage   damage
		derived  []verify.Derived
		searched bool
	}{
		{"intact", func(*testing.T, *fixture, archive.Record) {}, nil, false},
		{"marker deleted", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Remove(t, f.marker(t, rec))
		}, []verify.Derived{{Object: verify.ContentMarker, Problem: verify.Missing, Searched: true}}, true},
		{"marker forged, the genuine one deleted", func(t *testing.T, f *fixture, rec archive.Record) {
			// A marker that names another record, whose content differs.
			h := rec.Content.SHA256.String()
			f.forge(t, "by-content/"+h[:2]+"/"+h+"."+f.recs[1].ID, []byte(f.recs[1].ID+"\n"))
			f.raw.Remove(t, f.marker(t, rec))
		}, []verify.Derived{{Object: verify.ContentMarker, Problem: verify.Forged, Record: "1", Searched: true},
			{Object: verify.ContentMarker, Problem: verify.Missing, Searched: true}}, true},
		{"by-record key deleted", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Remove(t, f.byRecord(t, rec))
		}, []verify.Derived{{Object: verify.ByRecordKey, Problem: verify.Missing, Version: 1, Searched: true}}, true},
		{"by-record key forged to another record's entry", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Overwrite(t, f.byRecord(t, rec), []byte("2 2\n")) // entry 2 is recs[1]'s (0 is the project's)
		}, []verify.Derived{{Object: verify.ByRecordKey, Problem: verify.Forged, Version: 1, Searched: true}}, true},
		{"by-record key forged beyond its batch", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Overwrite(t, f.byRecord(t, rec), []byte("2 0\n"))
		}, []verify.Derived{{Object: verify.ByRecordKey, Problem: verify.Forged, Version: 1, Searched: true}}, true},
		{"by-record key forged beyond the signed checkpoint", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Overwrite(t, f.byRecord(t, rec), []byte("7 7\n"))
		}, []verify.Derived{{Object: verify.ByRecordKey, Problem: verify.Forged, Version: 1, Searched: true}}, true},
		{"by-record key garbled", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Overwrite(t, f.byRecord(t, rec), []byte("not an index"))
		}, []verify.Derived{{Object: verify.ByRecordKey, Problem: verify.Forged, Version: 1, Searched: true}}, true},
		{"marker and by-record key deleted", func(t *testing.T, f *fixture, rec archive.Record) {
			f.raw.Remove(t, f.marker(t, rec))
			f.raw.Remove(t, f.byRecord(t, rec))
		}, []verify.Derived{{Object: verify.ContentMarker, Problem: verify.Missing, Searched: true},
			{Object: verify.ByRecordKey, Problem: verify.Missing, Version: 1, Searched: true}}, true},
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					f := setup(t, b, verify.Options{})
					rec := f.recs[0]
					tc.damage(t, f, rec)
					res := f.verifyFile(t, rec)
					if !res.Verified || res.Searched != tc.searched {
						t.Fatalf("verified %v, searched %v; want verified, searched %v: %+v", res.Verified, res.Searched, tc.searched, res)
					}
					m := res.Matches[0]
					if len(res.Matches) != 1 || m.Record != rec.ID || !m.Verified || m.Title != rec.Title ||
						m.Department != "长春市房屋征收经办中心" || m.Index != 1 || m.TreeSize != 4 || !m.RecordBound || !m.ProjectBound ||
						len(m.NewFields) != 0 {
						t.Errorf("matches %+v", res.Matches)
					}
					var want []verify.Derived
					for _, d := range tc.derived {
						if d.Record == "1" {
							d.Record = f.recs[1].ID
						} else {
							d.Record = rec.ID
						}
						want = append(want, d)
					}
					if !slices.Equal(res.Derived, want) {
						t.Errorf("derived %+v, want %+v", res.Derived, want)
					}
					if got := f.ledger.searches.Load(); got != map[bool]int32{false: 0, true: 1}[tc.searched] {
						t.Errorf("%d searches of the ledger", got)
					}
					// The receipt it hands out verifies offline.
					off, err := verify.Offline(*res.Receipt(), f.key.Verifier, rec.Content)
					if err != nil || !off.Verified {
						t.Fatalf("offline: %v %+v", err, off)
					}
				})
			}
		})
	}
}

// Content that is not in the archive is never searched for, whatever the
// markers say: a forged marker that names a real record (of other content)
// is ignored, and the answer is "no record has this content" at the cost of a
// listing and a stat.
func TestUnknownContentIsNotSearched(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, verify.Options{})
			altered := body(0)
			altered[12] ^= 1
			d := digests(altered)
			h := d.SHA256.String()
			f.forge(t, "by-content/"+h[:2]+"/"+h+"."+f.recs[1].ID, []byte(f.recs[1].ID+"\n"))
			res, err := f.v.File(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || len(res.Matches) != 0 || len(res.Reasons) != 1 || res.Reasons[0].Code != proof.NoRecord ||
				res.Reasons[0].Param("sha256") != h {
				t.Fatalf("altered file: %+v", res)
			}
			if !slices.Equal(res.Derived, []verify.Derived{{Object: verify.ContentMarker, Problem: verify.Forged, Record: f.recs[1].ID}}) {
				t.Errorf("derived %+v", res.Derived)
			}
			if n := f.ledger.searches.Load(); n != 0 {
				t.Errorf("%d searches for content that is not in the archive", n)
			}
			var nv *proof.NotVerifiedError
			if err := res.Err(); !errors.As(err, &nv) || nv.Reason.Code != proof.NoRecord || !errors.Is(err, proof.ErrNotVerified) {
				t.Errorf("Err() = %v", err)
			}
		})
	}
}

func digests(b []byte) archive.Digests {
	d := archive.NewDigester()
	d.Write(b)
	return d.Sum()
}

// The search is bounded: with a rate of one search an hour, a second damaged
// content is ErrBusy (nothing decided, never "no"), while the answer for the
// first is kept and serves it again without a search.
func TestSearchIsRateLimited(t *testing.T) {
	b := storetest.Backends()[0]
	f := setup(t, b, verify.Options{SearchEvery: time.Hour, SearchBurst: 1, Now: now})
	for _, rec := range f.recs[:2] {
		f.raw.Remove(t, f.marker(t, rec))
	}
	for i := 0; i < 3; i++ {
		if res := f.verifyFile(t, f.recs[0]); !res.Verified || !res.Searched {
			t.Fatalf("damaged marker, request %d: %+v", i, res)
		}
	}
	if n := f.ledger.searches.Load(); n != 1 {
		t.Fatalf("%d searches for three requests of one content", n)
	}
	if _, err := f.v.File(context.Background(), f.recs[1].Content); !errors.Is(err, verify.ErrBusy) {
		t.Fatalf("second content within the hour: %v, want ErrBusy", err)
	}
	// An intact record verifies without a search, limit or not.
	if res := f.verifyFile(t, f.recs[2]); !res.Verified || res.Searched {
		t.Fatalf("intact record: %+v", res)
	}
}

// When the lookups fail and the search finds nothing, the verdict is given
// from the ledger itself: a record version that the whole ledger does not
// hold is not in the ledger; a ledger entry whose record version is gone from
// the store names it as missing.
func TestVerdictsFromTheLedger(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, verify.Options{})
			ctx := context.Background()

			// Filed without the ledger (an archive with no journal).
			plain := archive.New(f.st, archive.Options{Now: now})
			unjournaled := f.file(t, plain, 7, body(7))
			res := f.verifyFile(t, unjournaled)
			if res.Verified || !res.Searched || len(res.Matches) != 1 || res.Matches[0].Reason.Code != proof.NotInLedger ||
				res.Matches[0].Title != unjournaled.Title || len(res.Derived) != 0 {
				t.Errorf("record not in the ledger: %+v", res)
			}

			// A record version deleted from the store: its content and entry remain.
			rec := f.recs[2]
			f.raw.Remove(t, fmt.Sprintf("records/%s/000001.json", rec.ID))
			res, err := f.v.File(ctx, rec.Content)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.Searched || len(res.Matches) != 1 || res.Matches[0].Reason.Code != proof.RecordMissing ||
				res.Matches[0].Index != 3 {
				t.Errorf("record version deleted: %+v", res)
			}

			// A record version altered in the store: not verified, with the digests.
			rec = f.recs[1]
			js, _ := archive.EncodeRecord(rec)
			f.raw.Overwrite(t, fmt.Sprintf("records/%s/000001.json", rec.ID), bytes.Replace(js, []byte("第2批"), []byte("第9批"), 1))
			res = f.verifyFile(t, rec)
			if res.Verified || len(res.Matches) != 1 || res.Matches[0].Reason.Code != proof.RecordAltered || res.Matches[0].RecordBound {
				t.Errorf("record version altered: %+v", res)
			}
		})
	}
}

// A correction with other content: the old file verifies as version 1,
// superseded by version 2, and the new file as version 2.
func TestSupersededVersion(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	ctx := context.Background()
	rec := f.recs[0]
	fixed := body(9)
	d, err := f.a.PutContent(ctx, bytes.NewReader(fixed), int64(len(fixed)))
	if err != nil {
		t.Fatal(err)
	}
	next := rec
	next.Content = d
	v2, err := f.a.CorrectRecord(ctx, rec.ID, 1, next, "换用盖章后的扫描件")
	if err != nil {
		t.Fatal(err)
	}
	res := f.verifyFile(t, rec)
	if !res.Verified || res.Matches[0].Version != 1 || res.Matches[0].Latest != 2 {
		t.Errorf("old file: %+v", res.Matches)
	}
	res = f.verifyFile(t, v2)
	if !res.Verified || res.Matches[0].Version != 2 || res.Matches[0].Event != "new_version" {
		t.Errorf("new file: %+v", res.Matches)
	}
}

// Reasons are codes with parameters, in English and Chinese, also in JSON.
func TestReasonJSON(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	res := f.verifyFile(t, f.recs[0])
	other := f.recs[1].Content
	off, err := verify.Offline(*res.Receipt(), f.key.Verifier, other)
	if err != nil || off.Verified {
		t.Fatalf("other file against the receipt: %v %+v", err, off)
	}
	b, _ := json.Marshal(off)
	var back struct {
		Matches []struct {
			Reason struct {
				Code   string
				Params map[string]string
				En, Zh string
			}
		}
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	r := back.Matches[0].Reason
	if r.Code != string(proof.FileSHA256) || r.Params["file"] != other.SHA256.String() ||
		!strings.Contains(r.En, "the file's SHA-256 is "+other.SHA256.String()) || !strings.Contains(r.Zh, "文件的 SHA-256 为") {
		t.Fatalf("reason JSON %s", b)
	}
}

// The record fields this release knows are those of archive's canonical form:
// a record with every field set has exactly them, so none is shown as new.
func TestRecordFieldsAreTheCanonicalOnes(t *testing.T) {
	f := setup(t, storetest.Backends()[0], verify.Options{})
	ctx := context.Background()
	b := body(5)
	d, err := f.a.PutContent(ctx, bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	full, err := f.a.CreateRecord(ctx, archive.Record{Project: project, Type: "decision", Title: "关于征收的决定",
		DocNumber: "长征补〔2026〕5号", Issuer: "长春市南关区人民政府", Abstract: "摘要", Keywords: []string{"征收"},
		Date: archive.D(2026, time.March, 18), Disclosure: archive.Public, Retention: archive.Permanent,
		ArchivalCode: "Z109-WS·2026-Y-CQ01-0009", Pages: 3, Format: "pdf", FileName: "决定.pdf", Household: "12-3-401",
		Content: d, Signatures: json.RawMessage(`[]`), Report: json.RawMessage(`{}`), Actor: archive.ActorCLI})
	if err != nil {
		t.Fatal(err)
	}
	next := full
	next.Title += "（更正）"
	if full, err = f.a.CorrectRecord(ctx, full.ID, 1, next, "题名"); err != nil {
		t.Fatal(err)
	}
	res := f.verifyFile(t, full)
	if !res.Verified || len(res.Matches[0].NewFields) != 0 {
		t.Fatalf("a record of this release shows new fields: %+v", res.Matches)
	}
	js, _ := archive.EncodeRecord(full)
	if n := len(proof.DecodeDocument(string(js)).Fields); n != 24 {
		t.Errorf("the full record has %d fields; recordFields lists 24", n)
	}
}

// The project's lookup key is derived too: forged, it leaves the project
// unbound (and is reported), never the file unverified.
func TestForgedProjectKey(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := setup(t, b, verify.Options{})
			keys := f.keys(t, "ledger/by-project/")
			if len(keys) != 1 {
				t.Fatalf("project keys %v", keys)
			}
			f.raw.Overwrite(t, keys[0], []byte("1 1\n")) // the first record's entry
			res := f.verifyFile(t, f.recs[0])
			m := res.Matches[0]
			if !res.Verified || !m.RecordBound || m.ProjectBound || m.Department != "长春市房屋征收经办中心" {
				t.Fatalf("forged project key: %+v", res)
			}
			want := []verify.Derived{{Object: verify.ByProjectKey, Problem: verify.Forged, Project: project, Version: 1}}
			if !slices.Equal(res.Derived, want) {
				t.Errorf("derived %+v", res.Derived)
			}
			if off, err := verify.Offline(*res.Receipt(), f.key.Verifier, f.recs[0].Content); err != nil || !off.Verified {
				t.Fatalf("its receipt offline: %v %+v", err, off)
			}
		})
	}
}
