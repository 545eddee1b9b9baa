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
