package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestStaffPublishAndWithdraw(t *testing.T) {
	sf := newStaffFixture(t)
	rec := sf.file(archive.Record{Project: "CC-2026-001", Type: "decision", Title: "关于东天街片区房屋征收的决定", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 decision")
	secret := sf.file(archive.Record{Project: "CC-2026-001", Type: "appraisal_report", Title: "一号户分户评估报告", Household: "1-101", Date: archive.D(2026, 3, 18)}, "%PDF-1.7 private")
	sf.refresh()
	public := sf.client()
	if strings.Contains(public.get("/search?q=东天街").Body.String(), rec.Title) {
		t.Fatal("unpublished record in the public search")
	}
	mustStatus(t, public.get("/records/"+rec.ID), http.StatusNotFound, "unpublished record page")

	c := sf.client()
	c.login("archivist")
	me, _ := sf.svc.AccountByLogin(sf.ctx, "archivist")
	tok := c.csrf("/staff/records/" + rec.ID)
	mustStatus(t, c.post("/staff/records/"+rec.ID+"/publish", url.Values{}), http.StatusForbidden, "publish without CSRF")
	if w := c.post("/staff/records/"+rec.ID+"/publish", url.Values{"csrf": {tok}}); w.Code != http.StatusSeeOther {
		t.Fatalf("publish: %d\n%s", w.Code, w.Body.String())
	}
	p, err := sf.arch.Publication(sf.ctx, rec.ID)
	if err != nil || p.Status != archive.Published || p.Actor != me.As() {
		t.Fatalf("publication %+v %v", p, err)
	}
	sf.refresh()
	if !strings.Contains(public.get("/search?q=东天街").Body.String(), rec.Title) {
		t.Fatal("published record not in the public search")
	}
	if !strings.Contains(public.get("/feeds/all.atom").Body.String(), rec.Title) {
		t.Fatal("published record not in the feed")
	}
	mustStatus(t, public.get("/records/"+rec.ID), http.StatusOK, "published record page")
	// Publishing again changes nothing.
	c.post("/staff/records/"+rec.ID+"/publish", url.Values{"csrf": {tok}})
	if h, _ := sf.arch.PublicationHistory(sf.ctx, rec.ID); len(h) != 1 {
		t.Fatalf("a second publish made %d versions", len(h))
	}
	// Withdraw: a reason is required.
	body := mustStatus(t, c.post("/staff/records/"+rec.ID+"/withdraw", url.Values{"csrf": {tok}}), http.StatusUnprocessableEntity, "withdraw without a reason")
	if !strings.Contains(body, "必须填写") {
		t.Errorf("withdraw without a reason:\n%s", body)
	}
	if w := c.post("/staff/records/"+rec.ID+"/withdraw", url.Values{"csrf": {tok}, "reason": {"文号有误，更正后重新公开"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", w.Code)
	}
	sf.refresh()
	mustStatus(t, public.get("/records/"+rec.ID), http.StatusNotFound, "withdrawn record page")
	if strings.Contains(public.get("/feeds/all.atom").Body.String(), rec.Title) {
		t.Fatal("withdrawn record still in the feed")
	}
	body = mustStatus(t, c.get("/staff/records/"+rec.ID), http.StatusOK, "staff record page")
	for _, want := range []string{"已撤回", "文号有误，更正后重新公开", "测试archivist (archivist)"} {
		if !strings.Contains(body, want) {
			t.Errorf("staff record page lacks %q", want)
		}
	}
	c.post("/staff/records/"+rec.ID+"/withdraw", url.Values{"csrf": {tok}, "reason": {"再撤一次"}})
	if h, _ := sf.arch.PublicationHistory(sf.ctx, rec.ID); len(h) != 2 {
		t.Fatalf("withdrawing a withdrawn record made %d versions", len(h))
	}
	// Never published: nothing to withdraw.
	other := sf.file(archive.Record{Project: "CC-2026-001", Type: "policy", Title: "补偿办法", Date: archive.D(2026, 1, 8)}, "%PDF-1.7 policy")
	mustStatus(t, c.post("/staff/records/"+other.ID+"/withdraw", url.Values{"csrf": {tok}, "reason": {"x"}}), http.StatusConflict, "withdraw an unpublished record")

	// A household's record cannot be published.
	body = mustStatus(t, c.post("/staff/records/"+secret.ID+"/publish", url.Values{"csrf": {tok}}), http.StatusUnprocessableEntity, "publish a household record")
	if !strings.Contains(body, "不能公开发布") {
		t.Errorf("household publish:\n%s", body)
	}
	if _, err := sf.arch.Publication(sf.ctx, secret.ID); err == nil {
		t.Fatal("the household record was published")
	}
	// Inspectors do not publish.
	i := sf.client()
	i.login("inspector")
	itok := i.csrf("/staff/")
	mustStatus(t, i.post("/staff/records/"+rec.ID+"/publish", url.Values{"csrf": {itok}}), http.StatusForbidden, "inspector publishes")
	// An unknown record.
	mustStatus(t, c.post("/staff/records/aaaaaaaaaaaaaaaaaaaaaaaaaa/publish", url.Values{"csrf": {tok}}), http.StatusNotFound, "unknown record")

	// The staff list shows the state.
	body = mustStatus(t, c.get("/staff/records"), http.StatusOK, "records list")
	if !strings.Contains(body, "已撤回") || !strings.Contains(body, "未公开") {
		t.Errorf("records list lacks the states")
	}
}

// Filed with "publish once filed": one form, published.
func TestStaffFileAndPublish(t *testing.T) {
	sf := newStaffFixture(t)
	c := sf.client()
	c.login("archivist")
	tok := c.csrf("/staff/file")
	w := c.upload("/staff/file", fileFields(tok, "关于东天街片区房屋征收的决定", [2]string{"publish", "1"}),
		uploadFile{"file", "决定.pdf", sf.signedPDF("决定")})
	mustStatus(t, w, http.StatusOK, "file and publish")
	var rec archive.Record
	_ = sf.arch.Records(sf.ctx, func(r archive.Record) error { rec = r; return nil })
	if p, err := sf.arch.Publication(sf.ctx, rec.ID); err != nil || p.Status != archive.Published {
		t.Fatalf("not published: %v", err)
	}
}
