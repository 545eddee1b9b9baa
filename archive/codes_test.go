package archive

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Two records never carry one archival code, whoever files them: a record whose
// code another record carries is refused and nothing of it is stored.
func TestArchivalCodeUnique(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	rec, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	if holder, err := a.CodeHolder(ctx, rec.ArchivalCode); err != nil || holder != rec.ID {
		t.Fatalf("CodeHolder = %q, %v", holder, err)
	}
	other := testRecord()
	other.Title = "关于东天街片区房屋征收补偿方案的公告"
	_, err = a.CreateRecord(ctx, other)
	if !errors.Is(err, ErrCodeInUse) || !strings.Contains(err.Error(), rec.ID) {
		t.Fatalf("a second record with %s: %v, want ErrCodeInUse naming %s", rec.ArchivalCode, err, rec.ID)
	}
	id, _ := RecordID(a.cat.ApplyDefaults(other))
	if _, err := a.Record(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the refused record was stored: %v", err)
	}
	// The same filing again is the same record; a correction keeps its code.
	if _, err := a.CreateRecord(ctx, testRecord()); !errors.Is(err, ErrRecordExists) {
		t.Fatalf("re-run: %v", err)
	}
	fix := rec
	fix.Pages = 13
	if _, err := a.CorrectRecord(ctx, rec.ID, 1, fix, "页数有误"); err != nil {
		t.Fatalf("correction with the same code: %v", err)
	}
	// A correction to a code of another record is refused; to a new one it is
	// not, and the old code stays the record's (version 1 carries it).
	other.ArchivalCode = "Z109-ZS·2024-Y-CQ01-0008"
	rec2, err := a.CreateRecord(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	fix2 := rec2
	fix2.ArchivalCode = rec.ArchivalCode
	if _, err := a.CorrectRecord(ctx, rec2.ID, 1, fix2, "档号有误"); !errors.Is(err, ErrCodeInUse) {
		t.Fatalf("correction to another record's code: %v", err)
	}
	fix3 := rec2
	fix3.ArchivalCode = "Z109-ZS·2024-Y-CQ01-0009"
	if _, err := a.CorrectRecord(ctx, rec2.ID, 1, fix3, "档号有误"); err != nil {
		t.Fatal(err)
	}
	third := testRecord()
	third.Title, third.ArchivalCode = "第三份", "Z109-ZS·2024-Y-CQ01-0008"
	if _, err := a.CreateRecord(ctx, third); !errors.Is(err, ErrCodeInUse) {
		t.Fatalf("the code of a corrected record's version 1: %v", err)
	}
}
