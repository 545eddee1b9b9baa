package calendar

import (
	"cmp"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/internal/strictjson"
)

// builtin holds one file per year, each transcribing the State Council's notice of
// that year's holidays (国务院办公厅关于某年部分节假日安排的通知). A year without a
// notice here is unknown, never guessed.
//
//go:embed holidays/*.json
var builtin embed.FS

// Notice is the official document a year's holidays come from.
type Notice struct {
	// Title is the notice's title, e.g. 国务院办公厅关于2026年部分节假日安排的通知.
	Title string `json:"title"`
	// Number is its document number (文号), e.g. 国办发明电〔2025〕7号.
	Number string `json:"number"`
	// Date is the date it bears.
	Date Date `json:"date"`
}

// Holiday is one holiday of a notice: the days off (放假) and the weekend days worked
// to make up for them (调休上班).
type Holiday struct {
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	// From and To are the first and last day off, inclusive.
	From Date `json:"from"`
	To   Date `json:"to"`
	// Workdays are the Saturdays and Sundays worked instead (调休上班).
	Workdays []Date `json:"workdays,omitempty"`
	// Note explains anything the notice's own line does not, e.g. a later extension.
	Note string `json:"note,omitempty"`
}

// Year is one year's holidays with the notices they come from. A notice may reach
// into the neighbouring year (the 2023 notice's New Year holiday begins on
// 2022-12-31); such a day is kept under its own date.
type Year struct {
	Year     int       `json:"year"`
	Notices  []Notice  `json:"notices"`
	Holidays []Holiday `json:"holidays"`
}

// yearFile is the JSON form of a Year: one file per year.
type yearFile struct {
	Schema int `json:"schema"`
	Year
}

func (f *yearFile) SchemaVersion() int { return f.Schema }

// maxFileSize bounds a year or rules file: real ones are a few kilobytes.
const maxFileSize = 1 << 20

// Limits that catch a mistyped date in a year file.
const (
	maxHolidayDays = 31 // no holiday of a notice is longer than this
	spillDays      = 31 // how far into the neighbouring year a notice may reach
)

// ParseYear reads one year file (see holidays/*.json in the source and docs/clocks.md)
// and checks it: schema 1, at least one notice with a title, number and date, every
// holiday named, its days in order and within the year (or within a month of it), no
// overlapping holidays, make-up working days that are Saturdays or Sundays and not
// days off. Unknown fields are errors, so that a misspelt key is not silently ignored.
func ParseYear(r io.Reader) (Year, error) {
	var f yearFile
	if err := strictjson.Decode(r, maxFileSize, &f, 1); err != nil {
		return Year{}, fmt.Errorf("calendar: parse year file: %w", err)
	}
	if err := f.Year.check(); err != nil {
		return Year{}, err
	}
	return f.Year, nil
}

// check lists every problem of y in one error.
func (y Year) check() error {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if y.Year < 1949 || y.Year > 9998 {
		add("year %d out of range", y.Year)
	}
	if len(y.Notices) == 0 {
		add("no notice: every year names the notice it comes from")
	}
	for i, n := range y.Notices {
		if strings.TrimSpace(n.Title) == "" || strings.TrimSpace(n.Number) == "" || !n.Date.Valid() {
			add("notices[%d]: title, number and date are required", i)
		}
	}
	first, last := D(y.Year, time.January, 1).AddDays(-spillDays), D(y.Year, time.December, 31).AddDays(spillDays)
	inRange := func(d Date) bool { return d.Valid() && !d.Before(first) && !d.After(last) }
	off := map[Date]bool{}
	for i, h := range y.Holidays {
		at := func(format string, args ...any) {
			add("holidays[%d] %s: "+format, append([]any{i, h.NameZh}, args...)...)
		}
		if strings.TrimSpace(h.NameZh) == "" || strings.TrimSpace(h.NameEn) == "" {
			at("name_zh and name_en are required")
		}
		if !inRange(h.From) || !inRange(h.To) {
			at("from %s and to %s must be days of %d or of the month around it", h.From, h.To, y.Year)
			continue
		}
		if n := h.To.DaysSince(h.From) + 1; n < 1 || n > maxHolidayDays {
			at("from %s to %s is %d days (want 1 to %d)", h.From, h.To, n, maxHolidayDays)
			continue
		}
		for d := h.From; !d.After(h.To); d = d.AddDays(1) {
			if off[d] {
				at("%s is a day off of another holiday too", d)
			}
			off[d] = true
		}
	}
	worked := map[Date]bool{}
	for i, h := range y.Holidays {
		for _, w := range h.Workdays {
			switch {
			case !inRange(w):
				add("holidays[%d] %s: make-up working day %s is not a day of %d or of the month around it", i, h.NameZh, w, y.Year)
			case w.Weekday() != time.Saturday && w.Weekday() != time.Sunday:
				add("holidays[%d] %s: make-up working day %s is a %s, not a Saturday or Sunday", i, h.NameZh, w, w.Weekday())
			case off[w]:
				add("holidays[%d] %s: %s is both a day off and a make-up working day", i, h.NameZh, w)
			case worked[w]:
				add("holidays[%d] %s: make-up working day %s is listed twice", i, h.NameZh, w)
			}
			worked[w] = true
		}
	}
	if len(ps) > 0 {
		return fmt.Errorf("calendar: year %d: %s", y.Year, strings.Join(ps, "; "))
	}
	return nil
}

// ReadYears reads every *.json file at the top of fsys as a year file, in name order.
// A deployment passes os.DirFS of its holiday directory; errors name the file.
func ReadYears(fsys fs.FS) ([]Year, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, fmt.Errorf("calendar: read years: %w", err)
	}
	var out []Year
	for _, name := range names {
		y, err := readYear(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, nil
}

func readYear(fsys fs.FS, name string) (Year, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return Year{}, fmt.Errorf("calendar: %w", err)
	}
	defer f.Close()
	y, err := ParseYear(f)
	if err != nil {
		return Year{}, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// DayKind says whether a day is worked, and why.
type DayKind int

// The kinds of day.
const (
	// Workday is a Monday to Friday that no notice gives off.
	Workday DayKind = iota + 1
	// Weekend is a Saturday or Sunday that no notice makes a working day.
	Weekend
	// DayOff is a day off under a notice (放假), whatever its weekday.
	DayOff
	// MakeupWorkday is a Saturday or Sunday worked under a notice (调休上班).
	MakeupWorkday
)

// Working reports whether offices are open on a day of kind k.
func (k DayKind) Working() bool { return k == Workday || k == MakeupWorkday }

func (k DayKind) String() string {
	switch k {
	case Workday:
		return "workday"
	case Weekend:
		return "weekend"
	case DayOff:
		return "day_off"
	case MakeupWorkday:
		return "makeup_workday"
	}
	return fmt.Sprintf("DayKind(%d)", int(k))
}

// Day is what the calendar knows of one date.
type Day struct {
	Date Date
	Kind DayKind
	// NameZh and NameEn name the holiday a DayOff or MakeupWorkday belongs to.
	NameZh, NameEn string
}

// ErrUnknown: the calendar has no holiday data for a date the answer depends on. It
// is returned wrapped in an *UnknownError, which names the date.
var ErrUnknown = errors.New("no holiday data")

// UnknownError says which date the calendar could not answer for, and which years it
// knows. It matches ErrUnknown with errors.Is.
type UnknownError struct {
	Date  Date
	Years []int
}

func (e *UnknownError) Error() string {
	known := "no year"
	if n := len(e.Years); n > 0 {
		known = fmt.Sprintf("%d to %d", e.Years[0], e.Years[n-1])
		if n != e.Years[n-1]-e.Years[0]+1 {
			known = fmt.Sprint(e.Years)
		}
	}
	return fmt.Sprintf("calendar: %s: %v for %d (the calendar knows %s; load that year's notice to answer)",
		e.Date, ErrUnknown, e.Date.Year, known)
}

func (e *UnknownError) Unwrap() error { return ErrUnknown }

// Calendar is China's calendar of working days for the years it has notices for.
// It is read-only once made, so one value serves every request.
type Calendar struct {
	years []Year       // by year, ascending
	known map[int]bool // years with a notice
	days  map[Date]Day // holidays and make-up working days
}

// Default returns the calendar of the built-in notices (2020 to 2026 in this version;
// see docs/clocks.md). It parses the embedded files on each call rather than sharing
// one value, which keeps the package free of global state; they are small.
func Default() *Calendar {
	ys, err := ReadYears(mustSub(builtin, "holidays"))
	if err != nil {
		// The embedded files are checked by the package's tests; reaching this is a
		// build of broken source.
		panic("calendar: built-in holidays: " + err.Error())
	}
	c, err := New(ys...)
	if err != nil {
		panic("calendar: built-in holidays: " + err.Error())
	}
	return c
}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// New makes a calendar of the given years. A year given twice is an error, and so is a
// day two years' notices disagree on (a notice reaching into the next year).
func New(years ...Year) (*Calendar, error) {
	c := &Calendar{known: map[int]bool{}, days: map[Date]Day{}}
	for _, y := range years {
		if err := y.check(); err != nil {
			return nil, err
		}
		if c.known[y.Year] {
			return nil, fmt.Errorf("calendar: year %d given twice", y.Year)
		}
		c.known[y.Year] = true
		c.years = append(c.years, cloneYear(y))
		for _, h := range y.Holidays {
			for d := h.From; !d.After(h.To); d = d.AddDays(1) {
				if err := c.set(Day{Date: d, Kind: DayOff, NameZh: h.NameZh, NameEn: h.NameEn}); err != nil {
					return nil, err
				}
			}
			for _, w := range h.Workdays {
				if err := c.set(Day{Date: w, Kind: MakeupWorkday, NameZh: h.NameZh, NameEn: h.NameEn}); err != nil {
					return nil, err
				}
			}
		}
	}
	slices.SortFunc(c.years, func(a, b Year) int { return cmp.Compare(a.Year, b.Year) })
	return c, nil
}

func (c *Calendar) set(d Day) error {
	if old, ok := c.days[d.Date]; ok && old.Kind != d.Kind {
		return fmt.Errorf("calendar: %s is a %s of %s in one notice and a %s of %s in another",
			d.Date, old.Kind, old.NameZh, d.Kind, d.NameZh)
	}
	c.days[d.Date] = d
	return nil
}

// With returns a calendar with the given years added, each replacing the year of the
// same number: how a deployment loads a new year's notice, or its own version of a
// year (a province's extra days off), over the built-in ones.
func (c *Calendar) With(years ...Year) (*Calendar, error) {
	replace := map[int]bool{}
	for _, y := range years {
		replace[y.Year] = true
	}
	var all []Year
	for _, y := range c.years {
		if !replace[y.Year] {
			all = append(all, y)
		}
	}
	return New(append(all, years...)...)
}

// Load returns the built-in calendar with the year files of fsys added or replacing
// built-in years: what a deployment runs with, given its holiday directory
// (os.DirFS(dir)). A nil fsys gives the built-in calendar.
func Load(fsys fs.FS) (*Calendar, error) {
	if fsys == nil {
		return Default(), nil
	}
	ys, err := ReadYears(fsys)
	if err != nil {
		return nil, err
	}
	return Default().With(ys...)
}

// Years returns the years the calendar knows, ascending, with their notices.
func (c *Calendar) Years() []Year {
	out := make([]Year, len(c.years))
	for i, y := range c.years {
		out[i] = cloneYear(y)
	}
	return out
}

func cloneYear(y Year) Year {
	y.Notices = slices.Clone(y.Notices)
	y.Holidays = slices.Clone(y.Holidays)
	for i := range y.Holidays {
		y.Holidays[i].Workdays = slices.Clone(y.Holidays[i].Workdays)
	}
	return y
}

// Knows reports whether the calendar has the notice of d's year.
func (c *Calendar) Knows(d Date) bool { return c.known[d.Year] }

func (c *Calendar) unknown(d Date) error {
	ys := make([]int, len(c.years))
	for i, y := range c.years {
		ys[i] = y.Year
	}
	return &UnknownError{Date: d, Years: ys}
}

func invalidDate(d Date) error {
	return fmt.Errorf("calendar: invalid date %d-%d-%d", d.Year, int(d.Month), d.Day)
}

// Day returns what the calendar knows of d, or an *UnknownError when it has no
// notice for d's year. An invalid date is an error too.
func (c *Calendar) Day(d Date) (Day, error) {
	if !d.Valid() {
		return Day{}, invalidDate(d)
	}
	if !c.known[d.Year] {
		return Day{}, c.unknown(d)
	}
	if day, ok := c.days[d]; ok {
		return day, nil
	}
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return Day{Date: d, Kind: Weekend}, nil
	}
	return Day{Date: d, Kind: Workday}, nil
}
