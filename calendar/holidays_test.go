package calendar

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

func TestDefaultYears(t *testing.T) {
	c := Default()
	var got []int
	for _, y := range c.Years() {
		got = append(got, y.Year)
		for _, n := range y.Notices {
			if !strings.HasPrefix(n.Number, "国办发明电〔") || n.Date.Year != y.Year-1 && n.Date.Year != y.Year {
				t.Errorf("%d: notice %+v: want a 国办发明电 dated the year before or the year itself", y.Year, n)
			}
		}
	}
	want := []int{2020, 2021, 2022, 2023, 2024, 2025, 2026}
	if len(got) != len(want) {
		t.Fatalf("years = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("years = %v, want %v", got, want)
		}
	}
}

func TestDays(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		d    Date
		kind DayKind
		name string
	}{
		{D(2026, 2, 13), Workday, ""},           // Friday before the Spring Festival
		{D(2026, 2, 14), MakeupWorkday, "春节"},   // Saturday worked
		{D(2026, 2, 15), DayOff, "春节"},          // Sunday, first day off
		{D(2026, 2, 23), DayOff, "春节"},          // Monday, last day off
		{D(2026, 2, 24), Workday, ""},           // back to work
		{D(2026, 2, 28), MakeupWorkday, "春节"},   // Saturday worked
		{D(2026, 3, 1), Weekend, ""},            // an ordinary Sunday
		{D(2026, 9, 20), MakeupWorkday, "国庆节"},  // Sunday worked before National Day
		{D(2026, 9, 25), DayOff, "中秋节"},         // Friday, Mid-Autumn
		{D(2026, 10, 7), DayOff, "国庆节"},         // Wednesday, last day off
		{D(2026, 10, 8), Workday, ""},           // Thursday
		{D(2026, 10, 10), MakeupWorkday, "国庆节"}, // Saturday worked
		{D(2026, 10, 11), Weekend, ""},
		{D(2020, 2, 1), DayOff, "春节"},         // the 2020 extension cancelled this make-up day
		{D(2020, 1, 19), MakeupWorkday, "春节"}, // worked before the extension
		{D(2020, 2, 3), Workday, ""},          // first day back after the extension
		{D(2022, 12, 31), DayOff, "元旦"},       // the 2023 notice reaches into 2022
		{D(2024, 2, 9), Workday, ""},          // 除夕 2024 was not a day off
		{D(2025, 1, 28), DayOff, "春节"},        // 除夕 is a holiday from 2025
		{D(2023, 10, 7), MakeupWorkday, "中秋节、国庆节"},
	} {
		day, err := c.Day(tc.d)
		if err != nil || day.Kind != tc.kind || day.NameZh != tc.name || day.Date != tc.d {
			t.Errorf("Day(%s) = %+v, %v; want %s %q", tc.d, day, err, tc.kind, tc.name)
		}
		if ok, err := c.IsWorkday(tc.d); err != nil || ok != tc.kind.Working() {
			t.Errorf("IsWorkday(%s) = %v, %v", tc.d, ok, err)
		}
	}
}

// TestUnknownYear: 2027 has no notice in this version, so nothing about a 2027 day is
// answered from its weekday, and 2019's neither.
func TestUnknownYear(t *testing.T) {
	c := Default()
	for _, d := range []Date{D(2027, 1, 4), D(2027, 10, 1), D(2019, 12, 31)} {
		if c.Knows(d) {
			t.Errorf("Knows(%s)", d)
		}
		_, err := c.Day(d)
		var ue *UnknownError
		if !errors.Is(err, ErrUnknown) || !errors.As(err, &ue) || ue.Date != d {
			t.Fatalf("Day(%s) error = %v, want an UnknownError for the date", d, err)
		}
		if msg := err.Error(); !strings.Contains(msg, d.String()) || !strings.Contains(msg, "2020 to 2026") {
			t.Errorf("error %q names neither the date nor the years known", msg)
		}
		if _, err := c.IsWorkday(d); !errors.Is(err, ErrUnknown) {
			t.Errorf("IsWorkday(%s) = %v, want ErrUnknown", d, err)
		}
	}
	if _, err := c.Day(Date{Year: 2026, Month: 2, Day: 30}); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("Day(2026-02-30) = %v, want an invalid-date error", err)
	}
}

const year2027 = `{
  "schema": 1,
  "year": 2027,
  "notices": [{"title": "test notice", "number": "test〔2026〕1号", "date": "2026-11-01"}],
  "holidays": [
    {"name_zh": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"},
    {"name_zh": "春节", "name_en": "Spring Festival", "from": "2027-02-05", "to": "2027-02-13", "workdays": ["2027-01-31", "2027-02-14"]}
  ]
}`

// TestWith: a deployment adds a year and replaces another.
func TestWith(t *testing.T) {
	y2027, err := ParseYear(strings.NewReader(year2027))
	if err != nil {
		t.Fatal(err)
	}
	// A province that gave 2026-02-24 off as well.
	y2026 := Default().Years()[6]
	y2026.Holidays[1].To = D(2026, 2, 24)
	y2026.Notices = append(y2026.Notices, Notice{Title: "province", Number: "省〔2026〕1号", Date: D(2026, 1, 10)})
	base := Default()
	c, err := base.With(y2027, y2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    Date
		kind DayKind
	}{
		{D(2027, 1, 31), MakeupWorkday},
		{D(2027, 2, 8), DayOff},
		{D(2027, 3, 1), Workday},
		{D(2026, 2, 24), DayOff},
		{D(2026, 2, 25), Workday},
	} {
		if day, err := c.Day(tc.d); err != nil || day.Kind != tc.kind {
			t.Errorf("Day(%s) = %+v, %v; want %s", tc.d, day, err, tc.kind)
		}
	}
	// The calendar it was made from is unchanged.
	if day, _ := base.Day(D(2026, 2, 24)); day.Kind != Workday {
		t.Errorf("base calendar changed: %+v", day)
	}
	if base.Knows(D(2027, 1, 1)) {
		t.Error("base calendar knows 2027")
	}
}

func TestReadYears(t *testing.T) {
	fsys := fstest.MapFS{
		"2027.json":  {Data: []byte(year2027)},
		"README.txt": {Data: []byte("not a year")},
	}
	ys, err := ReadYears(fsys)
	if err != nil || len(ys) != 1 || ys[0].Year != 2027 {
		t.Fatalf("ReadYears = %+v, %v", ys, err)
	}
	fsys["2028.json"] = &fstest.MapFile{Data: []byte(`{"schema": 1, "year": 2028}`)}
	if _, err := ReadYears(fsys); err == nil || !strings.Contains(err.Error(), "2028.json") {
		t.Errorf("ReadYears of a bad file = %v, want an error naming it", err)
	}
}

func TestParseYearRejects(t *testing.T) {
	notice := `"notices": [{"title": "t", "number": "n", "date": "2026-11-01"}]`
	year := func(holidays string) string {
		return `{"schema": 1, "year": 2027, ` + notice + `, "holidays": [` + holidays + `]}`
	}
	for _, tc := range []struct {
		name, in, want string
	}{
		{"schema 2", `{"schema": 2, "year": 2027}`, "schema 2"},
		{"unknown field", `{"schema": 1, "year": 2027, "holiday": []}`, `unknown field "holiday"`},
		{"trailing data", year(``) + `{}`, "data after the JSON object"},
		{"no notice", `{"schema": 1, "year": 2027, "holidays": []}`, "no notice"},
		{"notice without number", `{"schema": 1, "year": 2027, "notices": [{"title": "t", "date": "2026-11-01"}]}`, "title, number and date are required"},
		{"bad date", year(`{"name_zh": "春节", "name_en": "SF", "from": "2027-02-30", "to": "2027-03-01"}`), "no such day"},
		{"no name", year(`{"name_zh": "", "name_en": "", "from": "2027-02-05", "to": "2027-02-06"}`), "name_zh and name_en are required"},
		{"reversed", year(`{"name_zh": "春节", "name_en": "SF", "from": "2027-02-13", "to": "2027-02-05"}`), "is -7 days"},
		{"too long", year(`{"name_zh": "春节", "name_en": "SF", "from": "2027-02-05", "to": "2027-04-05"}`), "is 60 days"},
		{"another year", year(`{"name_zh": "春节", "name_en": "SF", "from": "2029-02-05", "to": "2029-02-06"}`), "must be days of 2027"},
		{"overlap", year(`{"name_zh": "甲", "name_en": "A", "from": "2027-05-01", "to": "2027-05-05"}, {"name_zh": "乙", "name_en": "B", "from": "2027-05-05", "to": "2027-05-06"}`), "2027-05-05 is a day off of another holiday too"},
		{"weekday worked", year(`{"name_zh": "劳动节", "name_en": "LD", "from": "2027-05-01", "to": "2027-05-05", "workdays": ["2027-05-06"]}`), "2027-05-06 is a Thursday"},
		{"worked and off", year(`{"name_zh": "劳动节", "name_en": "LD", "from": "2027-05-01", "to": "2027-05-05", "workdays": ["2027-05-01"]}`), "both a day off and a make-up working day"},
		{"worked twice", year(`{"name_zh": "劳动节", "name_en": "LD", "from": "2027-05-03", "to": "2027-05-05", "workdays": ["2027-05-08", "2027-05-08"]}`), "listed twice"},
	} {
		_, err := ParseYear(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseYear = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// TestNewConflicts: two notices may not disagree on a day, and a year comes once.
func TestNewConflicts(t *testing.T) {
	y2023 := Default().Years()[3] // its New Year holiday starts on 2022-12-31
	y2022 := Default().Years()[2]
	y2022.Holidays[0].Workdays = []Date{D(2022, 12, 31)}
	if _, err := New(y2022, y2023); err == nil || !strings.Contains(err.Error(), "2022-12-31") {
		t.Errorf("New of disagreeing notices = %v", err)
	}
	if _, err := New(y2023, y2023); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("New with a year twice = %v", err)
	}
}

// FuzzParseYear: a year file never panics the parser, and what it accepts makes a
// calendar.
func FuzzParseYear(f *testing.F) {
	f.Add(year2027)
	for _, name := range []string{"2020.json", "2023.json", "2026.json"} {
		b, err := builtin.ReadFile("holidays/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, err := ParseYear(strings.NewReader(s))
		if err != nil {
			return
		}
		if _, err := New(y); err != nil {
			t.Fatalf("accepted year makes no calendar: %v", err)
		}
	})
}

func TestLoad(t *testing.T) {
	c, err := Load(fstest.MapFS{"2027.json": {Data: []byte(year2027)}})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Knows(D(2027, 2, 8)) || !c.Knows(D(2020, 1, 1)) {
		t.Error("Load lost a year")
	}
	if c, err := Load(nil); err != nil || c.Knows(D(2027, 1, 1)) {
		t.Errorf("Load(nil) = %v", err)
	}
	if _, err := Load(fstest.MapFS{"bad.json": {Data: []byte(`{}`)}}); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("Load of a bad file = %v", err)
	}
}
