package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

// Publish, withdraw and publish again: each a version and a ledger entry naming
// the publication, its actor and its reason; the state follows.
func TestPublication(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, true)
	j := &recordingJournal{}
	now := testNow()
	a := New(base.store, Options{Now: func() time.Time { return now }, Journal: j, Actor: ActorCLI})
	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	if st, err := a.RecordState(ctx, rec.ID); err != nil || !reflect.DeepEqual(st, RecordState{}) {
		t.Fatalf("state of a filed record: %+v, %v", st, err)
	}
	if _, err := a.Withdraw(ctx, rec.ID, ActorCLI, "mistake"); !errors.Is(err, ErrNotPublished) {
		t.Fatalf("withdraw before publishing: %v, want ErrNotPublished", err)
	}
	p1, err := a.Publish(ctx, rec.ID, AccountActor("alice"), "")
	if err != nil {
		t.Fatal(err)
	}
	if p1.Version != 1 || p1.Status != Published || p1.RecordVersion != 1 || p1.Actor != AccountActor("alice") {
		t.Errorf("publication %+v", p1)
	}
	if _, err := a.Publish(ctx, rec.ID, ActorCLI, ""); !errors.Is(err, ErrUnchanged) {
		t.Errorf("publish twice: %v, want ErrUnchanged", err)
	}
	if _, err := a.Withdraw(ctx, rec.ID, ActorCLI, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("withdraw without a reason: %v, want ErrInvalid", err)
	}
	now = now.Add(time.Hour)
	p2, err := a.Withdraw(ctx, rec.ID, ActorCLI, "含有未遮盖的身份证号")
	if err != nil {
		t.Fatal(err)
	}
	if p2.Version != 2 || p2.Status != Withdrawn || p2.Reason != "含有未遮盖的身份证号" {
		t.Errorf("withdrawal %+v", p2)
	}
	st, err := a.RecordState(ctx, rec.ID)
	if err != nil || st.Publication != Withdrawn || !st.PublishedAt.IsZero() || !st.FirstPublishedAt.Equal(p1.At) {
		t.Errorf("state after withdrawal: %+v, %v", st, err)
	}
	now = now.Add(time.Hour)
	p3, err := a.Publish(ctx, rec.ID, ActorCLI, "已更正")
	if err != nil || p3.Version != 3 {
		t.Fatalf("publish again: %+v, %v", p3, err)
	}
	st, _ = a.RecordState(ctx, rec.ID)
	if st.Publication != Published || !st.PublishedAt.Equal(p3.At) || !st.FirstPublishedAt.Equal(p1.At) {
		t.Errorf("state after publishing again: %+v", st)
	}
	hist, err := a.PublicationHistory(ctx, rec.ID)
	if err != nil || len(hist) != 3 || hist[1].Status != Withdrawn {
		t.Errorf("history %+v, %v", hist, err)
	}
	// The entries: the filing, then three of the publication subject.
	var pubs []Event
	for _, e := range j.events {
		if e.Subject == SubjectPublication {
			pubs = append(pubs, e)
		}
	}
	if len(pubs) != 3 {
		t.Fatalf("%d publication entries, want 3: %+v", len(pubs), j.events)
	}
	for i, e := range pubs {
		raw, _ := a.publications().Bytes(ctx, rec.ID, i+1)
		if e.SubjectID != rec.ID || e.Version != i+1 || e.RecordDigest != sha256.Sum256(raw) {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if pubs[0].Kind != EventPublish || pubs[0].Actor != AccountActor("alice") || !pubs[0].Reason.IsZero() {
		t.Errorf("first entry %+v", pubs[0])
	}
	if pubs[1].Reason != ReasonDigest("含有未遮盖的身份证号") {
		t.Errorf("the withdrawal's entry does not carry its reason's digest: %+v", pubs[1])
	}
}

// A class that forbids publication is refused, and nothing is stored.
func TestPublishRefused(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	for _, c := range []struct {
		typ, household string
		class          Disclosure
	}{
		{"agreement", "H-0012", Household},
		{"funding_proof", "", Restricted},
		{"decision", "", Restricted}, // filed more closed than its type
	} {
		r := testRecord()
		r.Type, r.Household, r.Disclosure, r.DocNumber, r.ArchivalCode = c.typ, c.household, c.class, "", ""
		if c.typ == "decision" {
			r.DocNumber = "长征补〔2024〕13号"
		}
		rec, err := a.CreateRecord(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Publish(ctx, rec.ID, ActorCLI, ""); !errors.Is(err, ErrNotPublishable) {
			t.Errorf("%s/%s: publish = %v, want ErrNotPublishable", c.typ, c.class, err)
		}
		if h, _ := a.PublicationHistory(ctx, rec.ID); len(h) != 0 {
			t.Errorf("%s: a refused publication stored %+v", c.typ, h)
		}
	}
	if _, err := a.Publish(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa", ActorCLI, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("publish of no record: %v, want ErrNotFound", err)
	}
	if _, err := a.Publish(ctx, "../../etc", ActorCLI, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("publish of a bad id: %v, want ErrInvalid", err)
	}
}

// Racing publishers and withdrawers leave a consistent chain: versions without
// gaps, alternating states.
func TestPublicationRace(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 5 {
				if i%2 == 0 {
					a.Publish(ctx, rec.ID, ActorCLI, "")
				} else {
					a.Withdraw(ctx, rec.ID, ActorCLI, "race")
				}
			}
		})
	}
	wg.Wait()
	h, err := a.PublicationHistory(ctx, rec.ID)
	if err != nil || len(h) == 0 {
		t.Fatalf("history %v, %v", h, err)
	}
	for i, p := range h {
		if p.Version != i+1 {
			t.Errorf("version %d at %d", p.Version, i)
		}
		want := Published
		if i%2 == 1 {
			want = Withdrawn
		}
		if p.Status != want {
			t.Errorf("version %d is %s, want %s (two changes of the same kind in a row)", p.Version, p.Status, want)
		}
	}
}
