package retention

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
)

var cst = time.FixedZone("CST", 8*3600)

func at(y int, m time.Month, d, h, min, s int) time.Time {
	return time.Date(y, m, d, h, min, s, 0, cst)
}

func rec(typ string, date archive.Date) archive.Record {
	return archive.Record{ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Project: "CC-2026-001", Type: typ, Date: date}
}

// The pure rules, with an injected clock: where a record stands at a moment.
func TestStatus(t *testing.T) {
	cat := archive.DefaultCatalogue()
	override, err := ParseSchedules(strings.NewReader(`{"schema":1,"types":{
		"petition":{"trigger":"project_close"},
		"decision":{"period":"D10"},
		"quarterly_report":{"period":"Y"}}}`), cat)
	if err != nil {
		t.Fatal(err)
	}
	d10 := rec("site_chart", archive.D(2026, 3, 18)) // the catalogue says D10
	heldProject := Hold{ID: "P_CC-2026-001_aaaaaaaa", Project: "CC-2026-001", Reason: "行政诉讼"}
	heldOther := Hold{ID: "P_JL-2026-003_aaaaaaaa", Project: "JL-2026-003", Reason: "另案"}
	released := heldProject
	released.Version, released.Released = 2, true
	heldRecord := Hold{ID: "R_aaaaaaaaaaaaaaaaaaaaaaaaaa_aaaaaaaa", Record: d10.ID}
	for _, tc := range []struct {
		name      string
		rules     *Schedules
		rec       archive.Record
		kept      []archive.Schedule
		closed    archive.Date
		holds     []Hold
		now       time.Time
		state     State
		due       archive.Date
		period    archive.RetentionCode
		trigger   archive.RetentionTrigger
		holdsSeen []string
	}{
		// A D10 record of 18 March 2026 is kept through 2036, counted from 1 January 2027.
		{name: "D10 the last second of its period", rec: d10, now: at(2036, 12, 31, 23, 59, 59),
			state: Kept, due: archive.D(2037, 1, 1), period: archive.Years10},
		{name: "D10 the first second it is due", rec: d10, now: at(2037, 1, 1, 0, 0, 0),
			state: Due, due: archive.D(2037, 1, 1)},
		{name: "D10 in UTC, 16:00 on the last day is midnight in China", rec: d10,
			now: time.Date(2036, 12, 31, 16, 0, 0, 0, time.UTC), state: Due, due: archive.D(2037, 1, 1)},
		{name: "D10 in UTC, a second before", rec: d10,
			now: time.Date(2036, 12, 31, 15, 59, 59, 0, time.UTC), state: Kept},
		{name: "dated 31 December counts from the next day", rec: rec("site_chart", archive.D(2026, 12, 31)),
			now: at(2036, 12, 31, 12, 0, 0), state: Kept, due: archive.D(2037, 1, 1)},
		{name: "dated 1 January waits almost a year more", rec: rec("site_chart", archive.D(2026, 1, 1)),
			now: at(2036, 12, 31, 12, 0, 0), state: Kept, due: archive.D(2037, 1, 1)},
		{name: "D30", rec: rec("policy", archive.D(2026, 5, 1)), now: at(2057, 1, 1, 0, 0, 0),
			state: Due, due: archive.D(2057, 1, 1), period: archive.Years30},
		{name: "permanent is never due", rec: rec("decision", archive.D(2026, 3, 18)), now: at(2999, 1, 1, 0, 0, 0),
			state: Permanent, period: archive.Permanent},
		{name: "a record filed with a longer period keeps it", rec: func() archive.Record {
			r := d10
			r.Retention = archive.Years30
			return r
		}(), now: at(2040, 1, 1, 0, 0, 0), state: Kept, due: archive.D(2057, 1, 1), period: archive.Years30},

		// Holds.
		{name: "a held record is never due", rec: d10, holds: []Hold{heldProject}, now: at(2090, 1, 1, 0, 0, 0),
			state: Held, due: archive.D(2037, 1, 1), holdsSeen: []string{heldProject.ID}},
		{name: "held by record", rec: d10, holds: []Hold{heldOther, heldRecord}, now: at(2040, 1, 1, 0, 0, 0),
			state: Held, holdsSeen: []string{heldRecord.ID}},
		{name: "another project's hold does not cover it", rec: d10, holds: []Hold{heldOther}, now: at(2040, 1, 1, 0, 0, 0),
			state: Due},
		{name: "a released hold covers nothing", rec: d10, holds: []Hold{released}, now: at(2040, 1, 1, 0, 0, 0),
			state: Due},
		{name: "a held permanent record is held", rec: rec("decision", archive.D(2026, 3, 18)), holds: []Hold{heldProject},
			now: at(2040, 1, 1, 0, 0, 0), state: Held},

		// The close of the project.
		{name: "waiting for the close", rules: override, rec: rec("petition", archive.D(2026, 4, 1)), now: at(2080, 1, 1, 0, 0, 0),
			state: Waiting, due: archive.D(2057, 1, 1), trigger: archive.TriggerProjectClose},
		{name: "counted from the close", rules: override, rec: rec("petition", archive.D(2026, 4, 1)), closed: archive.D(2031, 6, 30),
			now: at(2061, 12, 31, 12, 0, 0), state: Kept, due: archive.D(2062, 1, 1)},
		{name: "a close before the document's date counts from the date", rules: override, rec: rec("petition", archive.D(2026, 4, 1)),
			closed: archive.D(2025, 12, 1), now: at(2057, 1, 1, 0, 0, 0), state: Due, due: archive.D(2057, 1, 1)},

		// A deployment lengthens, never shortens.
		{name: "the deployment's D10 does not shorten the catalogue's Y", rules: override, rec: rec("decision", archive.D(2026, 3, 18)),
			now: at(2040, 1, 1, 0, 0, 0), state: Permanent, period: archive.Permanent},
		{name: "the deployment's Y lengthens D30", rules: override, rec: rec("quarterly_report", archive.D(2026, 3, 31)),
			now: at(2060, 1, 1, 0, 0, 0), state: Permanent},
		{name: "an extension kept with the record lengthens it", rec: d10,
			kept: []archive.Schedule{{Period: archive.Years30, Trigger: archive.TriggerDocumentDate}},
			now:  at(2040, 1, 1, 0, 0, 0), state: Kept, due: archive.D(2057, 1, 1), period: archive.Years30},
		{name: "a shorter schedule kept changes nothing", rec: rec("policy", archive.D(2026, 5, 1)),
			kept: []archive.Schedule{{Period: archive.Years10, Trigger: archive.TriggerDocumentDate}},
			now:  at(2040, 1, 1, 0, 0, 0), state: Kept, due: archive.D(2057, 1, 1)},
		{name: "an extension to the close waits for it", rec: d10,
			kept: []archive.Schedule{{Period: archive.Years10, Trigger: archive.TriggerProjectClose}},
			now:  at(2040, 1, 1, 0, 0, 0), state: Waiting, due: archive.D(2037, 1, 1)},
		{name: "a tombstone is disposed", rec: func() archive.Record {
			r := d10
			r.Disposal = &archive.Disposal{List: "D20370105-aaaaaaaa"}
			return r
		}(), now: at(2040, 1, 1, 0, 0, 0), state: Disposed},
		{name: "no date: counted from the day it was filed", rec: func() archive.Record {
			r := rec("site_chart", archive.Date{})
			r.FiledAt = time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC) // 1 January 2027 in China
			return r
		}(), now: at(2037, 6, 1, 0, 0, 0), state: Kept, due: archive.D(2038, 1, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Rules{Schedules: tc.rules}
			s := r.Schedule(cat, tc.rec, tc.kept, tc.closed)
			st := r.Status(tc.rec, s, tc.holds, tc.now)
			if st.State != tc.state {
				t.Errorf("state %s, want %s (schedule %+v)", st.State, tc.state, s)
			}
			if !tc.due.IsZero() && st.Due != tc.due {
				t.Errorf("due %s, want %s", st.Due, tc.due)
			}
			if tc.period != "" && s.Period != tc.period {
				t.Errorf("period %s, want %s", s.Period, tc.period)
			}
			if tc.trigger != "" && s.Trigger != tc.trigger {
				t.Errorf("trigger %s, want %s", s.Trigger, tc.trigger)
			}
			if tc.holdsSeen != nil && !slices.Equal(st.Holds, tc.holdsSeen) {
				t.Errorf("holds %v, want %v", st.Holds, tc.holdsSeen)
			}
		})
	}
}

// Locks: until the disposal date begins, capped by the horizon; renewed only when
// needed.
func TestUntilAndRenewal(t *testing.T) {
	cat := archive.DefaultCatalogue()
	r := &Rules{}
	now := at(2026, 12, 1, 10, 0, 0)
	d10 := rec("site_chart", archive.D(2026, 3, 18))
	s := r.Schedule(cat, d10, nil, archive.Date{})
	if got, want := r.Until(d10, s, now), at(2037, 1, 1, 0, 0, 0); !got.Equal(want) {
		t.Errorf("D10 locked until %v, want %v (the moment it becomes due)", got, want)
	}
	if got := r.Until(d10, s, at(2037, 1, 1, 0, 0, 0)); !got.IsZero() {
		t.Errorf("a record already due needs no lock: %v", got)
	}
	perm := rec("decision", archive.D(2026, 3, 18))
	if got := r.Until(perm, r.Schedule(cat, perm, nil, archive.Date{}), now); !got.Equal(now.Add(DefaultHorizon)) {
		t.Errorf("permanent: %v, want now + the horizon", got)
	}
	short := &Rules{Horizon: 5 * 365 * 24 * time.Hour}
	if got := short.Until(d10, s, now); !got.Equal(now.Add(short.Horizon)) {
		t.Errorf("due beyond the horizon: %v, want capped at now + horizon", got)
	}
	// A schedule waiting for its project's close is locked until the earliest
	// its date can be; the close extends it.
	waiting := archive.Schedule{Period: archive.Years10, Trigger: archive.TriggerProjectClose}
	if got := r.Until(d10, Compute(waiting, d10, archive.Date{}), now); !got.Equal(at(2037, 1, 1, 0, 0, 0)) {
		t.Errorf("waiting: %v, want the least due", got)
	}
	closed := Compute(waiting, d10, archive.D(2030, 5, 1))
	if got := r.Until(d10, closed, now); !got.Equal(at(2041, 1, 1, 0, 0, 0)) {
		t.Errorf("closed 2030: %v, want 2041-01-01", got)
	}

	forever := r.Forever(now)
	for _, tc := range []struct {
		name       string
		have, want time.Time
		extend     bool
		to         time.Time
	}{
		{"unlocked, needs a date", time.Time{}, at(2037, 1, 1, 0, 0, 0), true, at(2037, 1, 1, 0, 0, 0)},
		{"a date became later", at(2037, 1, 1, 0, 0, 0), at(2041, 1, 1, 0, 0, 0), true, at(2041, 1, 1, 0, 0, 0)},
		{"already as long", at(2041, 1, 1, 0, 0, 0), at(2041, 1, 1, 0, 0, 0), false, time.Time{}},
		{"longer than needed: never shortened", at(2050, 1, 1, 0, 0, 0), at(2041, 1, 1, 0, 0, 0), false, time.Time{}},
		{"needs nothing", at(2030, 1, 1, 0, 0, 0), time.Time{}, false, time.Time{}},
		{"permanent, unlocked", time.Time{}, forever, true, forever},
		{"permanent, 99 years left: not yet", now.Add(DefaultHorizon - 365*24*time.Hour), forever, false, time.Time{}},
		{"permanent, 9 years left: renewed", now.Add(9 * 365 * 24 * time.Hour), forever, true, forever},
	} {
		to, ok := r.Renewal(tc.have, tc.want, now)
		if ok != tc.extend || !to.Equal(tc.to) {
			t.Errorf("%s: Renewal = %v, %v; want %v, %v", tc.name, to, ok, tc.to, tc.extend)
		}
	}
}

func TestParseSchedules(t *testing.T) {
	cat := archive.DefaultCatalogue()
	for _, tc := range []struct{ in, want string }{
		{`{"schema":1}`, ""},
		{`{"schema":1,"trigger":"project_close","types":{"site_chart":{"period":"D30"}}}`, ""},
		{`{"schema":2}`, "schema 2"},
		{`{"schema":1,"types":{"nonsense":{}}}`, "types.nonsense: not a document type"},
		{`{"schema":1,"types":{"site_chart":{"period":"D15"}}}`, `types.site_chart.period "D15"`},
		{`{"schema":1,"types":{"site_chart":{"trigger":"birth"}}}`, `types.site_chart.trigger "birth"`},
		{`{"schema":1,"trigger":"later"}`, `trigger "later"`},
		{`{"schema":1,"typos":{}}`, `unknown field "typos"`},
	} {
		_, err := ParseSchedules(strings.NewReader(tc.in), cat)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.in, err, tc.want)
		}
	}
	s, _ := ParseSchedules(strings.NewReader(`{"schema":1,"trigger":"project_close","types":{"site_chart":{"trigger":"document_date"}}}`), cat)
	if got := s.For(rec("site_chart", archive.D(2026, 1, 1))).Trigger; got != archive.TriggerDocumentDate {
		t.Errorf("a type's trigger beats the deployment's: %s", got)
	}
	if got := s.For(rec("policy", archive.D(2026, 1, 1))).Trigger; got != archive.TriggerProjectClose {
		t.Errorf("the deployment's trigger: %s", got)
	}
}

func TestDueDate(t *testing.T) {
	for _, tc := range []struct {
		from  archive.Date
		years int
		want  archive.Date
	}{
		{archive.D(2026, 3, 18), 10, archive.D(2037, 1, 1)},
		{archive.D(2024, 2, 29), 10, archive.D(2035, 1, 1)},
		{archive.D(2026, 12, 31), 30, archive.D(2057, 1, 1)},
		{archive.D(1999, 1, 1), 30, archive.D(2030, 1, 1)},
	} {
		if got := DueDate(tc.from, tc.years); got != tc.want {
			t.Errorf("DueDate(%s, %d) = %s, want %s", tc.from, tc.years, got, tc.want)
		}
	}
}
