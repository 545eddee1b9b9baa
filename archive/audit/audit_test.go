package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

func testNow() time.Time { return time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC) }

// fixture is an archive of n records with distinct content, journaled.
type fixture struct {
	st      blob.Store
	raw     storetest.Raw
	a       *archive.Archive
	log     *ledger.Log
	key     ledger.Key
	records []archive.Record
	content [][]byte
	state   string
}

func newFixture(t *testing.T, b storetest.Backend, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	st, raw := b.Open(t, testNow)
	key, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "ledger.key"), "gongshi.example/audit-test")
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(st, ledger.Options{Key: key})
	a := archive.New(st, archive.Options{Now: testNow, Journal: l, TempDir: t.TempDir()})
	if _, err := a.CreateProject(ctx, archive.Project{Code: "CQ-2024-01", Name: "南关区东天街片区旧城区改建项目",
		City: "长春市", Department: "长春市南关区房屋征收经办中心"}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, raw: raw, a: a, log: l, key: key, state: filepath.Join(t.TempDir(), "audit.json")}
	for i := 0; i < n; i++ {
		body := []byte(fmt.Sprintf("%%PDF-1.7\n%% 征收决定 第%d号\n%s%%%%EOF\n", i, strings.Repeat("x", 1000*i)))
		d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := a.CreateRecord(ctx, archive.Record{Project: "CQ-2024-01", Type: "decision",
			Title: fmt.Sprintf("关于东天街片区房屋征收的决定（第%d号）", i), DocNumber: fmt.Sprintf("长征补〔2024〕%d号", i+1),
			Issuer: "长春市南关区人民政府", Date: archive.D(2024, time.March, 15), Format: "pdf",
			FileName: fmt.Sprintf("征收决定-%d.pdf", i), Content: d})
		if err != nil {
			t.Fatal(err)
		}
		f.records = append(f.records, rec)
		f.content = append(f.content, body)
	}
	return f
}

func (f *fixture) run(t *testing.T, edit func(*Options)) Report {
	t.Helper()
	o := Options{Store: f.st, Archive: f.a, Ledger: f.log, StatePath: f.state, Now: testNow, Workers: 3}
	if edit != nil {
		edit(&o)
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestCleanArchive(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b, 5)
			rep := f.run(t, nil)
			if !rep.OK || rep.Read != 5 || rep.ContentObjects != 5 || rep.RecordVersions != 5 || rep.LedgerEntries != 5 || rep.TreeSize != 5 {
				t.Fatalf("clean archive: %+v", rep)
			}
		})
	}
}

// One byte of a stored object changed behind the archive's back: the audit names
// exactly that object, and the failure is in the ledger.
func TestOneByteChanged(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, b, 6)
			victim := f.records[3]
			damaged := bytes.Clone(f.content[3])
			damaged[len(damaged)/2] ^= 0x01
			f.raw.Overwrite(t, archive.ContentKey(victim.Content.SHA256), damaged)

			rep := f.run(t, nil)
			if rep.OK || len(rep.Failures) != 1 {
				t.Fatalf("failures %+v, want exactly one", rep.Failures)
			}
			got := rep.Failures[0]
			if got.Kind != ContentDamaged || got.Key != archive.ContentKey(victim.Content.SHA256) || got.Record != victim.ID || got.LedgerIndex == nil {
				t.Fatalf("failure %+v, want %s damaged and journaled", got, archive.ContentKey(victim.Content.SHA256))
			}
			locs, err := f.log.Lookup(ctx, victim.ID, 1)
			if err != nil || len(locs) != 2 || locs[1].Kind != archive.EventFixityFailure || locs[1].Index != *got.LedgerIndex {
				t.Fatalf("ledger events of the victim: %+v, %v", locs, err)
			}
			// Auditing again reports it again, and journals it again (a new run,
			// a new event).
			if rep := f.run(t, func(o *Options) { o.Now = func() time.Time { return testNow().Add(time.Hour) } }); len(rep.Failures) != 1 {
				t.Fatalf("second audit: %+v", rep.Failures)
			}
			if locs, _ := f.log.Lookup(ctx, victim.ID, 1); len(locs) != 3 {
				t.Fatalf("after the second audit: %d events, want 3", len(locs))
			}
		})
	}
}

func TestRecordVersionDeleted(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b, 4)
			victim := f.records[1]
			key := fmt.Sprintf("records/%s/%06d.json", victim.ID, 1)
			f.raw.Remove(t, key)
			rep := f.run(t, nil)
			if len(rep.Failures) != 1 || rep.Failures[0].Kind != RecordMissing || rep.Failures[0].Key != key || rep.Failures[0].LedgerIndex == nil {
				t.Fatalf("failures %+v, want %s missing", rep.Failures, key)
			}
		})
	}
}

func TestLedgerEntryReplaced(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, b, 3)
			// Each record was appended alone: batch k holds entry k. Replace entry 1
			// with the same text but another SM3.
			var keys []string
			f.st.List(ctx, "ledger/batch/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
			ev, _ := archive.RecordEvent(archive.EventFile, f.records[1])
			ev.Content.SM3[0] ^= 1
			text, _ := ledger.FormatEntry(ev)
			f.raw.Overwrite(t, keys[1], append(binary.BigEndian.AppendUint16(nil, uint16(len(text))), text...))

			rep := f.run(t, nil)
			var kinds []string
			for _, fl := range rep.Failures {
				kinds = append(kinds, fl.Kind+" "+fl.Key)
			}
			if len(rep.Failures) != 1 || rep.Failures[0].Kind != EntryAltered || rep.Failures[0].Key != "ledger entry 1" ||
				rep.Failures[0].Record != f.records[1].ID || rep.Failures[0].LedgerIndex == nil {
				t.Fatalf("failures %v, want entry 1 altered, journaled", kinds)
			}
		})
	}
}

// Killed in the middle of the content phase, the audit resumes where it was and
// reads only what it had not.
func TestResumeAfterKill(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f := newFixture(t, b, 10)
			damaged := bytes.Clone(f.content[0])
			damaged[0] ^= 0x80
			f.raw.Overwrite(t, archive.ContentKey(f.records[0].Content.SHA256), damaged)

			ctx, cancel := context.WithCancel(context.Background())
			_, err := Run(ctx, Options{Store: f.st, Archive: f.a, Ledger: f.log, StatePath: f.state, Now: testNow,
				Workers: 1, ChunkSize: 2, Progress: func(p Progress) {
					if p.Done == 5 {
						cancel() // the kill
					}
				}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("killed run: %v", err)
			}
			var reread int64
			rep := f.run(t, func(o *Options) {
				o.ChunkSize = 2
				o.Progress = func(p Progress) { reread = p.Done }
			})
			if !rep.Resumed || rep.Read != 10 || reread != 6 {
				t.Fatalf("resumed run: resumed %v, read %d in all, %d in this run; want true, 10, 6", rep.Resumed, rep.Read, reread)
			}
			if len(rep.Failures) != 1 || rep.Failures[0].Record != f.records[0].ID {
				t.Fatalf("failures %+v", rep.Failures)
			}
			// Done: the next run starts over.
			if rep := f.run(t, nil); rep.Resumed || rep.Read != 10 {
				t.Fatalf("run after a complete one: %+v", rep)
			}
		})
	}
}

func TestSample(t *testing.T) {
	f := newFixture(t, storetest.Backends()[0], 12)
	rep := f.run(t, func(o *Options) { o.Sample = 0.25 })
	if rep.Sample != 0.25 || rep.Read > 12 || !rep.OK {
		t.Fatalf("sample: %+v", rep)
	}
	for _, tc := range []struct {
		h      archive.Hash
		offset uint16
		want   bool
	}{
		{archive.Hash{0x00, 0x00}, 0, true},
		{archive.Hash{0x3f, 0xff}, 0, true},
		{archive.Hash{0x40, 0x00}, 0, false},
		{archive.Hash{0x00, 0x10}, 0xfff0, true}, // the window wraps around
		{archive.Hash{0xff, 0xef}, 0xfff0, false},
	} {
		if got := sampled(tc.h, 0.25, tc.offset); got != tc.want {
			t.Errorf("sampled(%x, 0.25, %#x) = %v", tc.h[:2], tc.offset, got)
		}
	}
}
