package requests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/calendar"
)

type fixture struct {
	t   *testing.T
	ctx context.Context
	a   *archive.Archive
	led *ledger.Log
	s   *Service
	mu  sync.Mutex
	at  time.Time
	n   int
}

func (f *fixture) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.at }

func (f *fixture) setDay(d archive.Date) {
	f.mu.Lock()
	f.at = time.Date(d.Year, d.Month, d.Day, 2, 0, 0, 0, time.UTC) // 10:00 in China
	f.mu.Unlock()
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	st, err := fs.Open(filepath.Join(dir, "store"), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := ledger.GenerateKeyFile(filepath.Join(dir, "k"), "requests.test/ledger")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background()}
	f.setDay(archive.D(2026, 3, 2))
	f.led = ledger.New(st, ledger.Options{Key: key})
	f.a = archive.New(st, archive.Options{Now: f.now, Journal: f.led, Actor: archive.ActorCLI})
	if f.s, err = New(f.a, Options{Now: f.now}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.CreateProject(f.ctx, archive.Project{Code: "CC-2026-001", Name: "东天街片区", City: "长春市"}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) file(typ, title, hh string) archive.Record {
	f.n++
	body := fmt.Sprintf("%%PDF-1.7 %s %d", title, f.n)
	d, err := f.a.PutContent(f.ctx, bytes.NewReader([]byte(body)), int64(len(body)))
	if err != nil {
		f.t.Fatal(err)
	}
	r, err := f.a.CreateRecord(f.ctx, archive.Record{Project: "CC-2026-001", Type: typ, Title: title, Issuer: "长春市人民政府",
		Date: archive.D(2026, 2, 1), Household: hh, Content: d, Format: "pdf", FileName: "a.pdf"})
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

var form = Form{Requester: Requester{Name: "王申请CANARY", Contact: "13800000000"}, Subject: "请公开东天街片区社会稳定风险评估报告"}

// A request from the form to the granted link: the ticket and its due date, the
// link opens only with its secret, a grant releases the record to that ticket
// alone, and the ledger names the ticket, never the requester.
func TestRequestGranted(t *testing.T) {
	f := newFixture(t)
	risk := f.file("risk_assessment", "社会稳定风险评估报告", "")
	tk, secret, err := f.s.Submit(f.ctx, Form{Requester: form.Requester, Subject: form.Subject, Records: []string{risk.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !archive.ValidTicketID(tk.ID) || !strings.HasPrefix(tk.ID, "20260302-") || tk.Received != archive.D(2026, 3, 2) || len(secret) < 32 {
		t.Fatalf("ticket %+v secret %q", tk, secret)
	}
	// 20 working days from Monday 2 March: Monday 30 March.
	for _, tc := range []struct {
		day   archive.Date
		state calendar.State
		left  int
	}{
		{archive.D(2026, 3, 27), calendar.Running, 1},
		{archive.D(2026, 3, 30), calendar.Running, 0},
		{archive.D(2026, 3, 31), calendar.Overdue, -1},
	} {
		st := tk.Status(f.s.Calendar(), f.s.Rule(), tc.day)
		if st.State != tc.state || st.Deadline != archive.D(2026, 3, 30) || (tc.left >= 0 && st.WorkingDaysLeft != tc.left) {
			t.Errorf("%s: %+v", tc.day, st)
		}
	}
	if _, err := f.s.Open(f.ctx, tk.ID, secret+"x"); !errors.Is(err, archive.ErrNotFound) {
		t.Fatalf("a wrong secret: %v", err)
	}
	if got, err := f.s.Open(f.ctx, tk.ID, secret); err != nil || got.ID != tk.ID {
		t.Fatalf("open: %v", err)
	}
	vis := func() archive.Access {
		st, err := f.a.RecordState(f.ctx, risk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return archive.Visibility(risk, st, f.now()).For(archive.RequesterViewer(tk.ID))
	}
	if vis() != archive.AccessNone {
		t.Fatal("the ticket sees the record before the answer")
	}
	f.setDay(archive.D(2026, 3, 20))
	ans, err := f.s.AnswerRequest(f.ctx, tk.ID, Answer{Outcome: Granted, Records: []string{risk.ID}, Day: archive.D(2026, 3, 20), Note: "请通过链接下载"}, archive.AccountActor("u-1"))
	if err != nil {
		t.Fatal(err)
	}
	if ans.Answer == nil || ans.Version != 2 || ans.Requester != tk.Requester {
		t.Fatalf("answer %+v", ans)
	}
	if st := f.s.Status(ans); st.State != calendar.Met {
		t.Fatalf("answered in time: %+v", st)
	}
	if vis() != archive.AccessContent {
		t.Fatal("the grant did not release the record to the ticket")
	}
	other, _, _ := f.s.Submit(f.ctx, form)
	st, _ := f.a.RecordState(f.ctx, risk.ID)
	if archive.Visibility(risk, st, f.now()).For(archive.RequesterViewer(other.ID)) != archive.AccessNone {
		t.Fatal("another ticket sees the record")
	}
	if _, err := f.s.AnswerRequest(f.ctx, tk.ID, Answer{Outcome: Granted, Records: []string{risk.ID}, Day: archive.D(2026, 3, 20)}, archive.ActorCLI); !errors.Is(err, ErrStep) {
		t.Fatalf("a second answer: %v", err)
	}
	err = f.led.Entries(f.ctx, func(_ int64, e []byte) error {
		if strings.Contains(string(e), "CANARY") || strings.Contains(string(e), "13800000000") {
			t.Errorf("a ledger entry names the requester:\n%s", e)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Art. 30: a correction stops the period and it counts afresh from the corrected
// request; Art. 33: extended once, by 20 working days, only by the last day.
func TestRequestCorrectionAndExtension(t *testing.T) {
	f := newFixture(t)
	tk, _, err := f.s.Submit(f.ctx, form)
	if err != nil {
		t.Fatal(err)
	}
	f.setDay(archive.D(2026, 3, 5))
	if _, err := f.s.AskCorrection(f.ctx, tk.ID, archive.D(2026, 3, 5), "", archive.ActorCLI); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a correction without saying what: %v", err)
	}
	tk, err = f.s.AskCorrection(f.ctx, tk.ID, archive.D(2026, 3, 5), "请写明所需文件的名称或文号", archive.ActorCLI)
	if err != nil {
		t.Fatal(err)
	}
	if st := f.s.CorrectionStatus(tk); st.State != calendar.Met || st.Deadline != archive.D(2026, 3, 11) {
		t.Fatalf("correction notice clock: %+v", st)
	}
	if st := tk.Status(f.s.Calendar(), f.s.Rule(), archive.D(2026, 3, 9)); st.State != calendar.Paused || tk.StateOf(st) != StateCorrection {
		t.Fatalf("while the correction is awaited: %+v", st)
	}
	if _, err := f.s.AskCorrection(f.ctx, tk.ID, archive.D(2026, 3, 5), "again", archive.ActorCLI); !errors.Is(err, ErrStep) {
		t.Fatalf("a second correction: %v", err)
	}
	if _, err := f.s.Extend(f.ctx, tk.ID, archive.D(2026, 3, 5), "需要征求第三方意见", archive.ActorCLI); !errors.Is(err, ErrStep) {
		t.Fatalf("an extension while stopped: %v", err)
	}
	f.setDay(archive.D(2026, 3, 10))
	if tk, err = f.s.CorrectionReceived(f.ctx, tk.ID, archive.D(2026, 3, 10), archive.ActorCLI); err != nil {
		t.Fatal(err)
	}
	// 20 working days from Tuesday 10 March: Wednesday 8 April (Qingming,
	// 4-6 April, is off).
	for _, tc := range []struct {
		day   archive.Date
		state calendar.State
	}{
		{archive.D(2026, 4, 7), calendar.Running}, {archive.D(2026, 4, 8), calendar.Running}, {archive.D(2026, 4, 9), calendar.Overdue},
	} {
		if st := tk.Status(f.s.Calendar(), f.s.Rule(), tc.day); st.State != tc.state || st.Deadline != archive.D(2026, 4, 8) {
			t.Errorf("%s: %+v", tc.day, st)
		}
	}
	f.setDay(archive.D(2026, 4, 9))
	if _, err := f.s.Extend(f.ctx, tk.ID, archive.D(2026, 4, 9), "来不及", archive.ActorCLI); !errors.Is(err, ErrStep) {
		t.Fatalf("an extension after the last day: %v", err)
	}
	if tk, err = f.s.Extend(f.ctx, tk.ID, archive.D(2026, 4, 8), "需要征求第三方意见", archive.ActorCLI); err != nil {
		t.Fatal(err)
	}
	// Extended on the last day: 20 more working days after 8 April, with
	// Labour Day (1-5 May) off and Saturday 9 May worked: the 20th is that
	// Saturday.
	st := tk.Status(f.s.Calendar(), f.s.Rule(), archive.D(2026, 4, 9))
	if st.State != calendar.Running || !st.Extended || st.Deadline != archive.D(2026, 5, 9) {
		t.Fatalf("extended: %+v", st)
	}
	if _, err := f.s.Extend(f.ctx, tk.ID, archive.D(2026, 4, 9), "再延", archive.ActorCLI); !errors.Is(err, ErrStep) {
		t.Fatalf("a second extension: %v", err)
	}
	f.setDay(archive.D(2026, 5, 11))
	tk, err = f.s.AnswerRequest(f.ctx, tk.ID, Answer{Outcome: Refused, Reason: "third_party", Day: archive.D(2026, 5, 11)}, archive.ActorCLI)
	if err != nil {
		t.Fatal(err)
	}
	if st := f.s.Status(tk); st.State != calendar.Late || st.DaysLate != 2 {
		t.Fatalf("answered on Monday after the Saturday: %+v", st)
	}
}

// Answers must fit the law: a refusal with one of its reasons and nothing
// released, a partial grant with the reason of the part withheld, a household's
// record never; nothing is stored or granted when the answer is refused.
func TestAnswerRules(t *testing.T) {
	f := newFixture(t)
	risk := f.file("risk_assessment", "风险评估", "")
	report := f.file("appraisal_report", "分户评估报告", "0007")
	tk, _, _ := f.s.Submit(f.ctx, form)
	day := archive.D(2026, 3, 2)
	for _, tc := range []struct {
		name string
		a    Answer
		says string
	}{
		{"grant without records", Answer{Outcome: Granted, Day: day}, "records"},
		{"refusal without reason", Answer{Outcome: Refused, Day: day}, "reason"},
		{"refusal with another outcome's reason", Answer{Outcome: Refused, Reason: "not_held", Day: day}, "reason"},
		{"refusal releasing a record", Answer{Outcome: Refused, Reason: "state_secret", Records: []string{risk.ID}, Day: day}, "records"},
		{"partial without the reason withheld", Answer{Outcome: PartGranted, Records: []string{risk.ID}, Day: day}, "reason"},
		{"a household's record", Answer{Outcome: Granted, Records: []string{report.ID}, Day: day}, "public copy"},
		{"no outcome", Answer{Day: day}, "outcome"},
	} {
		_, err := f.s.AnswerRequest(f.ctx, tk.ID, tc.a, archive.ActorCLI)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if g, _ := f.a.Grants(f.ctx, risk.ID); len(g.Tickets) != 0 {
		t.Fatalf("granted: %v", g)
	}
	if got, _ := f.s.Get(f.ctx, tk.ID); got.Version != 1 {
		t.Fatalf("stored: %+v", got)
	}
	if _, _, err := f.s.Submit(f.ctx, Form{Subject: " ", Records: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "name") ||
		!strings.Contains(err.Error(), "contact") || !strings.Contains(err.Error(), "subject") || !strings.Contains(err.Error(), "records") {
		t.Fatalf("an empty form: %v", err)
	}
	if _, err := f.s.AnswerRequest(f.ctx, tk.ID, Answer{Outcome: PartGranted, Reason: "third_party", Records: []string{risk.ID}, Day: day, Note: "已隐去个人信息"}, archive.ActorCLI); err != nil {
		t.Fatal(err)
	}
}

// The annual report's figures from the tickets: received, carried in and out,
// answers by outcome and reason, late and overdue.
func TestAnnualReport(t *testing.T) {
	f := newFixture(t)
	cal, rule := f.s.Calendar(), f.s.Rule()
	tk := func(received archive.Date, a *Answer) Ticket { return Ticket{ID: "x", Received: received, Answer: a} }
	tickets := []Ticket{
		tk(archive.D(2025, 12, 20), &Answer{Outcome: Granted, Day: archive.D(2026, 1, 5)}),                           // carried in, answered
		tk(archive.D(2025, 11, 1), &Answer{Outcome: Refused, Reason: "state_secret", Day: archive.D(2025, 11, 20)}),  // last year's
		tk(archive.D(2026, 3, 2), &Answer{Outcome: Granted, Day: archive.D(2026, 3, 30)}),                            // on the last day
		tk(archive.D(2026, 3, 2), &Answer{Outcome: PartGranted, Reason: "third_party", Day: archive.D(2026, 3, 31)}), // a day late
		tk(archive.D(2026, 3, 2), &Answer{Outcome: Unavailable, Reason: "not_held", Day: archive.D(2026, 3, 5)}),
		tk(archive.D(2026, 11, 2), nil),  // open at the end of the year, overdue (due 30 November)
		tk(archive.D(2026, 12, 28), nil), // open, in time
		tk(archive.D(2027, 1, 4), nil),   // next year's
	}
	r := AnnualReport(cal, rule, tickets, 2026, archive.D(2027, 2, 1))
	want := Report{Year: 2026, New: 5, CarriedIn: 1, Answered: 4, CarriedOut: 2, Late: 1, Overdue: 1,
		Outcomes: map[Outcome]int{Granted: 2, PartGranted: 1, Unavailable: 1}, Reasons: map[string]int{"third_party": 1, "not_held": 1}}
	if fmt.Sprint(r) != fmt.Sprint(want) {
		t.Fatalf("report\n%+v\nwant\n%+v", r, want)
	}
	// In the middle of the year, counted up to today.
	r = AnnualReport(cal, rule, tickets, 2026, archive.D(2026, 3, 10))
	if r.New != 3 || r.Answered != 2 || r.CarriedOut != 2 || r.CarriedIn != 1 {
		t.Fatalf("to 10 March: %+v", r)
	}
}
