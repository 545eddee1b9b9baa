package retention_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/audit"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/s3"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/internal/testenv"
	"github.com/gongshi-archive/gongshi/retention"
	"github.com/gongshi-archive/gongshi/verify"
)

// On MinIO, whose clock cannot be injected, with locks of seconds in
// compliance mode: a record due by its date is still locked by the server until
// its lock ends, and nothing deletes it before, not even the raw S3 API; then
// it is disposed of by two accounts, the ledger still verifies, an old receipt
// verifies with the disposal shown, the audit is clean; and a raw PUT over a
// locked ledger object changes nothing Gongshi reads and the audit names it.
func TestOnMinIO(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	bucket := fmt.Sprintf("gongshi-retention-%08x", rand.Uint32())
	st, err := s3.Open(ctx, s3.Config{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		Bucket: bucket, Insecure: true, Mode: blob.Compliance})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	raw := storetest.S3(t, srv, bucket).(storetest.Versions)

	// Dates map to moments seconds away: 2026-01-01 (when the D10 records
	// dated 2015 are due) is 6 s from now, each later day a minute more; the
	// longest lock ("for ever") is 3 minutes.
	t0 := time.Now()
	base := archive.D(2026, 1, 1)
	rules := &retention.Rules{Horizon: 3 * time.Minute, Renew: time.Minute, Instant: func(d archive.Date) time.Time {
		days := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Sub(time.Date(base.Year, base.Month, base.Day, 0, 0, 0, 0, time.UTC)).Hours() / 24
		return t0.Add(6*time.Second + time.Duration(days)*time.Minute)
	}}
	w := newWorld(t, st, rules, time.Now)
	alone := w.file("CC-2026-001", "site_chart", "进度表一", archive.D(2015, 3, 18), pdf("alone"))
	shared := w.file("CC-2026-001", "site_chart", "进度表二", archive.D(2015, 3, 18), pdf("shared"))
	keeper := w.file("JL-2026-003", "petition", "信访答复", archive.D(2015, 4, 1), pdf("shared")) // D30: kept
	aloneKey := archive.ContentKey(alone.Content.SHA256)
	// (S3 keeps retain-until dates to the second.)
	if r := w.retention(aloneKey); r.Mode != blob.Compliance || r.Until.Sub(rules.Instant(archive.D(2026, 1, 1))).Abs() >= time.Second {
		t.Fatalf("content of a D10 record on MinIO: %+v", r)
	}

	// A receipt, saved before the disposal.
	v := verify.New(w.a, ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: w.key.Verifier}}), w.key.Verifier, verify.Options{})
	res, err := v.File(ctx, alone.Content)
	if err != nil || res.Receipt() == nil {
		t.Fatalf("verify before the disposal: %+v, %v", res, err)
	}
	receipt := *res.Receipt()

	// Due by its date, still locked by the server: nothing deletes it, not
	// the store, not the raw S3 API, and the disposal is refused.
	due, err := w.ex.Due(ctx)
	if err != nil || len(due) != 2 {
		t.Fatalf("due: %d, %v", len(due), err)
	}
	if err := st.Delete(ctx, aloneKey); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete of a locked object: %v", err)
	}
	for _, key := range []string{aloneKey, w.versionKey(alone)} {
		if err := raw.TryDelete(key); err == nil {
			t.Fatalf("the raw S3 API deleted %s before its lock ended", key)
		}
	}
	if _, err := w.ex.Propose(ctx, []string{alone.ID, shared.ID}, "鉴定到期", alice); !errors.Is(err, retention.ErrNotDue) ||
		!strings.Contains(err.Error(), "locked") {
		t.Fatalf("proposal while the server still locks: %v", err)
	}

	// The locks end; disposal by two accounts.
	time.Sleep(time.Until(rules.Instant(archive.D(2026, 1, 1)).Add(time.Second)))
	d, err := w.ex.Propose(ctx, []string{alone.ID, shared.ID}, "鉴定会议：保管期满", alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ex.Approve(ctx, d.ID, "同意", alice, false); !errors.Is(err, retention.ErrSameAccount) {
		t.Fatalf("approval by the proposer: %v", err)
	}
	plan, err := w.ex.Approve(ctx, d.ID, "同意销毁", bob, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Delete) != 1 || plan.Delete[0] != aloneKey {
		t.Fatalf("deleted %v, want only the content no kept record has", plan.Delete)
	}
	if _, err := st.Stat(ctx, aloneKey); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("content of the disposed record: %v", err)
	}
	if _, err := st.Stat(ctx, archive.ContentKey(keeper.Content.SHA256)); err != nil {
		t.Fatalf("content shared with a kept record: %v", err)
	}
	if r := w.retention(w.versionKey(mustRecord(t, w, alone.ID))); r.Mode != blob.Compliance || !r.Until.After(time.Now().Add(time.Minute)) {
		t.Fatalf("the tombstone's lock: %+v, want the horizon", r)
	}

	// The ledger still verifies; the old receipt verifies, with the disposal
	// shown; the audit is clean.
	chk, err := w.l.Check(ctx, ledger.CheckOptions{})
	if err != nil || len(chk.Findings) != 0 || chk.Authenticated != chk.Entries {
		t.Fatalf("ledger check after the disposal: %+v, %v", chk.Findings, err)
	}
	off, err := verify.Offline(receipt, w.key.Verifier, alone.Content)
	if err != nil || !off.Verified {
		t.Fatalf("the old receipt: %+v, %v", off, err)
	}
	if err := v.AddDisposals(ctx, off); err != nil || off.Matches[0].Disposed == nil || off.Matches[0].Disposed.Approver != string(bob) {
		t.Fatalf("the old receipt with the archive: %+v, %v", off.Matches, err)
	}
	rep, err := audit.Run(ctx, audit.Options{Store: st, Archive: w.a, Ledger: w.l, Now: time.Now})
	if err != nil || !rep.OK || len(rep.Failures) != 0 {
		t.Fatalf("audit after the disposal: %+v, %v", rep.Failures, err)
	}

	// A raw PUT over a locked ledger checkpoint: a newer version, which
	// nothing of Gongshi reads, and the audit names it.
	var cp string
	st.List(ctx, "ledger/checkpoint/", "", func(i blob.Info) error { cp = i.Key; return nil })
	orig := storetest.Read(t, st, cp)
	if err := raw.TryDelete(cp); err == nil {
		t.Fatal("the raw S3 API deleted a locked checkpoint")
	}
	raw.AddVersion(t, cp, []byte("forged checkpoint\n"))
	if got := storetest.Read(t, st, cp); !bytes.Equal(got, orig) {
		t.Fatalf("after a raw PUT the store reads %q", got)
	}
	if chk, err := w.l.Check(ctx, ledger.CheckOptions{}); err != nil || len(chk.Findings) != 0 {
		t.Fatalf("ledger check after a raw PUT: %+v, %v", chk.Findings, err)
	}
	rep, err = audit.Run(ctx, audit.Options{Store: st, Archive: w.a, Ledger: w.l, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	named := false
	for _, f := range rep.Failures {
		named = named || f.Kind == audit.ObjectOverwritten && f.Key == cp
	}
	if rep.OK || !named {
		t.Fatalf("audit after a raw PUT over %s: %+v", cp, rep.Failures)
	}
}

func mustRecord(t *testing.T, w *world, id string) archive.Record {
	t.Helper()
	r, err := w.a.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
