package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

func testNow() time.Time { return time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC) }

// eachBackend runs test once per storage backend (the filesystem, and MinIO when
// scripts/test runs one), each on a fresh store whose clock is testNow; raw
// reaches the store's bytes behind its back, for the tests that damage it.
func eachBackend(t *testing.T, test func(t *testing.T, st blob.Store, raw storetest.Raw)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			st, raw := b.Open(t, testNow)
			test(t, st, raw)
		})
	}
}

func testKey(t testing.TB, origin string) Key {
	t.Helper()
	k, err := GenerateKeyFile(filepath.Join(t.TempDir(), "keys", "ledger.key"), origin)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// recordID returns a valid record id derived from i.
func recordID(i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "record %d", i))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:16]))
}

// event returns a filing event of record i; its content digests depend on i.
func event(i int) archive.Event {
	return archive.Event{
		Kind: archive.EventFile, RecordID: recordID(i), Version: 1,
		Content:      archive.Digests{SHA256: sha256.Sum256(fmt.Appendf(nil, "content %d", i)), SM3: archive.Hash{byte(i), 3}, Size: int64(1000 + i)},
		RecordDigest: sha256.Sum256(fmt.Appendf(nil, "record json %d", i)),
		Time:         testNow().Add(time.Duration(i) * time.Second),
	}
}

func latest(t *testing.T, l *Log) Checkpoint {
	t.Helper()
	_, cp, err := l.Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// receiptOf returns the receipt of the filing of record i.
func receiptOf(t *testing.T, l *Log, i int) Receipt {
	t.Helper()
	ctx := context.Background()
	locs, err := l.Lookup(ctx, recordID(i), 1)
	if err != nil || len(locs) != 1 {
		t.Fatalf("lookup of record %d: %v, %v", i, locs, err)
	}
	r, err := l.Receipt(ctx, locs[0])
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func allEntries(t *testing.T, l *Log) [][]byte {
	t.Helper()
	var out [][]byte
	err := l.Entries(context.Background(), func(i int64, e []byte) error {
		if i != int64(len(out)) {
			return fmt.Errorf("entry %d after %d entries", i, len(out))
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAppendReceiptsAndIdempotence(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		l := New(st, Options{Key: key})

		if _, _, err := l.Latest(ctx); !errors.Is(err, ErrNotFound) {
			t.Fatalf("latest of an empty log: %v", err)
		}
		// One at a time, then a batch, then concurrently: 300 entries, which
		// fills a level-0 tile and starts the next.
		for i := 0; i < 3; i++ {
			idx, err := l.Append(ctx, event(i))
			if err != nil || idx != int64(i) {
				t.Fatalf("append %d: %d, %v", i, idx, err)
			}
		}
		var evs []archive.Event
		for i := 3; i < 260; i++ {
			evs = append(evs, event(i))
		}
		idx, err := l.AppendAll(ctx, evs)
		if err != nil || idx[0] != 3 || idx[len(idx)-1] != 259 {
			t.Fatalf("append all: %v…, %v", idx[:1], err)
		}
		var wg sync.WaitGroup
		got := make([]int64, 300)
		for i := 260; i < 300; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := l.Append(ctx, event(i))
				if err != nil {
					t.Error(err)
				}
				got[i] = n
			}()
		}
		wg.Wait()
		seen := map[int64]bool{}
		for i := 260; i < 300; i++ {
			if got[i] < 260 || got[i] >= 300 || seen[got[i]] {
				t.Fatalf("concurrent append %d got index %d", i, got[i])
			}
			seen[got[i]] = true
		}
		cp := latest(t, l)
		if cp.Size != 300 || cp.Origin != "gongshi.example/test" {
			t.Fatalf("latest = %+v", cp)
		}

		// The same event again, alone and in a batch with itself: nothing new.
		if n, err := l.Append(ctx, event(7)); err != nil || n != 7 {
			t.Fatalf("re-append: %d, %v", n, err)
		}
		if n, err := l.AppendAll(ctx, []archive.Event{event(300), event(300), event(8)}); err != nil || n[0] != 300 || n[1] != 300 || n[2] != 8 {
			t.Fatalf("batch with repeats: %v, %v", n, err)
		}
		if cp := latest(t, l); cp.Size != 301 {
			t.Fatalf("size after repeats %d, want 301", cp.Size)
		}

		// Every entry's receipt verifies offline, against a fresh log's view.
		l2 := New(st, Options{Key: key})
		for _, i := range []int{0, 1, 255, 256, 299, 300} {
			r := receiptOf(t, l2, i)
			e := event(i)
			v, err := VerifyReceipt(r, key.Verifier, &e.Content)
			if err != nil {
				t.Fatalf("receipt of %d: %v", i, err)
			}
			if v.Event != e || v.Checkpoint.Size != 301 {
				t.Errorf("receipt of %d proves %+v", i, v)
			}
		}
		// The entries hash to the signed root.
		if root, err := RootOf(allEntries(t, l2)); err != nil || root != latest(t, l2).Root {
			t.Fatalf("root of the entries %v, %v; checkpoint %v", root, err, latest(t, l2).Root)
		}
	})
}

func TestTwoWritersOneStore(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		w1, w2 := New(st, Options{Key: key}), New(st, Options{Key: key})
		const each = 40
		idx := make([][]int64, 2)
		var wg sync.WaitGroup
		for w, l := range []*Log{w1, w2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					n, err := l.Append(ctx, event(w*1000+i))
					if errors.Is(err, ErrConflict) {
						i-- // lost too many races in a row: fine, try again
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					idx[w] = append(idx[w], n)
				}
			}()
		}
		wg.Wait()
		seen := map[int64]int{}
		for w := range idx {
			for _, n := range idx[w] {
				if prev, ok := seen[n]; ok {
					t.Fatalf("index %d appended by writer %d and writer %d", n, prev, w)
				}
				seen[n] = w
			}
		}
		entries := allEntries(t, New(st, Options{Key: key}))
		if len(entries) != 2*each || len(seen) != 2*each {
			t.Fatalf("%d entries, %d indexes, want %d", len(entries), len(seen), 2*each)
		}
		cp := latest(t, New(st, Options{Key: key}))
		if root, _ := RootOf(entries); cp.Size != 2*each || root != cp.Root {
			t.Fatalf("checkpoint %+v does not cover the entries", cp)
		}
	})
}

// A crash after the batch was committed, before its tiles and checkpoint: the next
// writer (or reader) completes it.
func TestCrashAfterCommitIsCompleted(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		l := New(st, Options{Key: key})
		if _, err := l.AppendAll(ctx, []archive.Event{event(0), event(1)}); err != nil {
			t.Fatal(err)
		}
		// What a writer that died right after its commit point leaves.
		e2, _ := FormatEntry(event(2))
		e3, _ := FormatEntry(event(3))
		data := encodeBatch([][]byte{e2, e3})
		if _, err := st.Put(ctx, batchKey(2), bytes.NewReader(data), blob.PutOptions{Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		// It had written the lookup key of entry 3, not yet that of entry 2.
		if _, err := st.Put(ctx, subjectKey(event(3)), strings.NewReader("3 2\n"), blob.PutOptions{Size: 4}); err != nil {
			t.Fatal(err)
		}
		// Re-running the append of event 3, in the first writer (which knows the
		// log as of size 2), finds it, and finishes the batch before saying so.
		if n, err := l.Append(ctx, event(3)); err != nil || n != 3 {
			t.Fatalf("re-run after the crash: %d, %v", n, err)
		}
		if locs, err := l.Lookup(ctx, recordID(2), 1); err != nil || len(locs) != 1 || locs[0].Index != 2 {
			t.Fatalf("lookup of entry 2 after completion: %+v, %v", locs, err)
		}
		l2 := New(st, Options{Key: key})
		if n, err := l2.Append(ctx, event(4)); err != nil || n != 4 {
			t.Fatalf("next append: %d, %v", n, err)
		}
		if cp := latest(t, l); cp.Size != 5 {
			t.Fatalf("the first writer sees size %d, want 5", cp.Size)
		}
		if r := receiptOf(t, l, 3); r.Index != 3 {
			t.Fatalf("receipt of entry 3: %+v", r)
		}
		r := receiptOf(t, l, 2)
		if _, err := VerifyReceipt(r, key.Verifier, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOtherKeyIsRejected(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		if _, err := New(st, Options{Key: key}).Append(ctx, event(0)); err != nil {
			t.Fatal(err)
		}
		// Another key, even with the same name, can neither extend the log …
		other := testKey(t, "gongshi.example/test")
		if _, err := New(st, Options{Key: other}).Append(ctx, event(1)); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("append with another key: %v, want ErrNotVerified", err)
		}
		// … nor make a receipt that verifies with the log's key.
		forged := New(st, Options{Key: other})
		r := receiptOf(t, New(st, Options{Key: key}), 0)
		cp, err := OpenCheckpoint([]byte(r.Checkpoint), key.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		signed, err := note.Sign(&note.Note{Text: cp.Text()}, forged.key.Signer)
		if err != nil {
			t.Fatal(err)
		}
		r.Checkpoint = string(signed)
		_, err = VerifyReceipt(r, key.Verifier, nil)
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "not signed by the key") {
			t.Fatalf("receipt signed by another key: %v", err)
		}
	})
}

func TestRewrittenHistoryFailsConsistency(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, raw storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		l := New(st, Options{Key: key})
		var evs []archive.Event
		for i := 0; i < 6; i++ {
			evs = append(evs, event(i))
		}
		if _, err := l.AppendAll(ctx, evs); err != nil {
			t.Fatal(err)
		}
		saved, _, err := l.Latest(ctx) // an inspector keeps this
		if err != nil {
			t.Fatal(err)
		}
		old, err := OpenCheckpoint(saved, key.Verifier)
		if err != nil {
			t.Fatal(err)
		}
		for i := 6; i < 10; i++ {
			if _, err := l.Append(ctx, event(i)); err != nil {
				t.Fatal(err)
			}
		}
		// Honest growth: consistent.
		_, cp, proof, err := New(st, Options{Key: key}).ProveConsistency(ctx, old.Size)
		if err != nil || CheckConsistency(old, cp, proof) != nil {
			t.Fatalf("honest log: %v, %v", err, CheckConsistency(old, cp, proof))
		}

		// An intruder with the key replaces entry 2 and rebuilds the log: every
		// tile and checkpoint recomputed and signed.
		scratch, _ := storetest.Backends()[0].Open(t, testNow)
		rw := New(scratch, Options{Key: key})
		evs = nil
		for i := 0; i < 11; i++ {
			e := event(i)
			if i == 2 {
				e.Content.SHA256[0] ^= 1
			}
			evs = append(evs, e)
		}
		if _, err := rw.AppendAll(ctx, evs); err != nil {
			t.Fatal(err)
		}
		storetest.Copy(t, scratch, st, raw, "ledger/")
		fresh := New(st, Options{Key: key})
		_, cp, proof, err = fresh.ProveConsistency(ctx, old.Size)
		if err == nil {
			err = CheckConsistency(old, cp, proof)
		}
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "rewritten") {
			t.Fatalf("rewritten log against the saved checkpoint: %v", err)
		}
		// The log that knew the old history refuses to go on from the new one.
		if _, err := l.Append(ctx, event(20)); err == nil {
			t.Fatal("the first writer appended on top of a rewritten history")
		}
	})
}

// An entry replaced behind the log's back, without re-signing: its receipt no
// longer verifies, and the entries no longer hash to the signed root (the check
// the audit makes). The tiles are unchanged, so the tree itself still extends.
func TestReplacedEntryIsFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, raw storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		l := New(st, Options{Key: key})
		if _, err := l.AppendAll(ctx, []archive.Event{event(0), event(1), event(2)}); err != nil {
			t.Fatal(err)
		}
		forged := event(1)
		forged.Content.Size++
		e0, _ := FormatEntry(event(0))
		e1, _ := FormatEntry(forged)
		e2, _ := FormatEntry(event(2))
		raw.Overwrite(t, batchKey(0), encodeBatch([][]byte{e0, e1, e2}))

		r := receiptOf(t, New(st, Options{Key: key}), 1)
		if _, err := VerifyReceipt(r, key.Verifier, nil); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("receipt of a replaced entry: %v", err)
		}
		if root, _ := RootOf(allEntries(t, l)); root == latest(t, l).Root {
			t.Fatal("replaced entries still hash to the signed root")
		}
	})
}

// A damaged tile is derived: it is rebuilt from the batches, stored again, and
// the append goes on. A tile damaged beside a replaced entry cannot be rebuilt to
// the signed root: the log refuses to sign a checkpoint on top of them.
func TestDamagedTileIsRebuilt(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, raw storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		if _, err := New(st, Options{Key: key}).AppendAll(ctx, []archive.Event{event(0), event(1), event(2)}); err != nil {
			t.Fatal(err)
		}
		tile := tlog.Tile{H: tileHeight, L: 0, N: 0, W: 3}
		good := string(storetest.Read(t, st, tileKey(tile)))
		raw.Overwrite(t, tileKey(tile), bytes.Repeat([]byte{7}, 3*tlog.HashSize))
		l := New(st, Options{Key: key})
		if n, err := l.Append(ctx, event(3)); err != nil || n != 3 {
			t.Fatalf("append over a damaged tile: %d, %v; want 3, nil", n, err)
		}
		if got := string(storetest.Read(t, st, tileKey(tile))); got != good {
			t.Fatalf("the damaged tile was not stored again")
		}
		if r := receiptOf(t, New(st, Options{Key: key}), 1); r.Index != 1 {
			t.Fatalf("receipt after the repair: %+v", r)
		} else if _, err := VerifyReceipt(r, key.Verifier, nil); err != nil {
			t.Fatal(err)
		}

		// Now a tile and an entry it covers, both changed.
		e0, _ := FormatEntry(event(0))
		forged := event(1)
		forged.Content.Size++
		e1, _ := FormatEntry(forged)
		e2, _ := FormatEntry(event(2))
		raw.Overwrite(t, batchKey(0), encodeBatch([][]byte{e0, e1, e2}))
		tile = tlog.Tile{H: tileHeight, L: 0, N: 0, W: 4}
		raw.Overwrite(t, tileKey(tile), bytes.Repeat([]byte{7}, 4*tlog.HashSize))
		if _, err := New(st, Options{Key: key}).Append(ctx, event(4)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("append over a damaged tile and entry: %v, want ErrCorrupt", err)
		}
		var n int
		st.List(ctx, checkpointPrefix, "", func(blob.Info) error { n++; return nil })
		if n != 2 {
			t.Fatalf("%d checkpoints, want 2 (nothing signed over the damage)", n)
		}
	})
}

// queueRequest queues a request the way a concurrent AppendAll that has not yet
// taken mu does, and returns it.
func queueRequest(l *Log, e archive.Event) *request {
	r := &request{ev: e}
	l.qmu.Lock()
	l.queue = append(l.queue, r)
	l.qmu.Unlock()
	return r
}

func queueLen(l *Log) int {
	l.qmu.Lock()
	defer l.qmu.Unlock()
	return len(l.queue)
}

// With more than MaxBatch requests queued ahead of it, an Append commits batches
// until its own event is in one, rather than returning index 0 for an event it
// never appended.
func TestAppendBehindMoreThanMaxBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		ctx := context.Background()
		key := testKey(t, "gongshi.example/test")
		l := New(st, Options{Key: key, MaxBatch: 1})

		ahead := []*request{queueRequest(l, event(0)), queueRequest(l, event(1))}
		idx, err := l.Append(ctx, event(2))
		if err != nil || idx != 2 {
			t.Fatalf("append behind two queued requests, MaxBatch 1: %d, %v; want 2, nil", idx, err)
		}
		for i, r := range ahead {
			if !r.done || r.err != nil || r.idx != int64(i) {
				t.Errorf("queued request %d: done %v, index %d, error %v", i, r.done, r.idx, r.err)
			}
		}
		if n := queueLen(l); n != 0 {
			t.Errorf("%d requests left queued", n)
		}
		if cp := latest(t, l); cp.Size != 3 {
			t.Errorf("checkpoint size %d, want 3", cp.Size)
		}
		if r := receiptOf(t, New(st, Options{Key: key}), 2); r.Index != 2 {
			t.Errorf("receipt of the appended event at index %d, want 2", r.Index)
		}

		// A batch ahead that fails (here: an event that cannot be an entry)
		// fails only its own request.
		bad := event(3)
		bad.RecordID = "not a record id"
		r := queueRequest(l, bad)
		idx, err = l.Append(ctx, event(4))
		if err != nil || idx != 3 {
			t.Fatalf("append behind a failing request: %d, %v; want 3, nil", idx, err)
		}
		if !r.done || r.err == nil {
			t.Errorf("the failing request: done %v, error %v", r.done, r.err)
		}
	})
}

// cancelAtBatchPut is the store of a test that cancels a context just as the
// first batch is written: the moment the batch's caller gives up.
type cancelAtBatchPut struct {
	blob.Store
	once   sync.Once
	cancel context.CancelFunc
}

func (s *cancelAtBatchPut) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if strings.HasPrefix(key, batchPrefix) {
		s.once.Do(s.cancel)
	}
	return s.Store.Put(ctx, key, r, opts)
}

// The caller that commits a batch is not the only one whose events are in it: its
// context ending fails no other caller's append.
func TestCancelledCallerFailsNoOtherAppend(t *testing.T) {
	eachBackend(t, func(t *testing.T, st blob.Store, _ storetest.Raw) {
		key := testKey(t, "gongshi.example/test")

		// Cancelled while its batch, with another caller's event, is written.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		l := New(&cancelAtBatchPut{Store: st, cancel: cancel}, Options{Key: key})
		other := queueRequest(l, event(0))
		idx, err := l.Append(ctx, event(1))
		if !other.done || other.err != nil || other.idx != 0 {
			t.Fatalf("the other caller's request in the batch: done %v, index %d, error %v", other.done, other.idx, other.err)
		}
		if err != nil || idx != 1 {
			t.Errorf("the cancelled caller, its event committed: %d, %v", idx, err)
		}

		// Cancelled before it commits: its own event is withdrawn, the
		// other caller's stays queued for that caller to commit.
		other = queueRequest(l, event(2))
		if _, err := l.Append(ctx, event(3)); !errors.Is(err, context.Canceled) {
			t.Fatalf("append with a cancelled context: %v", err)
		}
		if other.done || other.err != nil || queueLen(l) != 1 {
			t.Fatalf("the other caller's request: done %v, error %v; %d queued, want it alone", other.done, other.err, queueLen(l))
		}
		if idx, err := l.Append(context.Background(), event(4)); err != nil || idx != 3 {
			t.Fatalf("the next append: %d, %v; want 3", idx, err)
		}
		if !other.done || other.err != nil || other.idx != 2 {
			t.Fatalf("the other caller's request: done %v, index %d, error %v", other.done, other.idx, other.err)
		}
		if cp := latest(t, l); cp.Size != 4 {
			t.Errorf("checkpoint size %d, want 4", cp.Size)
		}
		if locs, err := l.Lookup(context.Background(), recordID(3), 1); err != nil || len(locs) != 0 {
			t.Errorf("lookup of the withdrawn event: %+v, %v; want nothing", locs, err)
		}
	})
}
