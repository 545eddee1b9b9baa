package requests

import (
	"cmp"
	"slices"

	"github.com/gongshi-archive/gongshi/calendar"
)

// Row is a ticket with its answer's clock on one day: what the staff's list
// shows of it.
type Row struct {
	Ticket
	Status calendar.Status
	State  State
}

// RowOf is t with its clock st (Service.Status).
func RowOf(t Ticket, st calendar.Status) Row { return Row{Ticket: t, Status: st, State: t.StateOf(st)} }

// Late reports whether the ticket is past its last day: unanswered after it
// (overdue), or answered after it.
func (r Row) Late() bool {
	return r.Status.State == calendar.Overdue || r.Status.State == calendar.Late
}

// Order sorts rows as staff work them: the overdue first (the most days late
// first), then the open ones by their last day (those whose last day cannot be
// counted after them), then the answered, the latest answer first.
func Order(rows []Row) {
	rank := func(r Row) int {
		switch {
		case r.State == StateOverdue:
			return 0
		case r.Answer == nil:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		switch rank(a) {
		case 0:
			return cmp.Compare(b.Status.DaysLate, a.Status.DaysLate)
		case 1:
			az, bz := a.Status.Deadline.IsZero(), b.Status.Deadline.IsZero()
			switch {
			case az && bz:
				return 0
			case az:
				return 1
			case bz:
				return -1
			}
			return a.Status.Deadline.Compare(b.Status.Deadline)
		}
		return b.Answer.Day.Compare(a.Answer.Day)
	})
}
