package calendar

// IsWorkday reports whether d is a working day: a Monday to Friday no notice gives off,
// or a weekend day a notice makes worked (调休上班). Where the calendar has no notice
// for d's year the answer is an *UnknownError, never a guess from the weekday.
func (c *Calendar) IsWorkday(d Date) (bool, error) {
	day, err := c.Day(d)
	if err != nil {
		return false, err
	}
	return day.Kind.Working(), nil
}

// WorkdayOnOrAfter returns d when it is a working day, else the first working day
// after it: where a period whose last day is a rest day ends (民法典 Art. 203).
func (c *Calendar) WorkdayOnOrAfter(d Date) (Date, error) {
	for {
		ok, err := c.IsWorkday(d)
		if err != nil || ok {
			return d, err
		}
		d = d.AddDays(1)
	}
}

// AddWorkdays returns the n-th working day after d, d itself not counted (as periods
// are counted: 民法典 Art. 201), or before d when n is negative; d itself when n is 0.
// It needs the calendar of every day it passes: where the data ends it returns an
// *UnknownError.
func (c *Calendar) AddWorkdays(d Date, n int) (Date, error) {
	if !d.Valid() {
		return Date{}, invalidDate(d)
	}
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		ok, err := c.IsWorkday(d)
		if err != nil {
			return Date{}, err
		}
		if ok {
			n--
		}
	}
	return d, nil
}

// WorkdaysBetween counts the working days after a up to and including b: the number of
// working days from an event on a to b, so that AddWorkdays(a, WorkdaysBetween(a, b))
// is b when b is a working day. It is negative when b is before a (the working days
// after b up to and including a, negated), and needs the calendar of every day between.
func (c *Calendar) WorkdaysBetween(a, b Date) (int, error) {
	for _, d := range []Date{a, b} {
		if !d.Valid() {
			return 0, invalidDate(d)
		}
	}
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		ok, err := c.IsWorkday(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return sign * n, nil
}
