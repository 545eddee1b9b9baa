package archive

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The viewers of the visibility table, in the order of its columns.
var visViewers = []struct {
	name string
	v    Viewer
}{
	{"public", PublicViewer()},
	{"own household", HouseholdViewer("CC-2026-001", "H-0012")},
	{"neighbour", HouseholdViewer("CC-2026-001", "H-0013")},
	{"stranger", HouseholdViewer("JL-2026-003", "H-0012")}, // same household number, other project
	{"archivist", StaffViewer(RoleArchivist)},
	{"inspector", StaffViewer(RoleInspector)},
	{"system admin", StaffViewer(RoleSystemAdmin)},
	{"security officer", StaffViewer(RoleSecurityOfficer)},
	{"auditor", StaffViewer(RoleAuditor)},
	{"household without project", Viewer{Kind: ViewerHousehold, Household: "H-0012"}},
	{"staff without a role", Viewer{Kind: ViewerStaff, Role: "root"}},
}

// TestVisibility is the table of every class × state × viewer. Each want has one
// letter per viewer above: - none, c catalogue, F content.
func TestVisibility(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	states := map[string]RecordState{
		"filed":           {},
		"published":       {Publication: Published},
		"withdrawn":       {Publication: Withdrawn},
		"before window":   {Publication: Published, Window: Window{Start: now.Add(day), End: now.Add(8 * day)}},
		"window opens":    {Publication: Published, Window: Window{Start: now, End: now.Add(7 * day)}},
		"in window":       {Publication: Published, Window: Window{Start: now.Add(-day), End: now.Add(6 * day)}},
		"window closes":   {Publication: Published, Window: Window{Start: now.Add(-7 * day), End: now}},
		"after window":    {Publication: Published, Window: Window{Start: now.Add(-8 * day), End: now.Add(-day)}},
		"open-ended":      {Publication: Published, Window: Window{Start: now.Add(-day)}},
		"disposed":        {Publication: Published, Disposed: true},
		"withdrawn, in w": {Publication: Withdrawn, Window: Window{Start: now.Add(-day), End: now.Add(day)}},
	}
	//                                       pub own nbr str arc ins sys sec aud bhh bst
	staffOnly := "----FFccc--"
	tests := []struct {
		class Disclosure
		state string
		want  string
	}{
		{Public, "filed", staffOnly},
		{Public, "published", "FFFFFFFFFFF"},
		{Public, "withdrawn", staffOnly},
		{Public, "before window", staffOnly},
		{Public, "window opens", "FFFFFFFFFFF"},
		{Public, "in window", "FFFFFFFFFFF"},
		{Public, "window closes", staffOnly},
		{Public, "after window", staffOnly},
		{Public, "open-ended", "FFFFFFFFFFF"},
		{Public, "disposed", "----ccccc--"},
		{Public, "withdrawn, in w", staffOnly},

		{Area, "filed", staffOnly},
		{Area, "published", "-FF-FFccc--"},
		{Area, "withdrawn", staffOnly},
		{Area, "before window", staffOnly},
		{Area, "in window", "-FF-FFccc--"},
		{Area, "window closes", staffOnly},
		{Area, "after window", staffOnly},
		{Area, "disposed", "----ccccc--"},

		{OnRequest, "filed", staffOnly},
		{OnRequest, "published", "ccccFFccccc"},
		{OnRequest, "withdrawn", staffOnly},
		{OnRequest, "in window", "ccccFFccccc"},
		{OnRequest, "after window", staffOnly},
		{OnRequest, "disposed", "----ccccc--"},

		// Household records are delivered, not published: publication and windows
		// change nothing, disposal ends them.
		{Household, "filed", "-F--FFccc--"},
		{Household, "published", "-F--FFccc--"},
		{Household, "withdrawn", "-F--FFccc--"},
		{Household, "after window", "-F--FFccc--"},
		{Household, "disposed", "----ccccc--"},

		{Restricted, "filed", staffOnly},
		{Restricted, "published", staffOnly},
		{Restricted, "in window", staffOnly},
		{Restricted, "disposed", "----ccccc--"},

		{"", "published", staffOnly},
		{"secret", "published", staffOnly},
	}
	letter := map[Access]byte{AccessNone: '-', AccessCatalogue: 'c', AccessContent: 'F'}
	for _, tc := range tests {
		want := strings.ReplaceAll(tc.want, " ", "")
		// The column of the malformed household viewer is the public's; of the
		// staff member without a role, too.
		if len(want) != len(visViewers) {
			t.Fatalf("%s/%s: want %q has %d columns, not %d", tc.class, tc.state, tc.want, len(want), len(visViewers))
		}
		st, ok := states[tc.state]
		if !ok {
			t.Fatalf("no state %q", tc.state)
		}
		rec := Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Project: "CC-2026-001", Household: "H-0012", Disclosure: tc.class}
		vis := Visibility(rec, st, now)
		var got []byte
		for _, v := range visViewers {
			got = append(got, letter[vis.For(v.v)])
		}
		if string(got) != want {
			var diff []string
			for i := range got {
				if got[i] != want[i] {
					diff = append(diff, fmt.Sprintf("%s %c want %c", visViewers[i].name, got[i], want[i]))
				}
			}
			t.Errorf("%s, %s: got %s want %s (%s); grants %v", tc.class, tc.state, got, want, strings.Join(diff, ", "), vis)
		}
	}
}

// Until names the moment a window opens or closes, so that a cache of the answer
// (the search index) knows when to ask again.
func TestVisibilityUntil(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	start, end := now.Add(time.Hour), now.Add(49*time.Hour)
	rec := Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Project: "CC-2026-001", Disclosure: Area}
	st := RecordState{Publication: Published, Window: Window{Start: start, End: end}}
	for _, tc := range []struct {
		at, want time.Time
		sees     Access
	}{
		{now, start, AccessNone},
		{start.Add(-time.Nanosecond), start, AccessNone},
		{start, end, AccessContent},
		{end.Add(-time.Nanosecond), end, AccessContent},
		{end, time.Time{}, AccessNone},
	} {
		vis := Visibility(rec, st, tc.at)
		if !vis.Until.Equal(tc.want) {
			t.Errorf("at %v: until %v, want %v", tc.at, vis.Until, tc.want)
		}
		if got := vis.For(HouseholdViewer("CC-2026-001", "H-1")); got != tc.sees {
			t.Errorf("at %v: a household of the project sees %v, want %v", tc.at, got, tc.sees)
		}
	}
	if u := Visibility(rec, RecordState{Publication: Published}, now).Until; !u.IsZero() {
		t.Errorf("without a window, until %v, want zero", u)
	}
}

func TestCheckPublishable(t *testing.T) {
	for _, tc := range []struct {
		class Disclosure
		ok    bool
	}{
		{Public, true}, {Area, true}, {OnRequest, true},
		{Household, false}, {Restricted, false}, {"", false}, {"secret", false},
	} {
		err := CheckPublishable(Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Disclosure: tc.class, Household: "H-1"})
		if (err == nil) != tc.ok {
			t.Errorf("%q: err = %v, want ok=%v", tc.class, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotPublishable) {
			t.Errorf("%q: err = %v does not match ErrNotPublishable", tc.class, err)
		}
	}
}

// Every viewer is in the public audience; no malformed viewer is in more.
func TestViewerAudiences(t *testing.T) {
	for _, tc := range []struct {
		v    Viewer
		want string
	}{
		{PublicViewer(), "public"},
		{HouseholdViewer("CC-1", "H-1"), "public project:CC-1 household:CC-1/H-1"},
		{HouseholdViewer("", "H-1"), "public"},
		{HouseholdViewer("CC-1", ""), "public"},
		{StaffViewer(RoleInspector), "public role:inspector"},
		{StaffViewer("root"), "public"},
		{Viewer{Kind: ViewerKind(7), Role: RoleArchivist, Project: "CC-1", Household: "H-1"}, "public"},
		{RequesterViewer("20261201-K7M3PX"), "public ticket:20261201-K7M3PX"},
		{RequesterViewer("ticket:x"), "public"},
		{Viewer{Kind: ViewerRequester}, "public"},
	} {
		var got []string
		for _, a := range tc.v.Audiences() {
			got = append(got, string(a))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%+v: %v, want %s", tc.v, got, tc.want)
		}
	}
}

// Granted requests and per-household tables: who sees what of a record whose
// state grants it to a ticket, or carries a table in a publicity window.
func TestVisibilityGrantsAndTables(t *testing.T) {
	now := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	const ticket, other = "20260510-K7M3PX", "20260510-ACEFHJ"
	viewers := []struct {
		name string
		v    Viewer
	}{
		{"public", PublicViewer()},
		{"own household", HouseholdViewer("CC-2026-001", "H-0012")},
		{"stranger", HouseholdViewer("JL-2026-003", "H-0012")},
		{"archivist", StaffViewer(RoleArchivist)},
		{"auditor", StaffViewer(RoleAuditor)},
		{"ticket", RequesterViewer(ticket)},
		{"other ticket", RequesterViewer(other)},
		{"malformed ticket", RequesterViewer("../x")},
	}
	in := Window{Start: now.Add(-day), End: now.Add(6 * day)}
	after := Window{Start: now.Add(-8 * day), End: now.Add(-day)}
	granted := []string{ticket}
	table := TableState{Attached: true}
	//                           pub own str arc aud tk  otk bad
	tests := []struct {
		name  string
		class Disclosure
		st    RecordState
		want  string // record access per viewer: - c F
		table string // table view per viewer: - a(ggregates) m(asked) f(ull)
	}{
		{"on request, granted, not published", OnRequest, RecordState{Grants: granted}, "---FcF--", "--------"},
		{"on request, granted, published", OnRequest, RecordState{Publication: Published, Grants: granted}, "cccFcFcc", "--------"},
		{"public, granted before publication", Public, RecordState{Grants: granted}, "---FcF--", "--------"},
		{"area, granted", Area, RecordState{Grants: granted}, "---FcF--", "--------"},
		{"household, granted (never)", Household, RecordState{Grants: granted}, "-F-Fc---", "--------"},
		{"restricted, granted (never)", Restricted, RecordState{Grants: granted}, "---Fc---", "--------"},
		{"on request, granted, disposed", OnRequest, RecordState{Grants: granted, Disposed: true}, "---cc---", "--------"},
		{"malformed ticket in the state", OnRequest, RecordState{Grants: []string{"../x"}}, "---Fc---", "--------"},

		{"area with table, published", Area, RecordState{Publication: Published, Table: table}, "-F-Fc---", "amafaaaa"},
		{"area with table, unpublished", Area, RecordState{Table: table}, "---Fc---", "---f----"},
		{"area with table, withdrawn", Area, RecordState{Publication: Withdrawn, Table: table}, "---Fc---", "---f----"},
		{"area, table in its window", Area, RecordState{Publication: Published, Table: TableState{Attached: true, Window: in}}, "-F-Fc---", "amafaaaa"},
		{"area, table after its window", Area, RecordState{Publication: Published, Table: TableState{Attached: true, Window: after}}, "-F-Fc---", "---f----"},
		{"area, record after its window", Area, RecordState{Publication: Published, Window: after, Table: table}, "---Fc---", "---f----"},
		{"public with table", Public, RecordState{Publication: Published, Table: table}, "FFFFFFFF", "amafaaaa"},
		{"on request with table (staff only)", OnRequest, RecordState{Publication: Published, Table: table}, "cccFcccc", "---f----"},
		{"area with table, disposed", Area, RecordState{Publication: Published, Table: table, Disposed: true}, "---cc---", "--------"},
	}
	access := map[Access]byte{AccessNone: '-', AccessCatalogue: 'c', AccessContent: 'F'}
	view := map[TableView]byte{TableNone: '-', TableAggregates: 'a', TableMasked: 'm', TableFull: 'f'}
	for _, tc := range tests {
		want, wantT := strings.ReplaceAll(tc.want, " ", ""), strings.ReplaceAll(tc.table, " ", "")
		if len(want) != len(viewers) || len(wantT) != len(viewers) {
			t.Fatalf("%s: %d/%d columns, want %d", tc.name, len(want), len(wantT), len(viewers))
		}
		rec := Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Project: "CC-2026-001", Household: "H-0012", Disclosure: tc.class}
		vis := Visibility(rec, tc.st, now)
		var got, gotT []byte
		for _, v := range viewers {
			got = append(got, access[vis.For(v.v)])
			gotT = append(gotT, view[vis.TableFor(v.v)])
		}
		if string(got) != want || string(gotT) != wantT {
			t.Errorf("%s: record %s want %s, table %s want %s (%v)", tc.name, got, want, gotT, wantT, vis)
		}
	}
}

// A table's publicity window closes by itself: Until names its end, and from that
// moment the project's households and the public see nothing of the table, while
// the record stays.
func TestTableWindowCloses(t *testing.T) {
	w := DateWindow{From: D(2026, 5, 1), To: D(2026, 5, 8)}
	win := w.Window()
	cst := time.FixedZone("CST", 8*3600)
	if want := time.Date(2026, 5, 1, 0, 0, 0, 0, cst); !win.Start.Equal(want) {
		t.Fatalf("start %v, want %v", win.Start, want)
	}
	if want := time.Date(2026, 5, 9, 0, 0, 0, 0, cst); !win.End.Equal(want) {
		t.Fatalf("end %v, want the midnight after the last day %v", win.End, want)
	}
	rec := Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Project: "CC-2026-001", Disclosure: Area}
	st := RecordState{Publication: Published, Table: TableState{Attached: true, Window: win}}
	hh := HouseholdViewer("CC-2026-001", "0007")
	for _, tc := range []struct {
		at    time.Time
		view  TableView
		until time.Time
	}{
		{win.Start.Add(-time.Second), TableNone, win.Start},
		{win.Start, TableMasked, win.End},
		{time.Date(2026, 5, 8, 23, 59, 59, 0, cst), TableMasked, win.End},
		{win.End, TableNone, time.Time{}},
	} {
		vis := Visibility(rec, st, tc.at)
		if got := vis.TableFor(hh); got != tc.view {
			t.Errorf("at %v: table %v, want %v", tc.at, got, tc.view)
		}
		if got := vis.For(hh); got != AccessContent {
			t.Errorf("at %v: the record itself %v, want content", tc.at, got)
		}
		if !vis.Until.Equal(tc.until) {
			t.Errorf("at %v: until %v, want %v", tc.at, vis.Until, tc.until)
		}
	}
}
