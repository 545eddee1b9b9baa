package archive

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func testTable(t *testing.T, a *Archive, rec Record) Table {
	t.Helper()
	csv := []byte("户号,户主,建筑面积\n0001,张三,86.5\n")
	d, err := a.PutContent(context.Background(), bytes.NewReader(csv), int64(len(csv)))
	if err != nil {
		t.Fatal(err)
	}
	return Table{Record: rec.ID, Content: d, Encoding: "utf-8", Key: "户号", Rows: 1,
		Columns: []TableColumn{{Name: "户号", Policy: ColumnPublic}, {Name: "户主", Policy: ColumnMasked, Mask: MaskName},
			{Name: "建筑面积", Policy: ColumnPublic}},
		MaskRule: "test-1", Masked: Hash{1}, Window: DateWindow{From: D(2024, 6, 1), To: D(2024, 6, 8)}}
}

// A table is attached to a record of a table type, corrected with a reason, and
// each version is a ledger entry; the record's state says it is there, with its
// window.
func TestPutTable(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, true)
	j := &recordingJournal{}
	a := New(base.store, Options{Now: testNow, Journal: j, Actor: ActorCLI})
	r := testRecord()
	r.Type, r.Title, r.DocNumber, r.ArchivalCode = "appraisal_preliminary", "分户初步评估结果公示", "", ""
	rec, err := a.CreateRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	tab := testTable(t, a, rec)
	got, err := a.PutTable(ctx, tab)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.RecordVersion != rec.Version || got.Actor != ActorCLI || got.Supersedes != nil {
		t.Fatalf("version 1: %+v", got)
	}
	st, err := a.RecordState(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Table.Attached || !st.Table.Window.Start.Equal(DateWindow{From: D(2024, 6, 1)}.Window().Start) {
		t.Fatalf("state: %+v", st)
	}

	// A correction needs its reason.
	tab.Window.To = D(2024, 6, 15)
	if _, err := a.PutTable(ctx, tab); !errors.Is(err, ErrInvalid) {
		t.Fatalf("correction without a reason: %v", err)
	}
	tab.Supersedes = &Supersedes{Reason: "公示期延长至6月15日"}
	got2, err := a.PutTable(ctx, tab)
	if err != nil {
		t.Fatal(err)
	}
	if got2.Version != 2 || got2.Supersedes.Version != 1 {
		t.Fatalf("version 2: %+v", got2)
	}
	h, err := a.TableHistory(ctx, rec.ID)
	if err != nil || len(h) != 2 {
		t.Fatalf("history: %d, %v", len(h), err)
	}
	var kinds []string
	for _, e := range j.events {
		if k, id := e.Ref(); k == SubjectTable && id == rec.ID {
			kinds = append(kinds, string(e.Kind))
			if e.Actor != ActorCLI || (e.Version == 2) != !e.Reason.IsZero() {
				t.Errorf("entry %+v", e)
			}
		}
	}
	if !slices.Equal(kinds, []string{"create", "new_version"}) {
		t.Fatalf("ledger entries of the table: %v", kinds)
	}
	b, err := a.TableStore().Bytes(ctx, rec.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := DecodeTable(b); err != nil || d.Window.To != D(2024, 6, 15) {
		t.Fatalf("decode: %+v %v", d, err)
	}
	if bytes.Contains(b, []byte("张三")) {
		t.Fatalf("the version holds the table's contents:\n%s", b)
	}
}

// What may not carry a table is refused with every problem named, and nothing
// is stored.
func TestPutTableRefused(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, true)
	decision, err := a.CreateRecord(ctx, testRecord())
	if err != nil {
		t.Fatal(err)
	}
	r := testRecord()
	r.Type, r.Title, r.DocNumber, r.ArchivalCode, r.Disclosure = "survey_result", "调查结果（不公开）", "", "", Restricted
	restricted, err := a.CreateRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	r.Title, r.Disclosure = "调查结果", ""
	survey, err := a.CreateRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	good := testTable(t, a, survey)
	for _, tc := range []struct {
		name string
		t    func() Table
		want error
		says string
	}{
		{"a decision has no table", func() Table { x := good; x.Record = decision.ID; return x }, ErrNoTable, "decision"},
		{"a restricted survey", func() Table { x := good; x.Record = restricted.ID; return x }, ErrNoTable, "restricted"},
		{"no such record", func() Table { x := good; x.Record = strings.Repeat("a", 26); return x }, ErrNotFound, ""},
		{"CSV not stored", func() Table { x := good; x.Content.SHA256 = Hash{9}; return x }, ErrNotFound, "not stored"},
		{"key not public, window backwards, repeated column", func() Table {
			x := good
			x.Columns = []TableColumn{{Name: "户号", Policy: ColumnMasked, Mask: MaskPartial}, {Name: "户号", Policy: ColumnPublic}}
			x.Window = DateWindow{From: D(2024, 6, 8), To: D(2024, 6, 1)}
			return x
		}, ErrInvalid, "must be public"},
		{"unknown policy, no mask", func() Table {
			x := good
			x.Columns = []TableColumn{{Name: "户号", Policy: ColumnPublic}, {Name: "户主", Policy: "shown"}, {Name: "地址", Policy: ColumnMasked}}
			return x
		}, ErrInvalid, "masked how"},
	} {
		_, err := a.PutTable(ctx, tc.t())
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
	for _, id := range []string{decision.ID, restricted.ID, survey.ID} {
		if h, err := a.TableHistory(ctx, id); err != nil || len(h) != 0 {
			t.Errorf("%s: %d versions stored, %v", id, len(h), err)
		}
	}
}

// Grants: a ticket is added once, the list is kept sorted, a household record is
// never granted, and the state carries the list.
func TestGrant(t *testing.T) {
	ctx := context.Background()
	base := newTestArchive(t, true)
	j := &recordingJournal{}
	now := testNow()
	a := New(base.store, Options{Now: func() time.Time { return now }, Journal: j, Actor: ActorCLI})
	r := testRecord()
	r.Type, r.Title, r.DocNumber, r.ArchivalCode = "risk_assessment", "社会稳定风险评估报告", "", ""
	rec, err := a.CreateRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	const t1, t2 = "20240601-XK7M3P", "20240601-ACEFHJ"
	if _, err := a.Grant(ctx, rec.ID, t1, AccountActor("u-1")); err != nil {
		t.Fatal(err)
	}
	g, err := a.Grant(ctx, rec.ID, t2, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.Tickets, []string{t2, t1}) || g.Version != 2 || g.Actor != ActorCLI {
		t.Fatalf("grants: %+v", g)
	}
	if _, err := a.Grant(ctx, rec.ID, t1, ""); !errors.Is(err, ErrUnchanged) {
		t.Fatalf("again: %v", err)
	}
	if _, err := a.Grant(ctx, rec.ID, "not-a-ticket", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad ticket: %v", err)
	}
	st, err := a.RecordState(ctx, rec.ID)
	if err != nil || !slices.Equal(st.Grants, []string{t2, t1}) || st.Table.Attached {
		t.Fatalf("state %+v, %v", st, err)
	}
	if got := Visibility(rec, st, now).For(RequesterViewer(t1)); got != AccessContent {
		t.Fatalf("the ticket sees %v", got)
	}

	r.Type, r.Title, r.Household = "appraisal_report", "分户评估报告", "0007"
	hh, err := a.CreateRecord(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Grant(ctx, hh.ID, t1, ""); !errors.Is(err, ErrNotGrantable) {
		t.Fatalf("household record granted: %v", err)
	}
	if st, _ := a.RecordState(ctx, hh.ID); len(st.Grants) != 0 {
		t.Fatalf("household record's grants: %v", st.Grants)
	}
}

func TestSubjectIDs(t *testing.T) {
	for _, tc := range []struct {
		kind SubjectKind
		id   string
		ok   bool
	}{
		{SubjectHousehold, "CC-2026-001", true},
		{SubjectHousehold, "CC-2026-001_0007", false},
		{SubjectCode, "CC-2026-001_0007", true},
		{SubjectCode, "CC-2026-001_A-3-201", true},
		{SubjectObjection, "CC-2026-001_0007", true},
		{SubjectCode, "CC-2026-001", false},
		{SubjectCode, "CC-2026-001_", false},
		{SubjectCode, "CC-2026-001_-7", false},
		{SubjectCode, "CC-2026-001_东3", false},
		{SubjectCode, "cc-2026-001_0007", false},
		{SubjectRequest, "20261201-K7M3PX", true},
		{SubjectRequest, "20261201-K7M3P0", false}, // 0 is not in the alphabet
		{SubjectRequest, "2026121-K7M3PX", false},
		{SubjectTable, strings.Repeat("a", 26), true},
		{SubjectGrant, "x", false},
	} {
		if got := tc.kind.ValidID(tc.id); got != tc.ok {
			t.Errorf("%s %q: %v, want %v", tc.kind, tc.id, got, tc.ok)
		}
	}
	if k := HouseholdKey("CC-2026-001", "0007"); !ValidHouseholdKey(k) {
		t.Errorf("%q", k)
	}
}
