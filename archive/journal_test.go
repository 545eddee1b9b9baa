package archive

import (
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"
)

// recordingJournal keeps the events appended to it, and fails while failing is set.
type recordingJournal struct {
	events  []Event
	failing bool
}

func (j *recordingJournal) Append(ctx context.Context, e Event) (int64, error) {
	if j.failing {
		return 0, errors.New("journal unavailable")
	}
	j.events = append(j.events, e)
	return int64(len(j.events) - 1), nil
}

func TestJournalOfFilingAndCorrection(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, true)
	j := &recordingJournal{}
	a := New(base.store, Options{Now: testNow, Journal: j})

	// The journal is down: the record is stored, the call fails, nothing journaled.
	j.failing = true
	if _, err := a.CreateRecord(ctx, testRecord()); err == nil {
		t.Fatal("CreateRecord succeeded without its journal entry")
	}
	// The re-run completes the journal with the stored version's event.
	j.failing = false
	rec, err := a.CreateRecord(ctx, testRecord())
	if !errors.Is(err, ErrRecordExists) {
		t.Fatalf("re-run: %v, want ErrRecordExists", err)
	}
	b, err := a.RecordVersionBytes(ctx, rec.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := Event{Kind: EventFile, Subject: SubjectRecord, SubjectID: rec.ID, RecordID: rec.ID, Version: 1,
		Content: rec.Content, RecordDigest: sha256.Sum256(b), Actor: ActorSystem, Time: testNow()}
	if len(j.events) != 1 || !reflect.DeepEqual(j.events[0], want) {
		t.Fatalf("events = %+v\nwant [%+v]", j.events, want)
	}

	fix := rec
	fix.Title += "（更正）"
	v2, err := a.CorrectRecord(ctx, rec.ID, 1, fix, "题名有误")
	if err != nil {
		t.Fatal(err)
	}
	if len(j.events) != 2 || j.events[1].Kind != EventNewVersion || j.events[1].Version != 2 {
		t.Fatalf("after correction: %+v", j.events)
	}
	// A stale re-run of the correction journals version 2 again (the journal
	// deduplicates) and reports the race.
	if _, err := a.CorrectRecord(ctx, rec.ID, 1, fix, "题名有误"); !errors.Is(err, ErrVersionExists) {
		t.Fatalf("stale correction: %v", err)
	}
	if len(j.events) != 3 || !reflect.DeepEqual(j.events[2], j.events[1]) {
		t.Fatalf("stale correction journaled %+v", j.events)
	}
	if ev, _ := RecordEvent(EventNewVersion, v2); !reflect.DeepEqual(ev, j.events[1]) {
		t.Errorf("RecordEvent = %+v, journaled %+v", ev, j.events[1])
	}
}

func TestRecordsByContent(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	other := testRecord()
	other.Title = "另一份同一文件的登记"
	other.ArchivalCode = "Z109-ZS·2024-Y-CQ01-0008" // two records never share one code
	rec2, err := a.CreateRecord(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := a.RecordsByContent(ctx, rec.Content.SHA256)
	if err != nil || len(ids) != 2 || !(ids[0] < ids[1]) {
		t.Fatalf("RecordsByContent = %v, %v", ids, err)
	}
	if !(ids[0] == rec.ID && ids[1] == rec2.ID || ids[0] == rec2.ID && ids[1] == rec.ID) {
		t.Errorf("ids %v, want %s and %s", ids, rec.ID, rec2.ID)
	}
	if ids, err := a.RecordsByContent(ctx, Hash{1}); err != nil || len(ids) != 0 {
		t.Errorf("unknown content: %v, %v", ids, err)
	}
	var n int
	if err := a.WalkRecordVersions(ctx, "", func(RecordVersionInfo) error { n++; return nil }); err != nil || n != 2 {
		t.Errorf("WalkRecordVersions: %d versions, %v", n, err)
	}
}
