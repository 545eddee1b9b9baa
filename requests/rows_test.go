package requests

import (
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// The staff's order: overdue (most late first), open by last day (unknown
// last days after), answered (latest first).
func TestOrder(t *testing.T) {
	d := archive.D
	open := func(id string, due archive.Date) Row {
		return RowOf(Ticket{ID: id}, calendar.Status{State: calendar.Running, Deadline: due})
	}
	overdue := func(id string, late int) Row {
		return RowOf(Ticket{ID: id}, calendar.Status{State: calendar.Overdue, DaysLate: late})
	}
	answered := func(id string, day archive.Date, st calendar.State) Row {
		return RowOf(Ticket{ID: id, Answer: &Answer{Day: day}}, calendar.Status{State: st})
	}
	rows := []Row{
		answered("a-old", d(2026, 11, 2), calendar.Met), open("o-unknown", archive.Date{}), open("o-late", d(2026, 12, 29)),
		overdue("x-1", 1), answered("a-new", d(2026, 12, 1), calendar.Late), open("o-soon", d(2026, 12, 3)), overdue("x-9", 9),
	}
	Order(rows)
	want := []string{"x-9", "x-1", "o-soon", "o-late", "o-unknown", "a-new", "a-old"}
	for i, r := range rows {
		if r.ID != want[i] {
			t.Fatalf("order %d: %s, want %v", i, r.ID, want)
		}
	}
	if !rows[0].Late() || rows[2].Late() || !rows[5].Late() || rows[6].Late() {
		t.Error("Late: overdue and answered late are late, the rest not")
	}
}
