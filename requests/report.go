package requests

import (
	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// Report is the part of the annual report on government information disclosure
// (政府信息公开工作年度报告, 条例 Art. 49-50) that the tickets give: requests
// received and carried over, answers by outcome and reason, those carried into
// the next year, and those answered after their last day.
type Report struct {
	Year int
	// New were received in the year; CarriedIn were received before and not
	// answered by its first day.
	New, CarriedIn int
	// Outcomes counts the answers given in the year by outcome, and Reasons by
	// reason code (a partial grant is counted under its reason too, as the
	// report's table has it).
	Outcomes map[Outcome]int
	Reasons  map[string]int
	// Answered is the number answered in the year; CarriedOut those received by
	// its end and not answered by it.
	Answered, CarriedOut int
	// Late were answered in the year after their last day; Overdue are still
	// unanswered past it at the end of the year (or today, for this year).
	Late, Overdue int
}

// AnnualReport computes the figures of year from tickets, as of today (a year
// not yet over is counted up to today).
func AnnualReport(cal *calendar.Calendar, rule calendar.Rule, tickets []Ticket, year int, today archive.Date) Report {
	first, last := archive.D(year, 1, 1), archive.D(year, 12, 31)
	end := last
	if today.Before(end) {
		end = today
	}
	r := Report{Year: year, Outcomes: map[Outcome]int{}, Reasons: map[string]int{}}
	for _, t := range tickets {
		if t.Received.After(end) {
			continue
		}
		answered := t.Answer != nil && !t.Answer.Day.After(end)
		switch {
		case !t.Received.Before(first):
			r.New++
		case t.Answer == nil || !t.Answer.Day.Before(first):
			r.CarriedIn++
		default:
			continue // answered in an earlier year
		}
		if !answered {
			r.CarriedOut++
			if st := cal.Status(t.Period(rule), archive.Date{}, end); st.State == calendar.Overdue {
				r.Overdue++
			}
			continue
		}
		r.Answered++
		r.Outcomes[t.Answer.Outcome]++
		if t.Answer.Reason != "" {
			r.Reasons[t.Answer.Reason]++
		}
		if st := cal.Status(t.Period(rule), t.Answer.Day, t.Answer.Day); st.State == calendar.Late {
			r.Late++
		}
	}
	return r
}
