package archive

import (
	"fmt"
	"time"

	"github.com/gongshi-archive/gongshi/calendar"
)

// Disclosure is who may see a record (docs/architecture.md, "The domain").
type Disclosure string

// The disclosure classes, from the most open to the most closed.
const (
	// Public: anyone.
	Public Disclosure = "public"
	// Area: residents of the project after household verification; aggregates may be
	// public.
	Area Disclosure = "area"
	// OnRequest: the catalogue entry is public; the content is released when a
	// request for it is granted.
	OnRequest Disclosure = "on_request"
	// Household: only the household concerned.
	Household Disclosure = "household"
	// Restricted: staff only.
	Restricted Disclosure = "restricted"
)

// Disclosures lists the classes from the most open to the most closed.
func Disclosures() []Disclosure {
	return []Disclosure{Public, Area, OnRequest, Household, Restricted}
}

// ParseDisclosure returns the class named s, or an error naming the valid ones.
func ParseDisclosure(s string) (Disclosure, error) {
	d := Disclosure(s)
	if !d.Valid() {
		return "", fmt.Errorf("unknown disclosure class %q (want one of public, area, on_request, household, restricted)", s)
	}
	return d, nil
}

// Valid reports whether d is a defined class.
func (d Disclosure) Valid() bool { return d.openness() >= 0 }

// openness ranks the classes: a higher rank lets more people see the content. A record
// may be filed more closed than its type's default (a hearing record under a public
// hearing type) but never more open, so that a filing mistake cannot publish what the
// catalogue restricts. On request ranks below area (nothing is shown until a request is
// granted) and above household (a granted request may come from anyone).
func (d Disclosure) openness() int {
	switch d {
	case Public:
		return 4
	case Area:
		return 3
	case OnRequest:
		return 2
	case Household:
		return 1
	case Restricted:
		return 0
	}
	return -1
}

// MoreOpenThan reports whether d lets more people see a record than o.
func (d Disclosure) MoreOpenThan(o Disclosure) bool { return d.openness() > o.openness() }

// RetentionCode is a retention period code of DA/T 22-2015: Y (permanent), D30 (30
// years), D10 (10 years).
type RetentionCode string

// The retention period codes.
const (
	Permanent RetentionCode = "Y"
	Years30   RetentionCode = "D30"
	Years10   RetentionCode = "D10"
)

// ParseRetention returns the code named s, or an error naming the valid ones.
func ParseRetention(s string) (RetentionCode, error) {
	r := RetentionCode(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown retention code %q (want Y, D30 or D10)", s)
	}
	return r, nil
}

// Valid reports whether r is a defined code.
func (r RetentionCode) Valid() bool { return r == Permanent || r == Years30 || r == Years10 }

// Years is the retention period in years, 0 for permanent.
func (r RetentionCode) Years() int {
	switch r {
	case Years30:
		return 30
	case Years10:
		return 10
	}
	return 0
}

// Date is a civil date (a day in the calendar, no time of day, no time zone): the date
// a document bears. It is calendar.Date, the one civil-date type of the system, so that
// a record's date goes into the clocks of package calendar as it is. It encodes as
// "2006-01-02"; the zero Date means "no date" and is omitted from JSON.
type Date = calendar.Date

// D returns the date y-m-d.
func D(y int, m time.Month, d int) Date { return calendar.D(y, m, d) }

// ParseDate parses exactly "YYYY-MM-DD" and rejects dates that do not exist.
func ParseDate(s string) (Date, error) { return calendar.ParseDate(s) }

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// DateOf returns the civil date of t in China.
func DateOf(t time.Time) Date { return calendar.DateOf(t) }

// timeLayout is the one way a timestamp is stored: UTC, RFC 3339, milliseconds always
// written, so that equal instants have equal bytes.
const timeLayout = "2006-01-02T15:04:05.000Z"

// normTime is t as it is stored: UTC, truncated to the millisecond, without a monotonic
// reading.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return normTime(t).Format(timeLayout)
}

// parseTime accepts only what formatTime writes.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil || t.Format(timeLayout) != s {
		return time.Time{}, fmt.Errorf("timestamp %q: want UTC RFC 3339 with milliseconds, like 2024-03-15T08:30:00.000Z", s)
	}
	return t, nil
}
