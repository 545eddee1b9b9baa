package audit

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/safefile"
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
	return newFixtureAt(t, b, n, testNow)
}

// newFixtureAt is newFixture with the store's clock now (the modification
// times that say what is young).
func newFixtureAt(t *testing.T, b storetest.Backend, n int, now func() time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	st, raw := b.Open(t, now)
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
			// Six entries: the project's version 1, then the five records.
			if !rep.OK || rep.Read != 5 || rep.ContentObjects != 5 || rep.RecordVersions != 5 || rep.LedgerEntries != 6 || rep.TreeSize != 6 {
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
			// Each version was appended alone: batch k holds entry k, the project's
			// version 1 is entry 0, record k entry k+1. Replace the entry of
			// record 1 (entry 2) with the same text but another SM3.
			var keys []string
			f.st.List(ctx, "ledger/batch/", "", func(i blob.Info) error { keys = append(keys, i.Key); return nil })
			ev, _ := archive.RecordEvent(archive.EventFile, f.records[1])
			ev.Content.SM3[0] ^= 1
			text, _ := ledger.FormatEntry(ev)
			f.raw.Overwrite(t, keys[2], append(binary.BigEndian.AppendUint16(nil, uint16(len(text))), text...))

			rep := f.run(t, nil)
			var kinds []string
			for _, fl := range rep.Failures {
				kinds = append(kinds, fl.Kind+" "+fl.Key)
			}
			// The batch that holds it is an authoritative object of the ledger:
			// while it is damaged, nothing is appended to the ledger (issue #8:
			// damage never grows); the audit stores a damage notice instead.
			if len(rep.Failures) != 1 || rep.Failures[0].Kind != EntryAltered || rep.Failures[0].Key != "ledger entry 2" ||
				rep.Failures[0].Record != f.records[1].ID || rep.Failures[0].LedgerIndex != nil ||
				!rep.LedgerDamaged || rep.DamageNotice == "" {
				t.Fatalf("failures %v (damaged %v, notice %q), want entry 2 altered, not journaled, a damage notice", kinds, rep.LedgerDamaged, rep.DamageNotice)
			}
			if _, err := f.log.Append(ctx, archive.Event{Kind: archive.EventFixityFailure, RecordID: f.records[0].ID, Version: 1,
				Content: f.records[0].Content, Time: testNow()}); !errors.Is(err, ledger.ErrDamaged) || !strings.Contains(err.Error(), "ledger entry 2") {
				t.Fatalf("append to the damaged ledger: %v, want ErrDamaged naming entry 2", err)
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

// The saved state is the owner's only (0600), and a symbolic link put at its
// path is neither read nor written through: the audit refuses to start, and the
// file the link points at is left as it was.
func TestStateFile(t *testing.T) {
	f := newFixture(t, storetest.Backends()[0], 4)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Options{Store: f.st, Archive: f.a, Ledger: f.log, StatePath: f.state, Now: testNow,
		Workers: 1, ChunkSize: 1, Progress: func(p Progress) {
			if p.Done == 2 {
				cancel()
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("killed run: %v", err)
	}
	fi, err := os.Lstat(f.state)
	if err != nil || fi.Mode() != 0o600 {
		t.Fatalf("the saved state: %v, %v; want a regular file with mode 0600", fi.Mode(), err)
	}
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.Rename(f.state, target); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(target)
	if err := os.Symlink(target, f.state); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Store: f.st, Archive: f.a, Ledger: f.log, StatePath: f.state, Now: testNow}); !errors.Is(err, safefile.ErrLink) {
		t.Fatalf("run with a link at the state's path: %v, want safefile.ErrLink", err)
	}
	// Started afresh (--restart), the run still does not write through the link.
	if _, err := Run(context.Background(), Options{Store: f.st, Archive: f.a, Ledger: f.log, StatePath: f.state, Restart: true,
		Now: testNow, ChunkSize: 1}); !errors.Is(err, safefile.ErrLink) {
		t.Fatalf("restarted run with a link at the state's path: %v, want safefile.ErrLink", err)
	}
	if after, _ := os.ReadFile(target); !bytes.Equal(after, before) {
		t.Fatal("the file the link points at was changed")
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

// flakyStore is the real store whose Gets of chosen keys fail the way an S3 server
// answering 503, or a connection reset in the middle of a read, makes them fail.
type flakyStore struct {
	blob.Store
	mu    sync.Mutex
	fails map[string]int  // how many more Gets of the key fail; -1: all of them
	gone  map[string]bool // Gets of the key say blob.ErrNotFound
	gets  map[string]int  // Gets of the key so far
}

func newFlakyStore(st blob.Store) *flakyStore {
	return &flakyStore{Store: st, fails: map[string]int{}, gone: map[string]bool{}, gets: map[string]int{}}
}

func (s *flakyStore) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	s.mu.Lock()
	s.gets[key]++
	n, gets, gone := s.fails[key], s.gets[key], s.gone[key]
	if n > 0 {
		s.fails[key]--
	}
	s.mu.Unlock()
	switch {
	case gone:
		return nil, fmt.Errorf("get %s: %w", key, blob.ErrNotFound)
	case n == 0:
		return s.Store.Get(ctx, key)
	case gets%2 == 1:
		return nil, fmt.Errorf("get %s: 503 Service Unavailable: Please reduce your request rate", key)
	}
	rc, err := s.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	return &resetReader{rc: rc, left: 10}, nil
}

func (s *flakyStore) count(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets[key]
}

// resetReader reads left bytes, then fails as a reset connection does.
type resetReader struct {
	rc   io.ReadCloser
	left int
}

func (r *resetReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, errors.New("read tcp 127.0.0.1:52114->127.0.0.1:9000: read: connection reset by peer")
	}
	n, err := r.rc.Read(p[:min(len(p), r.left)])
	r.left -= n
	return n, err
}

func (r *resetReader) Close() error { return r.rc.Close() }

// A content object that cannot be read for a while is read again; one that cannot
// be read at all is reported as a read error, not as a fixity failure, and nothing
// is appended to the ledger for it. Only an object that is not there is a failure.
func TestTransientReadErrors(t *testing.T) {
	defer func(d time.Duration) { readBackoff = d }(readBackoff)
	readBackoff = time.Millisecond
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, b, 5)
			fl := newFlakyStore(f.st)
			flaky := archive.ContentKey(f.records[1].Content.SHA256)
			down := archive.ContentKey(f.records[2].Content.SHA256)
			gone := archive.ContentKey(f.records[3].Content.SHA256)
			fl.fails[flaky] = 2 // a 503, then a reset in mid-read, then it reads
			fl.fails[down] = -1
			fl.gone[gone] = true
			before := ledgerSize(t, f.log)

			rep := f.run(t, func(o *Options) { o.Store = fl })
			if rep.OK || rep.Read != 5 {
				t.Errorf("ok %v, read %d; want false, 5", rep.OK, rep.Read)
			}
			if len(rep.Failures) != 1 || rep.Failures[0].Kind != ContentMissing || rep.Failures[0].Key != gone || rep.Failures[0].LedgerIndex == nil {
				t.Fatalf("failures %+v, want only %s missing, journaled", rep.Failures, gone)
			}
			if len(rep.ReadErrors) != 1 || rep.ReadErrors[0].Key != down || !strings.Contains(rep.ReadErrors[0].Detail, "connection reset") {
				t.Fatalf("read errors %+v, want %s", rep.ReadErrors, down)
			}
			if n := fl.count(flaky); n != 3 {
				t.Errorf("%d Gets of the object that failed twice, want 3", n)
			}
			if n := fl.count(down); n != readAttempts {
				t.Errorf("%d Gets of the object that always fails, want %d", n, readAttempts)
			}
			// Not retried: read once, and once more by the second look that
			// confirms it is missing before it goes into the ledger.
			if n := fl.count(gone); n != 2 {
				t.Errorf("%d Gets of the missing object, want 2 (the first look and the second)", n)
			}
			// The ledger has the one failure, and nothing about the others.
			if after := ledgerSize(t, f.log); after != before+1 {
				t.Errorf("ledger size %d after the audit, want %d", after, before+1)
			}
			for _, i := range []int{1, 2} {
				if locs, err := f.log.Lookup(ctx, f.records[i].ID, 1); err != nil || len(locs) != 1 {
					t.Errorf("ledger events of record %d: %+v, %v; want its filing only", i, locs, err)
				}
			}

			// The store is back: a new audit finds nothing wrong.
			delete(fl.fails, down)
			delete(fl.gone, gone)
			if rep := f.run(t, func(o *Options) { o.Store = fl }); !rep.OK || len(rep.ReadErrors) != 0 {
				t.Fatalf("audit after recovery: %+v", rep)
			}
		})
	}
}

func ledgerSize(t *testing.T, l *ledger.Log) int64 {
	t.Helper()
	_, cp, err := l.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}
