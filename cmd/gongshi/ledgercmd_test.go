package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// A store from before projects were ledgered: backfill gives each project version
// its entry, once, and what is made afterwards is ledgered as it is made.
func TestLedgerBackfill(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := newCLI(t)
			st := c.store(t)
			// The old binary's way: versions without a journal and without an
			// actor, stored as it stored them.
			p := archive.Project{Code: "JL-2025-003", Version: 1, Name: "船营区站前片区棚户区改造项目", City: "吉林市",
				CreatedAt: c.now, UpdatedAt: c.now}
			p2 := p
			p2.Version, p2.Households, p2.Supersedes = 2, 88, &archive.Supersedes{Version: 1, Reason: "补录户数"}
			for _, v := range []archive.Project{p, p2} {
				b, err := archive.EncodeProject(v)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.Put(ctx, fmt.Sprintf("projects/%s/%06d.json", v.Code, v.Version), bytes.NewReader(b), blob.PutOptions{Size: int64(len(b))}); err != nil {
					t.Fatal(err)
				}
			}
			createLedgerProject(t, c) // made now, through the command: ledgered at once

			out, errOut, code := c.run("ledger", "backfill", "--dry-run")
			if code != exitOK || !strings.Contains(out, "would ledger project JL-2025-003 version 1 (projects/JL-2025-003/000001.json)") ||
				!strings.Contains(out, "3 version(s) checked, 2 would ledger") {
				t.Fatalf("dry run: %d\n%s%s", code, out, errOut)
			}
			out, errOut, code = c.run("ledger", "backfill", "--json")
			var rep backfillReport
			if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || rep.Checked != 3 || len(rep.Ledgered) != 2 ||
				rep.Ledgered[1].ID != "JL-2025-003" || rep.Ledgered[1].Version != 2 || rep.Ledgered[1].Index == nil {
				t.Fatalf("backfill: %d\n%s%s", code, out, errOut)
			}
			out, _, code = c.run("ledger", "backfill")
			if code != exitOK || !strings.Contains(out, "3 version(s) checked, 0 ledgered") {
				t.Fatalf("second backfill: %d\n%s", code, out)
			}

			// The entries: the backfill's actor for the old versions, the version's
			// own time and reason; the command's for the new project.
			a, l, err := c.config(t).archiveOn(ctx, st, env{now: func() time.Time { return c.now }})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []struct {
				code    string
				version int
				actor   archive.Actor
				reason  string
			}{{"JL-2025-003", 1, archive.ActorBackfill, ""}, {"JL-2025-003", 2, archive.ActorBackfill, "补录户数"}, {ledgerProject, 1, archive.ActorCLI, ""}} {
				locs, err := l.LookupSubject(ctx, archive.SubjectProject, want.code, want.version)
				if err != nil || len(locs) != 1 {
					t.Fatalf("%s version %d: %v, %v", want.code, want.version, locs, err)
				}
				rc, err := l.Receipt(ctx, locs[0])
				if err != nil {
					t.Fatal(err)
				}
				k, _ := ledger.LoadKeyFile(c.config(t).keyPath())
				v, err := ledger.VerifyReceipt(rc, k.Verifier, nil)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := a.ProjectVersionBytes(ctx, want.code, want.version)
				ev := archive.VersionEvent(archive.ProjectVersions, mustProject(t, raw), raw)
				if v.Event.Actor != want.actor || v.Event.Reason != archive.ReasonDigest(want.reason) ||
					v.Event.RecordDigest != ev.RecordDigest || v.Event.Subject != archive.SubjectProject || !v.Event.Time.Equal(c.now) {
					t.Fatalf("%s version %d: entry %+v", want.code, want.version, v.Event)
				}
			}
		})
	}
}

func mustProject(t *testing.T, raw []byte) archive.Project {
	t.Helper()
	p, err := archive.DecodeProject(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
