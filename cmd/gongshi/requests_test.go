package main

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/requests"
	"github.com/gongshi-archive/gongshi/staff"
)

var tokenRe = regexp.MustCompile(`gst_[A-Za-z0-9_-]+`)

// tokenFor makes an API token of login.
func (c *cli) tokenFor(login string) string {
	c.t.Helper()
	out, errOut, code := c.run("accounts", "token", login, "--name", "测试")
	tok := tokenRe.FindString(out)
	if code != exitOK || tok == "" {
		c.t.Fatalf("accounts token %s: %d %s\n%s", login, code, errOut, out)
	}
	return tok
}

// gongshi requests: the list, a ticket without and with its requester (the
// read recorded), and the steps with a staff token — every problem at once and
// nothing stored on a refusal, the archivist's role required; a grant by 档号.
func TestRequestsCommands(t *testing.T) {
	c := backends(t)["fs"](t)
	c.env["GONGSHI_ARGON2"] = testArgon2
	c.now = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) // Tuesday, 10:00 in China
	createProject(t, c)
	ctx := context.Background()
	e := env{now: func() time.Time { return c.now }}
	var risk, hh archive.Record
	var id, other string
	if err := c.config(t).withRequests(ctx, e, &calendarFlags{}, func(d *requestDesk) error {
		a, rs := d.a, d.rs
		risk = fileOn(t, a, archive.Record{Project: "CC-2026-001", Type: "risk_assessment", Title: "社会稳定风险评估报告", ArchivalCode: "Z109-WS·2026-Y-CQ01-0007"})
		hh = fileOn(t, a, archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "0001户分户评估报告", Household: "0001"})
		t1, _, err := rs.Submit(ctx, requests.Form{Requester: requests.Requester{Name: "CANARYNAME", Contact: "CANARYPHONE"}, Subject: "请公开风险评估报告", Records: []string{risk.ID}})
		if err != nil {
			return err
		}
		t2, _, err := rs.Submit(ctx, requests.Form{Requester: requests.Requester{Name: "CANARYOTHER", Contact: "x"}, Subject: "另一个申请"})
		id, other = t1.ID, t2.ID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	noCanary := func(what, out string) {
		t.Helper()
		if strings.Contains(out, "CANARY") {
			t.Errorf("%s prints a requester:\n%s", what, out)
		}
	}

	out, errOut, code := c.run("requests", "list")
	if code != exitOK || !strings.Contains(out, id) || !strings.Contains(out, "2026-12-29") || !strings.Contains(out, "20 working day(s) left") {
		t.Fatalf("list: %d %s\n%s", code, errOut, out)
	}
	noCanary("list", out)
	out, _, code = c.run("requests", "show", id)
	if code != exitOK || !strings.Contains(out, "请公开风险评估报告") || !strings.Contains(out, risk.Title) || !strings.Contains(out, "--reveal") {
		t.Fatalf("show: %d\n%s", code, out)
	}
	noCanary("show", out)
	if _, errOut, code := c.run("requests", "show", "20261201-AAAAAA"); code != exitNo || !strings.Contains(errOut, "not found") {
		t.Errorf("show of no ticket: %d %s", code, errOut)
	}

	c.createAccount("li.na", "archivist")
	c.createAccount("zhao.jc", "inspector")
	arch, insp := c.tokenFor("li.na"), c.tokenFor("zhao.jc")
	// --reveal: printed, and recorded first (by the token's account).
	c.env["GONGSHI_TOKEN"] = insp
	out, _, code = c.run("requests", "show", id, "--reveal", "--json")
	var shown struct {
		Requester *requests.Requester `json:"requester"`
		Due       archive.Date        `json:"due"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &shown) != nil || shown.Requester == nil || shown.Requester.Name != "CANARYNAME" || shown.Due != archive.D(2026, 12, 29) {
		t.Fatalf("show --reveal: %d\n%s", code, out)
	}
	var reads []staff.TrailEntry
	if err := c.config(t).withStaff(ctx, e, func(svc *staff.Service) error {
		return svc.Trail(ctx, "", func(te staff.TrailEntry) error {
			if te.Action == "request_read" {
				reads = append(reads, te)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(reads) != 1 || reads[0].Subject != "request "+id || !strings.HasPrefix(string(reads[0].Actor), "account:") || strings.Contains(reads[0].Detail, "CANARY") {
		t.Errorf("the trail of the reveal: %+v", reads)
	}

	// Steps: a token is required, an archivist's.
	delete(c.env, "GONGSHI_TOKEN")
	if _, errOut, code := c.run("requests", "answer", id, "--outcome", "granted", "--record", risk.ID); code != exitOperator || !strings.Contains(errOut, "--token") {
		t.Errorf("answer without a token: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("requests", "answer", id, "--outcome", "granted", "--record", risk.ID, "--token", insp); code != exitNo || !strings.Contains(errOut, "archivist") {
		t.Errorf("answer by an inspector: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("requests", "answer", id, "--outcome", "granted", "--token", "gst_nonsense"); code != exitNo || !strings.Contains(errOut, "not an active staff account") {
		t.Errorf("a bad token: %d %s", code, errOut)
	}
	c.env["GONGSHI_TOKEN"] = arch
	if _, errOut, code := c.run("requests", "answer", id, "--outcome", "granted", "--day", "12/01/2026"); code != exitOperator || !strings.Contains(errOut, "--day") {
		t.Errorf("a bad day: %d %s", code, errOut)
	}
	stored := func() int {
		t.Helper()
		var v int
		if err := c.config(t).withRequests(ctx, e, &calendarFlags{}, func(d *requestDesk) error {
			tk, err := d.rs.Get(ctx, id)
			v = tk.Version
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Everything wrong at once: every problem, nothing stored.
	_, errOut, code = c.run("requests", "answer", id, "--outcome", "refused", "--record", risk.ID)
	if code != exitOperator || !strings.Contains(errOut, "nothing stored (2 problem(s)") || !strings.Contains(errOut, "--reason: ") || !strings.Contains(errOut, "--record: ") {
		t.Errorf("a wrong answer: %d\n%s", code, errOut)
	}
	_, errOut, code = c.run("requests", "answer", id, "--outcome", "granted", "--record", hh.ID, "--record", risk.ID)
	if code != exitOperator || !strings.Contains(errOut, "不能依申请公开") {
		t.Errorf("granting a household record: %d\n%s", code, errOut)
	}
	if v := stored(); v != 1 {
		t.Fatalf("refused answers stored version %d", v)
	}
	// Extension, then the grant by 档号.
	if out, errOut, code := c.run("requests", "extend", id, "--note", "需要征求第三方意见"); code != exitOK || !strings.Contains(out, "extended on 2026-12-01") {
		t.Fatalf("extend: %d %s\n%s", code, errOut, out)
	}
	if _, errOut, code := c.run("requests", "extend", id, "--note", "again"); code != exitNo || !strings.Contains(errOut, "extended once") {
		t.Errorf("a second extension: %d %s", code, errOut)
	}
	out, errOut, code = c.run("requests", "answer", id, "--outcome", "granted", "--record", "Z109-WS·2026-Y-CQ01-0007", "--note", "请点击链接下载")
	if code != exitOK || !strings.Contains(out, "1 record(s) released") || !strings.Contains(out, "account:") {
		t.Fatalf("grant: %d %s\n%s", code, errOut, out)
	}
	if _, errOut, code := c.run("requests", "answer", id, "--outcome", "granted", "--record", risk.ID); code != exitNo || !strings.Contains(errOut, "answered already") {
		t.Errorf("a second answer: %d %s", code, errOut)
	}
	// The lists: the answered one is not open; the other still is.
	out, _, _ = c.run("requests", "list", "--open", "--json")
	var open []struct {
		ID              string `json:"id"`
		WorkingDaysLeft *int   `json:"working_days_left"`
	}
	if err := json.Unmarshal([]byte(out), &open); err != nil || len(open) != 1 || open[0].ID != other || open[0].WorkingDaysLeft == nil || *open[0].WorkingDaysLeft != 20 {
		t.Errorf("list --open --json: %v\n%s", err, out)
	}
	noCanary("list --json", out)
	if out, _, code := c.run("requests", "list", "--late"); code != exitOK || !strings.Contains(out, "no requests") {
		t.Errorf("list --late: %d\n%s", code, out)
	}
	// Thirty days on, the other is late.
	c.now = time.Date(2026, 12, 31, 2, 0, 0, 0, time.UTC)
	if out, _, code := c.run("requests", "list", "--late"); code != exitOK || !strings.Contains(out, other) || !strings.Contains(out, "2 day(s) late") {
		t.Errorf("list --late a month on: %d\n%s", code, out)
	}
	if _, errOut, code := c.run("requests", "list", "--late", "--open"); code != exitOperator || !strings.Contains(errOut, "give one") {
		t.Errorf("two lists: %d %s", code, errOut)
	}
	if out, _, code := c.run("requests", "answer", "--help"); code != exitOK || !strings.Contains(out, "third_party") || !strings.Contains(out, "Examples:") {
		t.Errorf("answer --help: %d\n%s", code, out)
	}
}

// fileOn files a record with a small PDF as its content.
func fileOn(t *testing.T, a *archive.Archive, r archive.Record) archive.Record {
	t.Helper()
	body := []byte("%PDF-1.7\n% " + r.Title + "\n%%EOF\n")
	d, err := a.PutContent(context.Background(), bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	r.Issuer, r.Date, r.Format, r.FileName, r.Content = "长春市房屋征收经办中心", archive.D(2026, 11, 20), "pdf", "文件.pdf", d
	rec, err := a.CreateRecord(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}
