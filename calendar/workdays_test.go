package calendar

import (
	"errors"
	"testing"
)

// The expected days in these tests were counted by hand on the notices and checked
// with an independent count over lunar-go's data, not with this package.

func TestAddWorkdays(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		from Date
		n    int
		want Date
	}{
		{D(2026, 2, 10), 4, D(2026, 2, 14)},   // the 4th is the make-up Saturday
		{D(2026, 2, 10), 5, D(2026, 2, 24)},   // then nine days off
		{D(2026, 1, 26), 20, D(2026, 2, 28)},  // across the Spring Festival, ending on a make-up Saturday
		{D(2026, 9, 18), 20, D(2026, 10, 22)}, // across Mid-Autumn and National Day
		{D(2026, 9, 18), 1, D(2026, 9, 20)},   // a Sunday worked
		{D(2026, 2, 24), 0, D(2026, 2, 24)},
		{D(2026, 2, 24), -1, D(2026, 2, 14)},
		{D(2024, 2, 19), -5, D(2024, 2, 6)},
		{D(2020, 1, 10), 20, D(2020, 2, 14)},  // the 2020 extension
		{D(2020, 9, 20), 20, D(2020, 10, 22)}, // National Day with Mid-Autumn, 2020
		{D(2025, 1, 20), 20, D(2025, 2, 21)},
		{D(2022, 12, 30), 1, D(2023, 1, 3)}, // the New Year holiday from 2022-12-31
	} {
		got, err := c.AddWorkdays(tc.from, tc.n)
		if err != nil || got != tc.want {
			t.Errorf("AddWorkdays(%s, %d) = %s, %v; want %s", tc.from, tc.n, got, err, tc.want)
		}
		if tc.n > 0 {
			if n, err := c.WorkdaysBetween(tc.from, tc.want); err != nil || n != tc.n {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, %v; want %d", tc.from, tc.want, n, err, tc.n)
			}
			if n, err := c.WorkdaysBetween(tc.want, tc.from); err != nil || n != -tc.n {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, %v", tc.want, tc.from, n, err)
			}
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		a, b Date
		want int
	}{
		{D(2026, 2, 1), D(2026, 3, 1), 16},
		{D(2026, 9, 30), D(2026, 10, 31), 18},
		{D(2026, 2, 14), D(2026, 2, 14), 0},
		{D(2026, 2, 13), D(2026, 2, 14), 1},
		{D(2026, 2, 14), D(2026, 2, 13), -1},
		{D(2019, 12, 31), D(2020, 12, 31), 249},
		{D(2023, 12, 31), D(2024, 12, 31), 251},
		{D(2025, 12, 31), D(2026, 12, 31), 248},
		{D(2019, 12, 31), D(2026, 12, 31), 1744},
	} {
		if got, err := c.WorkdaysBetween(tc.a, tc.b); err != nil || got != tc.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
}

func TestWorkdayOnOrAfter(t *testing.T) {
	c := Default()
	for _, tc := range []struct{ d, want Date }{
		{D(2026, 2, 15), D(2026, 2, 24)},
		{D(2026, 2, 14), D(2026, 2, 14)}, // a make-up Saturday is worked
		{D(2026, 10, 1), D(2026, 10, 8)},
		{D(2026, 10, 11), D(2026, 10, 12)},
		{D(2026, 3, 2), D(2026, 3, 2)},
	} {
		if got, err := c.WorkdayOnOrAfter(tc.d); err != nil || got != tc.want {
			t.Errorf("WorkdayOnOrAfter(%s) = %s, %v; want %s", tc.d, got, err, tc.want)
		}
	}
}

// TestWorkdaysUnknown: arithmetic that runs past the data says so.
func TestWorkdaysUnknown(t *testing.T) {
	c := Default()
	if _, err := c.AddWorkdays(D(2026, 12, 20), 20); !errors.Is(err, ErrUnknown) {
		t.Errorf("AddWorkdays into 2027 = %v, want ErrUnknown", err)
	}
	if _, err := c.AddWorkdays(D(2020, 1, 10), -10); !errors.Is(err, ErrUnknown) {
		t.Errorf("AddWorkdays back into 2019 = %v, want ErrUnknown", err)
	}
	if _, err := c.WorkdaysBetween(D(2026, 12, 1), D(2027, 1, 5)); !errors.Is(err, ErrUnknown) {
		t.Errorf("WorkdaysBetween into 2027 = %v, want ErrUnknown", err)
	}
	if _, err := c.WorkdayOnOrAfter(D(2026, 12, 31)); err != nil {
		t.Errorf("WorkdayOnOrAfter(2026-12-31, a Thursday) = %v", err)
	}
	if _, err := c.WorkdayOnOrAfter(D(2027, 1, 2)); !errors.Is(err, ErrUnknown) {
		t.Errorf("WorkdayOnOrAfter(2027-01-02) = %v, want ErrUnknown", err)
	}
	// Within the data the answer is known, up to its last day.
	if got, err := c.AddWorkdays(D(2026, 12, 24), 5); err != nil || got != D(2026, 12, 31) {
		t.Errorf("AddWorkdays(2026-12-24, 5) = %s, %v; want 2026-12-31", got, err)
	}
}

func TestWorkdaysInvalidDate(t *testing.T) {
	c := Default()
	bad := Date{Year: 2026, Month: 2, Day: 30}
	if _, err := c.AddWorkdays(bad, 1); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("AddWorkdays(2026-02-30) = %v, want an invalid-date error", err)
	}
	if _, err := c.WorkdaysBetween(D(2026, 2, 1), bad); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("WorkdaysBetween(…, 2026-02-30) = %v, want an invalid-date error", err)
	}
}
