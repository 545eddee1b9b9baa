package calendar

import (
	"cmp"
	"fmt"
	"strconv"
	"time"
)

// Date is a civil date: a day in the calendar, with no time of day and no time zone,
// such as the date a document bears or the last day of a period. Keeping it apart from
// time.Time avoids the off-by-one-day errors of converting a Beijing date through UTC.
// It encodes as "2006-01-02"; the zero Date means "no date" and encodes as "".
//
// archive.Date is this type, so a record's date goes into a clock without conversion.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// D returns the date y-m-d.
func D(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// ParseDate parses exactly "YYYY-MM-DD" and rejects dates that do not exist.
func ParseDate(s string) (Date, error) {
	bad := len(s) != 10
	for i := 0; !bad && i < len(s); i++ {
		if i == 4 || i == 7 {
			bad = s[i] != '-'
		} else {
			bad = s[i] < '0' || s[i] > '9'
		}
	}
	if bad {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	out := Date{Year: y, Month: time.Month(m), Day: d}
	if !out.Valid() {
		return Date{}, fmt.Errorf("date %q: no such day", s)
	}
	return out, nil
}

// Valid reports whether d is a real calendar day in years 1 to 9999.
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	t := d.utc()
	return t.Day() == d.Day && t.Month() == d.Month
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp.Compare(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp.Compare(int(d.Month), int(o.Month))
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// AddDays returns d moved by n days (n may be negative).
func (d Date) AddDays(n int) Date { return civil(d.utc().AddDate(0, 0, n)) }

// AddMonths returns the day n months after d (before, when n is negative) as the
// Civil Code counts periods in months: the same day of the month, or the month's last
// day when it has no such day (民法典 Art. 202: 2026-01-31 plus one month is
// 2026-02-28, not time.AddDate's 2026-03-03).
func (d Date) AddMonths(n int) Date {
	m := d.Year*12 + int(d.Month) - 1 + n
	y, mon := m/12, time.Month(m%12+1)
	last := time.Date(y, mon+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return Date{Year: y, Month: mon, Day: min(d.Day, last)}
}

// AddYears returns the day n years after d as the Civil Code counts periods in years:
// 2024-02-29 plus one year is 2025-02-28 (Art. 202).
func (d Date) AddYears(n int) Date { return d.AddMonths(12 * n) }

// DaysSince returns the number of days from o to d: 1 when d is the day after o,
// negative when d is before o.
func (d Date) DaysSince(o Date) int {
	// Both are UTC midnights, so the difference is a whole number of days.
	return int(d.utc().Sub(o.utc()) / (24 * time.Hour))
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// civil is the date t shows in its own location.
func civil(t time.Time) Date { return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()} }

// MarshalText encodes d as YYYY-MM-DD. An invalid non-zero date is an error, so that
// nothing unreadable is ever stored.
func (d Date) MarshalText() ([]byte, error) {
	if !d.IsZero() && !d.Valid() {
		return nil, fmt.Errorf("invalid date %d-%d-%d", d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes YYYY-MM-DD; "" is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// chinaZone is UTC+8, the one time zone of mainland China (no daylight saving), fixed
// here so that "today" does not depend on the host's tzdata.
func chinaZone() *time.Location { return time.FixedZone("CST", 8*3600) }

// DateOf returns the civil date of t in China: the day a clock counts t as.
func DateOf(t time.Time) Date { return civil(t.In(chinaZone())) }
