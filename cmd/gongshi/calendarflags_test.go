package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/households"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

// serve's --holidays reach the households' and the requests' clocks, not only
// the projects' timelines: a deployment's 2027 file (a year the built-in data
// does not have) gives a request received on 22 December 2026 its due day and a
// household's re-check clock its last day, and the file's New Year holiday moves
// both.
func TestDeploymentCalendarReachesEveryClock(t *testing.T) {
	c := backends(t)["fs"](t)
	c.now = time.Date(2026, 12, 22, 2, 0, 0, 0, time.UTC) // Tuesday, 10:00 in China
	createProject(t, c)
	ctx := context.Background()
	e := env{now: func() time.Time { return c.now }}
	cfg := c.config(t)
	a, closeArchive, err := cfg.openArchive(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	// The register and household 0002's appraisal report, delivered today.
	hs0, err := households.New(a, households.Options{Now: e.now, Hasher: codeHasher()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hs0.ImportRegister(ctx, "CC-2026-001", []byte(cliRegister), households.ImportOptions{Name: "r.csv",
		Policy: households.Policy{Public: []string{"户号"}}}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	body := []byte("%PDF-1.7\n% 0002户分户评估报告\n%%EOF\n")
	d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	report, err := a.CreateRecord(ctx, archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "0002户分户评估报告",
		Household: "0002", Issuer: "吉林省某房地产估价有限公司", Date: archive.D(2026, 12, 21), Format: "pdf", FileName: "报告.pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}

	year2027 := func(holidays string) string {
		dir := t.TempDir()
		text := `{"schema": 1, "year": 2027, "notices": [{"title": "国务院办公厅关于2027年部分节假日安排的通知", "number": "国办发明电〔2026〕1号", "date": "2026-11-01"}], "holidays": [` + holidays + `]}`
		if err := os.WriteFile(filepath.Join(dir, "2027.json"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	newYear := year2027(`{"name_zh": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"}`)
	noHoliday := year2027("")

	// due is the request's due day and the re-check clock's last day on the
	// clocks serve builds from --holidays dir ("": the built-in data).
	due := func(dir string) (request, recheck calendar.Status) {
		t.Helper()
		clk, err := (&calendarFlags{holidays: dir}).clocks()
		if err != nil {
			t.Fatal(err)
		}
		opts, svcs, err := cfg.householdOptions(e, a, clk, codeHasher(), staff.NewLimiter(), nil)
		if err != nil || opts.Requests == nil {
			t.Fatal(err)
		}
		tk, _, err := svcs.rs.Submit(ctx, requests.Form{Requester: requests.Requester{Name: "n", Contact: "c"}, Subject: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svcs.hs.RecordStep(ctx, "CC-2026-001", "0002", households.Step{Kind: households.StepReportDelivered,
			Day: archive.D(2026, 12, 22), Record: report.ID}, archive.ActorCLI, "again"); err != nil {
			t.Fatal(err)
		}
		cv, err := svcs.hs.Clock(ctx, "CC-2026-001", "0002")
		if err != nil || len(cv.Stages) == 0 {
			t.Fatalf("clock: %+v %v", cv, err)
		}
		return svcs.rs.Status(tk), cv.Stages[0].Status
	}
	// Built in: no 2027, so neither clock can say its last day.
	if r, h := due(""); !r.Deadline.IsZero() || !errors.Is(r.Err, calendar.ErrUnknown) || !h.Deadline.IsZero() || !errors.Is(h.Err, calendar.ErrUnknown) {
		t.Errorf("built-in calendar: request due %s (%v), re-check %s (%v); want no last day (no 2027 data)", r.Deadline, r.Err, h.Deadline, h.Err)
	}
	// 2027 without a holiday: 20 working days from 22 December end on 19
	// January; ten days from 22 December end on Friday 1 January.
	if r, h := due(noHoliday); r.Deadline != archive.D(2027, 1, 19) || h.Deadline != archive.D(2027, 1, 1) {
		t.Errorf("2027 without holidays: request due %s, re-check %s; want 2027-01-19, 2027-01-01", r.Deadline, h.Deadline)
	}
	// New Year off: the request's period skips 1 January (20 January), the
	// re-check's last day rolls to the next working day (Monday 4 January).
	if r, h := due(newYear); r.Deadline != archive.D(2027, 1, 20) || h.Deadline != archive.D(2027, 1, 4) {
		t.Errorf("2027 with New Year: request due %s, re-check %s; want 2027-01-20, 2027-01-04", r.Deadline, h.Deadline)
	}
}
