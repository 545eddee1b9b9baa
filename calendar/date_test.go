package calendar

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Date
		err  string
	}{
		{in: "2026-02-28", want: D(2026, 2, 28)},
		{in: "2024-02-29", want: D(2024, 2, 29)},
		{in: "0001-01-01", want: D(1, 1, 1)},
		{in: "2026-02-29", err: `date "2026-02-29": no such day`},
		{in: "2026-13-01", err: `date "2026-13-01": no such day`},
		{in: "0000-01-01", err: `date "0000-01-01": no such day`},
		{in: "2026-2-28", err: `date "2026-2-28": want YYYY-MM-DD`},
		{in: "2026/02/28", err: `date "2026/02/28": want YYYY-MM-DD`},
		{in: "+026-02-28", err: `date "+026-02-28": want YYYY-MM-DD`},
		{in: "２０２６-02-28", err: `date "２０２６-02-28": want YYYY-MM-DD`},
		{in: "", err: `date "": want YYYY-MM-DD`},
	} {
		got, err := ParseDate(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseDate(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want || got.String() != tc.in {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	if got := D(2024, 2, 28).AddDays(2); got != D(2024, 3, 1) {
		t.Errorf("2024-02-28 + 2 = %s", got)
	}
	if got := D(2026, 1, 1).AddDays(-1); got != D(2025, 12, 31) {
		t.Errorf("2026-01-01 - 1 = %s", got)
	}
	if got := D(2026, 3, 1).DaysSince(D(2026, 2, 1)); got != 28 {
		t.Errorf("2026-03-01 since 2026-02-01 = %d, want 28", got)
	}
	if got := D(2026, 2, 1).DaysSince(D(2026, 3, 1)); got != -28 {
		t.Errorf("2026-02-01 since 2026-03-01 = %d, want -28", got)
	}
	if got := D(2026, 2, 14).Weekday(); got != time.Saturday {
		t.Errorf("2026-02-14 is a %s, want Saturday", got)
	}
	if !D(2026, 2, 14).Before(D(2026, 2, 15)) || !D(2026, 2, 15).After(D(2026, 2, 14)) || D(2026, 2, 14).Compare(D(2026, 2, 14)) != 0 {
		t.Error("Before/After/Compare disagree")
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() || (Date{}).Valid() {
		t.Error("the zero Date is no date")
	}
}

// TestDateOf: a Beijing day starts at 16:00 UTC the day before, whatever the host's
// time zone.
func TestDateOf(t *testing.T) {
	for _, tc := range []struct {
		utc  string
		want Date
	}{
		{"2026-01-31T15:59:59Z", D(2026, 1, 31)},
		{"2026-01-31T16:00:00Z", D(2026, 2, 1)},
		{"2026-12-31T16:00:00Z", D(2027, 1, 1)},
	} {
		at, _ := time.Parse(time.RFC3339, tc.utc)
		if got := DateOf(at.In(time.FixedZone("EST", -5*3600))); got != tc.want {
			t.Errorf("DateOf(%s) = %s, want %s", tc.utc, got, tc.want)
		}
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		D Date `json:"d"`
		Z Date `json:"z,omitzero"`
	}
	b, err := json.Marshal(doc{D: D(2026, 10, 10)})
	if err != nil || string(b) != `{"d":"2026-10-10"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D != D(2026, 10, 10) {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &back); err == nil {
		t.Error("Unmarshal accepted 2026-02-30")
	}
	if _, err := json.Marshal(doc{D: Date{Year: 2026, Month: 2, Day: 30}}); err == nil {
		t.Error("Marshal accepted 2026-02-30")
	}
}

// TestAddMonths: periods in months and years end on the corresponding day, or on the
// month's last day when there is none (民法典 Art. 202).
func TestAddMonths(t *testing.T) {
	for _, tc := range []struct {
		d    Date
		n    int
		want Date
	}{
		{D(2026, 1, 31), 1, D(2026, 2, 28)},
		{D(2024, 1, 31), 1, D(2024, 2, 29)},
		{D(2026, 3, 31), -1, D(2026, 2, 28)},
		{D(2026, 11, 15), 3, D(2027, 2, 15)},
		{D(2026, 1, 15), -13, D(2024, 12, 15)},
		{D(2026, 5, 31), 0, D(2026, 5, 31)},
	} {
		if got := tc.d.AddMonths(tc.n); got != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.d, tc.n, got, tc.want)
		}
	}
	if got := D(2024, 2, 29).AddYears(1); got != D(2025, 2, 28) {
		t.Errorf("2024-02-29 + 1 year = %s", got)
	}
	// Retention from the following 1 January: a D30 record of a project closed in 2026
	// runs from 2027-01-01 to the end of 2056.
	if got := D(2027, 1, 1).AddYears(30).AddDays(-1); got != D(2056, 12, 31) {
		t.Errorf("30 years from 2027-01-01 end %s", got)
	}
}
