package ledger

import (
	"context"
	"reflect"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// The content index answers what FindContent answers, for every content of
// the log, for content nobody filed, and for a content whose key it shares
// with another; it reads only what was appended since it last looked.
func TestContentIndexAgreesWithFindContent(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := b.Open(t, testNow)
			l := New(st, Options{Key: testKey(t, "gongshi.example/test")})
			// One at a time, then a batch; a second record with the content of
			// record 1; a project entry, which names no content.
			for i := range 3 {
				if _, err := l.Append(ctx, event(i)); err != nil {
					t.Fatal(err)
				}
			}
			twin := event(40)
			twin.Content = event(1).Content
			// Same first eight bytes as record 2's content, another digest.
			near := event(41)
			near.Content.SHA256[31] ^= 0xff
			two := event(2).Content.SHA256
			copy(near.Content.SHA256[:8], two[:8])
			project := archive.Event{Kind: archive.EventCreate, Subject: archive.SubjectProject, SubjectID: "CC-2026-001",
				Version: 1, RecordDigest: archive.Hash{7}, Actor: archive.ActorCLI, Time: testNow()}
			if _, err := l.AppendAll(ctx, []archive.Event{event(3), twin, near, project, event(4)}); err != nil {
				t.Fatal(err)
			}
			ci := NewContentIndex(l)
			if ci.Ready() {
				t.Fatal("ready before reading anything")
			}
			unknown := event(99).Content.SHA256
			check := func(hs ...archive.Hash) {
				t.Helper()
				for _, h := range hs {
					want, err := l.FindContent(ctx, h)
					if err != nil {
						t.Fatal(err)
					}
					got, err := ci.Find(ctx, h)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("content %s: index found %+v, FindContent %+v", h, got, want)
					}
				}
			}
			check(event(0).Content.SHA256, event(1).Content.SHA256, event(2).Content.SHA256, near.Content.SHA256,
				event(4).Content.SHA256, unknown)
			if !ci.Ready() || ci.Size() != 8 {
				t.Fatalf("ready %v, size %d after reading 8 entries", ci.Ready(), ci.Size())
			}
			if got, _ := ci.Find(ctx, event(1).Content.SHA256); len(got) != 2 || got[0].Index != 1 || got[1].Index != 4 {
				t.Errorf("the content of two records: %+v", got)
			}
			// What is appended later is found at the next question.
			if _, err := l.Append(ctx, event(5)); err != nil {
				t.Fatal(err)
			}
			check(event(5).Content.SHA256, event(0).Content.SHA256)
			if ci.Size() != 9 {
				t.Errorf("size %d after the ninth entry", ci.Size())
			}
			// A receipt of what it found verifies as one of FindContent's.
			found, _ := ci.Find(ctx, event(5).Content.SHA256)
			found5 := event(5).Content
			r, err := l.Receipt(ctx, found[0].Located)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyReceipt(r, l.key.Verifier, &found5); err != nil {
				t.Fatalf("receipt of an entry the index found: %v", err)
			}
		})
	}
}
