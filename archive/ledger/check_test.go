package ledger

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// A whole log checks clean, every object counted; what Check finds of an
// authoritative object, Repair refuses to rebuild. (The damage cases are the
// fault-injection suite's, archive/audit/faults_test.go, on the whole archive.)
func TestCheckWholeLog(t *testing.T) {
	ctx := context.Background()
	st, raw := storetest.Backends()[0].Open(t, testNow)
	key := testKey(t, "gongshi.example/test")
	l := New(st, Options{Key: key})
	for i := 0; i < 3; i++ {
		if _, err := l.AppendAll(ctx, []archive.Event{event(2 * i), event(2*i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	var entries int64
	rep, err := l.Check(ctx, CheckOptions{Now: testNow, Entry: func(i int64, _ []byte) error {
		if i != entries {
			t.Errorf("entry %d after %d", i, entries-1)
		}
		entries++
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || rep.Entries != 6 || entries != 6 || rep.Authenticated != 6 || rep.Batches != 3 ||
		rep.Checkpoints != 3 || rep.Tiles != 3 || rep.LookupKeys != 6 || rep.Damaged() {
		t.Fatalf("check of a whole log: %+v", rep)
	}

	raw.Remove(t, checkpointKey(4))
	rep, err = l.Check(ctx, CheckOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != CheckpointMissing || !rep.Damaged() {
		t.Fatalf("check after a checkpoint was deleted: %+v", rep.Findings)
	}
	if _, err := l.Repair(ctx, rep.Findings[0]); err == nil {
		t.Fatal("Repair rebuilt a checkpoint")
	}
	if _, err := st.Stat(ctx, checkpointKey(4)); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the checkpoint is back: %v", err)
	}
}

// A damage notice stops appends, for this Log at once and for another when it
// next looks; a notice signed by another key stops nothing; a "whole" notice lets
// appends resume.
func TestDamageNotice(t *testing.T) {
	ctx := context.Background()
	st, _ := storetest.Backends()[0].Open(t, testNow)
	key := testKey(t, "gongshi.example/test")
	l := New(st, Options{Key: key})
	if _, err := l.Append(ctx, event(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx); err != nil {
		t.Fatalf("Ready of a whole log: %v", err)
	}

	// Forged by someone without the key: ignored.
	other := testKey(t, "gongshi.example/test")
	signed, _ := note.Sign(&note.Note{Text: noticeHeader + "\ntime 2030-01-01T00:00:00.000Z\nstate damaged\nobject x y\n"}, other.Signer)
	if _, err := st.Put(ctx, damagePrefix+"0000900000000000", bytes.NewReader(signed), blob.PutOptions{Size: int64(len(signed))}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(st, Options{Key: key}).Append(ctx, event(1)); err != nil {
		t.Fatalf("append beside a forged notice: %v", err)
	}

	at := testNow().Add(time.Hour)
	if _, err := l.RecordDamage(ctx, at, []Finding{{Kind: BatchMissing, Key: batchKey(0), Blocks: true}}); err != nil {
		t.Fatal(err)
	}
	for name, lg := range map[string]*Log{"the auditor's Log": l, "another Log": New(st, Options{Key: key})} {
		if err := lg.Ready(ctx); !errors.Is(err, ErrDamaged) {
			t.Errorf("%s: Ready after a damage notice: %v", name, err)
		}
		if _, err := lg.Append(ctx, event(2)); !errors.Is(err, ErrDamaged) || !bytes.Contains([]byte(err.Error()), []byte(batchKey(0))) {
			t.Errorf("%s: append after a damage notice: %v, want ErrDamaged naming %s", name, err, batchKey(0))
		}
	}

	if k, err := l.RecordWhole(ctx, at.Add(time.Minute)); err != nil || k == "" {
		t.Fatalf("RecordWhole: %q, %v", k, err)
	}
	if k, err := l.RecordWhole(ctx, at.Add(2*time.Minute)); err != nil || k != "" {
		t.Fatalf("RecordWhole of a log already whole: %q, %v; want nothing stored", k, err)
	}
	if _, err := New(st, Options{Key: key}).Append(ctx, event(2)); err != nil {
		t.Fatalf("append after the whole notice: %v", err)
	}
}
