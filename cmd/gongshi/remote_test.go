package main

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/search"
)

// gongshi ingest --server and verify --server, end to end against a real
// gongshi serve: the client has a data directory of its own (empty), the
// token is the archivist's, and the verify key is the one the archive publishes.
func TestRemoteIngestAndVerify(t *testing.T) {
	srv := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_ARGON2": testArgon2}}
	createProject(t, srv)
	srv.createAccount("li.na", "archivist")
	srv.createAccount("zhou", "inspector")
	token := func(login string) string {
		out, errOut, code := srv.run("accounts", "token", login, "--name", "测试")
		m := regexp.MustCompile(`gst_[a-z0-9_]+`).FindString(out)
		if code != exitOK || m == "" {
			t.Fatalf("token: %d %s %s", code, out, errOut)
		}
		return m
	}
	arch, insp := token("li.na"), token("zhou")
	keyOut, _, _ := srv.run("keys", "show")
	keyFile := filepath.Join(t.TempDir(), "ledger.pub")
	os.WriteFile(keyFile, []byte(keyOut), 0o644)
	fx := makeIngestFixtures(t)
	s := srv.serve("--trust-roots", fx.roots)
	fx.signed(t, "决定.pdf", "决定")
	doc := filepath.Join(fx.dir, "决定.pdf")
	client := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	meta := []string{"--project", "CC-2026-001", "--type", "decision", "--title", "关于东天街片区房屋征收的决定",
		"--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18", "--issuer", "长春市南关区人民政府"}

	// No token, a wrong one, an inspector's: refused, said why.
	if _, errOut, code := client.run(append([]string{"ingest", doc, "--server", s.addr}, meta...)...); code != exitOperator || !strings.Contains(errOut, "token") {
		t.Fatalf("without a token: %d %q", code, errOut)
	}
	if _, errOut, code := client.run(append([]string{"ingest", doc, "--server", s.addr, "--token", arch[:len(arch)-2] + "aa"}, meta...)...); code != exitOperator || !strings.Contains(errOut, "401") {
		t.Fatalf("a wrong token: %d %q", code, errOut)
	}
	if _, errOut, code := client.run(append([]string{"ingest", doc, "--server", s.addr, "--token", insp}, meta...)...); code != exitOperator || !strings.Contains(errOut, "403") {
		t.Fatalf("an inspector's token: %d %q", code, errOut)
	}
	// The archivist files it (the token from the environment).
	client.env["GONGSHI_TOKEN"] = arch
	out, errOut, code := client.run(append([]string{"ingest", doc, "--server", s.addr}, meta...)...)
	if code != exitOK || !strings.Contains(out, "已归档 filed") || !strings.Contains(out, "四性检测") || !strings.Contains(out, "电子签名有效") {
		t.Fatalf("remote ingest: %d %s\n%s", code, errOut, out)
	}
	id := regexp.MustCompile(`记录 record: +([a-z2-7]{26})`).FindStringSubmatch(out)
	out, _, code = client.run(append([]string{"ingest", doc, "--server", s.addr}, meta...)...)
	if code != exitOK || !strings.Contains(out, "此前已归档 already filed") {
		t.Fatalf("again: %d\n%s", code, out)
	}
	delete(client.env, "GONGSHI_TOKEN")

	// Not published: the public's verify finds nothing; the inspector's verifies.
	out, _, code = client.run("verify", doc, "--server", s.addr, "--key-file", keyFile)
	if code != exitNo || !strings.Contains(out, "NOT VERIFIED") {
		t.Fatalf("verify unpublished as the public: %d\n%s", code, out)
	}
	out, _, code = client.run("verify", doc, "--server", s.addr, "--key-file", keyFile, "--token", insp)
	if code != exitOK || !strings.Contains(out, "VERIFIED: ") || !strings.Contains(out, "handed out") {
		t.Fatalf("verify as the inspector: %d\n%s", code, out)
	}
	// A batch through the server, published as it is filed.
	fx.signed(t, "办法.pdf", "办法")
	fx.signed(t, "方案.pdf", "方案")
	writeManifest(t, filepath.Join(fx.dir, "m.csv"), [][]string{
		{"办法.pdf", "CC-2026-001", "policy", "长春市国有土地上房屋征收与补偿办法", "", "2026-01-08", "长春市人民政府"},
		{"方案.pdf", "CC-2026-001", "plan_draft", "东天街片区房屋征收补偿方案（征求意见稿）", "", "2026-02-01", "长春市南关区人民政府"},
		{"../outside.pdf", "CC-2026-001", "policy", "出界", "", "2026-01-08", "x"},
	})
	out, errOut, code = client.run("ingest", fx.dir, "--manifest", filepath.Join(fx.dir, "m.csv"), "--server", s.addr, "--token", arch, "--publish")
	if code != exitNo || !strings.Contains(out, "已归档 filed:               2") || strings.Count(out, "已公开 published") != 2 {
		t.Fatalf("remote batch: %d %s\n%s", code, errOut, out)
	}
	// The trust roots etc. are the server's.
	if _, errOut, code := client.run(append([]string{"ingest", doc, "--server", s.addr, "--token", arch, "--fonds", "Z109"}, meta...)...); code != exitOperator || !strings.Contains(errOut, "--fonds") {
		t.Fatalf("--fonds with --server: %d %q", code, errOut)
	}
	// Published now? The decision was not: publish it on the server's machine, then the public verifies it.
	if _, errOut, code := srv.run("publish", id[1]); code != exitOK {
		t.Fatalf("publish: %s", errOut)
	}
	out, _, code = client.run("verify", doc, "--server", s.addr, "--key-file", keyFile)
	if code != exitOK || !strings.Contains(out, "VERIFIED: ") {
		t.Fatalf("verify published as the public: %d\n%s", code, out)
	}
	// A key that is not the archive's: not verified.
	other := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(other, []byte(mustKey(t).VerifierKey), 0o644)
	if out, _, code := client.run("verify", doc, "--server", s.addr, "--key-file", other); code != exitNo {
		t.Fatalf("verify with another key: %d\n%s", code, out)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("serve: %d %s", code, s.errb.String())
	}
	if strings.Contains(s.errb.String(), arch) || strings.Contains(s.errb.String(), insp) {
		t.Fatal("a token reached the server's log")
	}
}

// gongshi search against a real gongshi serve, over its real index: from an
// empty data directory with --server, and on the server's own machine, where
// the index is held and search asks the server. Without a token the answer is
// the public's: never a restricted, household, unpublished or withdrawn
// record, in the CLI's output or in the API's raw answer; an archivist's
// token finds them all; a running serve follows publications as they happen.
func TestSearchThroughServe(t *testing.T) {
	srv := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_ARGON2": testArgon2}}
	dec, agr := fileTwo(t, srv) // a public decision, a household's agreement
	fx := makeIngestFixtures(t)
	file := func(name, typ, title string) string {
		t.Helper()
		fx.signed(t, name, title)
		return ingestedID(t, srv, "ingest", filepath.Join(fx.dir, name), "--project", "CC-2026-001", "--type", typ,
			"--title", title, "--date", "2026-03-20", "--issuer", "长春市南关区人民政府", "--trust-roots", fx.roots)
	}
	restricted := file("资金.pdf", "funding_proof", "东天街片区征收补偿资金专户存储证明（保密甲）")
	draft := file("方案.pdf", "plan_draft", "东天街片区房屋征收补偿方案（未公开乙）")
	later := file("意见.pdf", "plan_feedback", "东天街片区征求意见情况和修改情况（稍后丙）")
	if _, errOut, code := srv.run("publish", dec); code != exitOK {
		t.Fatalf("publish: %s", errOut)
	}
	srv.createAccount("li.na", "archivist")
	out, _, _ := srv.run("accounts", "token", "li.na", "--name", "测试")
	token := regexp.MustCompile(`gst_[a-z0-9_]+`).FindString(out)
	if token == "" {
		t.Fatalf("no token:\n%s", out)
	}
	s := srv.serve()
	defer s.stop()
	client := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	ids := func(res search.Result) map[string]bool {
		m := map[string]bool{}
		for _, h := range res.Hits {
			m[h.ID] = true
		}
		return m
	}
	hidden := map[string]string{agr: "household", restricted: "restricted", draft: "unpublished", later: "unpublished"}
	canary := map[string]string{agr: "补偿协议", restricted: "保密甲", draft: "未公开乙", later: "稍后丙"}
	publicSees := func(want ...string) {
		t.Helper()
		for _, q := range []string{"东天街", ""} {
			res, _ := searchJSON(t, client, q, "--server", s.addr, "--limit", "100")
			got := ids(res)
			for id, why := range hidden {
				if got[id] {
					t.Errorf("search %q: the public finds the %s record %s", q, why, id)
				}
			}
			if res.Total != len(want) || len(got) != len(want) {
				t.Errorf("search %q: the public finds %d (%v), want %v", q, res.Total, got, want)
			}
			for _, id := range want {
				if !got[id] {
					t.Errorf("search %q: the public does not find %s", q, id)
				}
			}
		}
		// The API's raw answer names nothing hidden, not even in a facet.
		for _, q := range []string{"东天街", "保密甲", "未公开乙", "稍后丙", "补偿协议", "0012"} {
			resp, err := http.Get(s.addr + "/api/v1/search?limit=100&q=" + url.QueryEscape(q))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /api/v1/search?q=%s: %d %s", q, resp.StatusCode, body)
			}
			for id, why := range hidden {
				if strings.Contains(string(body), id) {
					t.Errorf("q=%s: the API's public answer names the %s record %s", q, why, id)
				}
			}
			canaries := []string{"补偿协议", "funding_proof", "household"}
			for id := range hidden {
				canaries = append(canaries, canary[id])
			}
			for _, canary := range canaries {
				if strings.Contains(string(body), canary) {
					t.Errorf("q=%s: the API's public answer holds %q:\n%s", q, canary, body)
				}
			}
		}
	}
	publicSees(dec)

	// An archivist's token: everything, with the household and restricted ones.
	res, _ := searchJSON(t, client, "东天街", "--server", s.addr, "--token", token, "--limit", "100")
	if got := ids(res); res.Total != 5 || !got[agr] || !got[restricted] || !got[draft] || !got[later] || !got[dec] {
		t.Fatalf("the archivist finds %d: %v", res.Total, got)
	}
	// A wrong token is refused, never answered as the public.
	if _, errOut, code := client.run("search", "东天街", "--server", s.addr, "--token", token[:len(token)-2]+"aa"); code == exitOK || !strings.Contains(errOut, "401") {
		t.Fatalf("a wrong token: %d %q", code, errOut)
	}
	// On the server's machine the index is held: search asks the server, as the
	// public without a token (and says so), as the archivist with one.
	res, errOut := searchJSON(t, srv, "东天街", "--limit", "100")
	if !strings.Contains(errOut, "asking it at "+s.addr) || !strings.Contains(errOut, "public") || res.Total != 1 || res.Hits[0].ID != dec {
		t.Fatalf("search beside serve: %+v\n%s", res, errOut)
	}
	srv.env["GONGSHI_TOKEN"] = token
	if res, _ := searchJSON(t, srv, "东天街", "--limit", "100"); res.Total != 5 {
		t.Fatalf("search beside serve with a token: %d", res.Total)
	}
	delete(srv.env, "GONGSHI_TOKEN")

	// Published while serve runs: the public finds it once the index has
	// followed; withdrawn: gone again.
	waitPublic := func(want ...string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if res, _ := searchJSON(t, client, "", "--server", s.addr, "--limit", "100"); res.Total == len(want) {
				break
			}
		}
		publicSees(want...)
	}
	if _, errOut, code := srv.run("publish", later); code != exitOK {
		t.Fatalf("publish: %s", errOut)
	}
	delete(hidden, later)
	waitPublic(dec, later)
	if _, errOut, code := srv.run("withdraw", later, "--reason", "公告有误"); code != exitOK {
		t.Fatalf("withdraw: %s", errOut)
	}
	hidden[later] = "withdrawn"
	waitPublic(dec)
	if code := s.stop(); code != 0 {
		t.Fatalf("serve: %d %s", code, s.errb.String())
	}
	if strings.Contains(s.errb.String(), token) {
		t.Fatal("a token reached the server's log")
	}
}
