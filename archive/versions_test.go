package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestProjectVersionsAreLedgered(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, false)
	j := &recordingJournal{}
	a := New(base.store, Options{Now: testNow, Journal: j, Actor: ActorCLI})

	p, err := a.CreateProject(ctx, testProject())
	if err != nil {
		t.Fatal(err)
	}
	if p.Actor != ActorCLI {
		t.Fatalf("actor %q, want the archive's", p.Actor)
	}
	b1, _ := a.ProjectVersionBytes(ctx, p.Code, 1)
	if !bytes.Contains(b1, []byte(`"actor": "cli"`)) {
		t.Fatalf("stored version 1 does not name its actor:\n%s", b1)
	}
	want := Event{Kind: EventCreate, Subject: SubjectProject, SubjectID: p.Code, Version: 1,
		RecordDigest: sha256.Sum256(b1), Actor: ActorCLI, Time: testNow()}
	if len(j.events) != 1 || !reflect.DeepEqual(j.events[0], want) {
		t.Fatalf("events %+v\nwant [%+v]", j.events, want)
	}

	// A correction by an account, with its reason: the entry has the account and
	// the reason's digest, never its text.
	fix := p
	fix.Households, fix.Actor = 313, AccountActor("u-7")
	v2, err := a.CorrectProject(ctx, p.Code, 1, fix, "户数有误")
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := a.ProjectVersionBytes(ctx, p.Code, 2)
	want2 := Event{Kind: EventNewVersion, Subject: SubjectProject, SubjectID: p.Code, Version: 2,
		RecordDigest: sha256.Sum256(b2), Actor: AccountActor("u-7"), Reason: ReasonDigest("户数有误"), Time: testNow()}
	if len(j.events) != 2 || !reflect.DeepEqual(j.events[1], want2) || v2.Actor != AccountActor("u-7") {
		t.Fatalf("correction's event %+v\nwant %+v", j.events[1:], want2)
	}

	// The journal is down during a correction: the version is stored, the call
	// fails. Its re-run by someone else completes the entry, and the entry names
	// who made the stored version, not who completed it.
	j.failing = true
	fix3 := v2
	fix3.Households, fix3.Actor = 314, AccountActor("u-8")
	if _, err := a.CorrectProject(ctx, p.Code, 2, fix3, "再次更正"); err == nil {
		t.Fatal("correction succeeded without its entry")
	}
	j.failing = false
	again := v2
	again.Actor = AccountActor("u-9")
	if _, err := a.CorrectProject(ctx, p.Code, 2, again, "另一更正"); !errors.Is(err, ErrVersionExists) {
		t.Fatalf("re-run: %v, want ErrVersionExists", err)
	}
	if len(j.events) != 3 || j.events[2].Version != 3 || j.events[2].Actor != AccountActor("u-8") || j.events[2].Reason != ReasonDigest("再次更正") {
		t.Fatalf("completed entry %+v", j.events[2:])
	}

	// Creating a project that exists completes its version 1's entry (the
	// journal deduplicates) and says it exists.
	if _, err := a.CreateProject(ctx, testProject()); !errors.Is(err, ErrProjectExists) {
		t.Fatalf("create again: %v", err)
	}
	if len(j.events) != 4 || !reflect.DeepEqual(j.events[3], want) {
		t.Fatalf("create again journaled %+v", j.events[3:])
	}

	// An actor that is not one is refused, and nothing is stored.
	bad := testProject()
	bad.Code, bad.Actor = "CQ-2024-02", "张三"
	if _, err := a.CreateProject(ctx, bad); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "actor") {
		t.Fatalf("bad actor: %v", err)
	}
	if _, err := a.Project(ctx, bad.Code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("project with a bad actor stored: %v", err)
	}
}

// Two corrections of one version race: one is stored, the other gets
// ErrVersionExists, and every entry appended says what the stored version says.
func TestProjectCorrectionRace(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, true)
	j := &lockedJournal{}
	a := New(base.store, Options{Now: testNow, Journal: j})
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			p := testProject()
			p.Households, p.Actor = 400+i, AccountActor("u-"+string(rune('a'+i)))
			_, errs[i] = a.CorrectProject(ctx, p.Code, 1, p, "户数更正")
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrVersionExists):
			t.Fatal(err)
		}
	}
	stored, err := a.ProjectVersion(ctx, "CQ-2024-01", 2)
	if err != nil || won != 1 {
		t.Fatalf("%d corrections stored, version 2: %v", won, err)
	}
	for _, e := range j.all() {
		if e.Actor != stored.Actor {
			t.Fatalf("an entry names %s, the stored version was made by %s", e.Actor, stored.Actor)
		}
	}
}

type lockedJournal struct {
	mu     sync.Mutex
	events []Event
}

func (j *lockedJournal) Append(ctx context.Context, e Event) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.events = append(j.events, e)
	return int64(len(j.events) - 1), nil
}

func (j *lockedJournal) all() []Event {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Event(nil), j.events...)
}

// testHold is a kind of state as a later issue would add one: its own type, its
// own JSON, the same mechanism.
type testHold struct {
	ID      string    `json:"id"`
	Version int       `json:"version"`
	Records []string  `json:"records"`
	Actor   Actor     `json:"actor,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

var testHolds = VersionKind[testHold]{
	Subject: SubjectHold, First: EventCreate,
	Encode: func(h testHold) ([]byte, error) { return json.Marshal(h) },
	Decode: func(b []byte) (testHold, error) {
		var h testHold
		err := json.Unmarshal(b, &h)
		return h, err
	},
	Ident: func(h testHold) (string, int) { return h.ID, h.Version },
	Meta:  func(h testHold) VersionMeta { return VersionMeta{Time: h.At, Actor: h.Actor, Reason: h.Reason} },
}

func TestVersionsOfAnotherKind(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, false)
	j := &recordingJournal{}
	a := New(base.store, Options{Now: testNow, Journal: j})
	holds := NewVersions(a, testHolds)

	h := testHold{ID: "P_CC-2026-001_aaaaaaaa", Version: 1, Records: []string{"a"}, Actor: ActorCLI, At: testNow()}
	if _, err := holds.Put(ctx, h); err != nil {
		t.Fatal(err)
	}
	h2 := h
	h2.Version, h2.Records, h2.Reason, h2.Actor = 2, []string{"a", "b"}, "诉讼扩大", AccountActor("u-1")
	if _, err := holds.Put(ctx, h2); err != nil {
		t.Fatal(err)
	}
	if _, err := holds.Put(ctx, testHold{ID: "R_aaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbb", Version: 1, Actor: ActorSystem, At: testNow()}); err != nil {
		t.Fatal(err)
	}
	// Stored where the kind's prefix says, the latest is the last listed.
	if _, err := a.store.Stat(ctx, "holds/P_CC-2026-001_aaaaaaaa/000002.json"); err != nil {
		t.Fatal(err)
	}
	if got, err := holds.Latest(ctx, "P_CC-2026-001_aaaaaaaa"); err != nil || !reflect.DeepEqual(got.Records, []string{"a", "b"}) {
		t.Fatalf("latest: %+v, %v", got, err)
	}
	if hist, err := holds.History(ctx, "P_CC-2026-001_aaaaaaaa"); err != nil || len(hist) != 2 {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	var ids []string
	holds.EachLatest(ctx, func(h testHold) error { ids = append(ids, h.ID+"/"+string(rune('0'+h.Version))); return nil })
	if !reflect.DeepEqual(ids, []string{"P_CC-2026-001_aaaaaaaa/2", "R_aaaaaaaaaaaaaaaaaaaaaaaaaa_bbbbbbbb/1"}) {
		t.Fatalf("each latest: %v", ids)
	}
	n := 0
	holds.Walk(ctx, "", func(VersionInfo) error { n++; return nil })
	if n != 3 || len(j.events) != 3 {
		t.Fatalf("%d versions, %d events", n, len(j.events))
	}
	raw, _ := holds.Bytes(ctx, "P_CC-2026-001_aaaaaaaa", 2)
	want := Event{Kind: EventNewVersion, Subject: SubjectHold, SubjectID: "P_CC-2026-001_aaaaaaaa", Version: 2,
		RecordDigest: sha256.Sum256(raw), Actor: AccountActor("u-1"), Reason: ReasonDigest("诉讼扩大"), Time: testNow()}
	if !reflect.DeepEqual(j.events[1], want) {
		t.Fatalf("event %+v\nwant %+v", j.events[1], want)
	}
	// Ledger appends a stored version's event again (the backfill's path): the
	// same event.
	if e, err := holds.Ledger(ctx, "P_CC-2026-001_aaaaaaaa", 2); err != nil || !reflect.DeepEqual(e, want) {
		t.Fatalf("Ledger: %+v, %v", e, err)
	}

	// Refused: no actor, a bad id, version 0; nothing stored.
	for name, bad := range map[string]testHold{
		"no actor":  {ID: "P_CC-2026-001_cccccccc", Version: 1, At: testNow()},
		"bad id":    {ID: "H/3", Version: 1, Actor: ActorCLI, At: testNow()},
		"version 0": {ID: "P_CC-2026-001_cccccccc", Version: 0, Actor: ActorCLI, At: testNow()},
	} {
		if _, err := holds.Put(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := holds.Latest(ctx, "P_CC-2026-001_cccccccc"); !errors.Is(err, ErrNotFound) {
		t.Errorf("P_CC-2026-001_cccccccc: %v", err)
	}
	// A version stored before its kind recorded actors is the backfill's.
	old := testHold{ID: "P_CC-2026-001_dddddddd", Version: 1, At: testNow()}
	b, _ := testHolds.Encode(old)
	if e := VersionEvent(testHolds, old, b); e.Actor != ActorBackfill {
		t.Errorf("event of a version without actor: %+v", e)
	}
}
