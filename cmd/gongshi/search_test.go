package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/search"
)

// fileTwo files a public decision and a household agreement, and returns their ids.
func fileTwo(t *testing.T, c *cli) (decision, agreement string) {
	t.Helper()
	createProject(t, c)
	fx := makeIngestFixtures(t)
	fx.signed(t, "决定.pdf", "decision")
	fx.signed(t, "协议.pdf", "agreement")
	id := func(args ...string) string { return ingestedID(t, c, append(args, "--trust-roots", fx.roots)...) }
	decision = id("ingest", filepath.Join(fx.dir, "决定.pdf"), "--project", "CC-2026-001", "--type", "decision",
		"--title", "关于东天街片区房屋征收的决定", "--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18",
		"--issuer", "长春市南关区人民政府", "--abstract", "对东天街片区国有土地上房屋实施征收。", "--keywords", "征收决定、东天街")
	agreement = id("ingest", filepath.Join(fx.dir, "协议.pdf"), "--project", "CC-2026-001", "--type", "agreement",
		"--title", "东天街片区房屋征收补偿协议", "--date", "2026-04-01", "--household", "0012")
	return decision, agreement
}

// ingestedID runs an ingest command line (args from "ingest" on) with --json
// and returns the id of the record it filed; anything else fails t.
func ingestedID(t *testing.T, c *cli, args ...string) string {
	t.Helper()
	out, errOut, code := c.run(append(args, "--json")...)
	if code != exitOK {
		t.Fatalf("ingest: %d\n%s\n%s", code, out, errOut)
	}
	var res struct {
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Record.ID == "" {
		t.Fatalf("ingest output: %v\n%s", err, out)
	}
	return res.Record.ID
}

func searchJSON(t *testing.T, c *cli, args ...string) (search.Result, string) {
	t.Helper()
	out, errOut, code := c.run(append([]string{"search", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("search %v: %d\n%s\n%s", args, code, out, errOut)
	}
	var res search.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("search output: %v\n%s", err, out)
	}
	return res, errOut
}

// search, publish and withdraw from the command line: what the public finds
// follows the publication state; a household record cannot be published.
func TestSearchPublishWithdraw(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			dec, agr := fileTwo(t, c)
			res, _ := searchJSON(t, c, "东天街")
			if res.Total != 2 {
				t.Fatalf("archivist finds %d, want 2", res.Total)
			}
			if res, _ := searchJSON(t, c, "东天街", "--as", "public"); res.Total != 0 {
				t.Fatalf("the public finds %d unpublished records", res.Total)
			}
			out, _, code := c.run("publish", dec)
			if code != exitOK || !strings.Contains(out, "已公开 published: "+dec) {
				t.Fatalf("publish: %d\n%s", code, out)
			}
			res, _ = searchJSON(t, c, "长征补[2026]12号", "--as", "public")
			if res.Total != 1 || res.Hits[0].ID != dec || res.Hits[0].Abstract == "" {
				t.Fatalf("public after publish: %+v", res)
			}
			out, _, code = c.run("publish", agr, dec)
			if code != exitNo || !strings.Contains(out, "拒绝 refused") || !strings.Contains(out, "household") || !strings.Contains(out, "already published") {
				t.Fatalf("publish of a household record: %d\n%s", code, out)
			}
			if res, _ := searchJSON(t, c, "补偿协议", "--as", "public"); res.Total != 0 {
				t.Fatalf("the household record is public: %+v", res)
			}
			if res, _ := searchJSON(t, c, "补偿协议", "--as", "household:CC-2026-001/0012"); res.Total != 1 {
				t.Fatalf("the household does not find its record: %+v", res)
			}
			if _, errOut, code := c.run("withdraw", dec); code != exitOperator || !strings.Contains(errOut, "--reason") {
				t.Fatalf("withdraw without reason: %d %s", code, errOut)
			}
			out, _, code = c.run("withdraw", dec, "--reason", "文号有误")
			if code != exitOK || !strings.Contains(out, "已撤回 withdrawn") {
				t.Fatalf("withdraw: %d\n%s", code, out)
			}
			if res, _ := searchJSON(t, c, "东天街", "--as", "public"); res.Total != 0 {
				t.Fatalf("the public still finds the withdrawn record")
			}
			// The text output.
			out, _, code = c.run("search", "征收", "--as", "archivist")
			if code != exitOK || !strings.Contains(out, "共 2 条") || !strings.Contains(out, "关于东天街片区房屋征收的决定") ||
				!strings.Contains(out, "withdrawn") || !strings.Contains(out, "分面 facets:") {
				t.Fatalf("search output:\n%s", out)
			}
			// Filters and their errors.
			if res, _ := searchJSON(t, c, "--type", "agreement"); res.Total != 1 {
				t.Errorf("--type agreement: %d", res.Total)
			}
			for _, bad := range [][]string{{"--class", "secret"}, {"--from", "2026-13-01"}, {"--as", "root"}, {"--sort", "random"}} {
				if _, errOut, code := c.run(append([]string{"search", "x"}, bad...)...); code != exitOperator || errOut == "" {
					t.Errorf("%v: %d %s", bad, code, errOut)
				}
			}
			// reindex: a fresh index, the same answers.
			out, _, code = c.run("reindex")
			if code != exitOK || !strings.Contains(out, "已重建 reindexed: 2 records") {
				t.Fatalf("reindex: %d\n%s", code, out)
			}
			if res, _ := searchJSON(t, c, "征收"); res.Total != 2 {
				t.Errorf("after reindex: %d", res.Total)
			}
		})
	}
}

// While another process holds the index (a serve), search asks it through its
// API, at the address it left in the lock, and reindex builds beside it; the
// holder swaps the new index in at its next poll.
func TestSearchThroughHolder(t *testing.T) {
	c := backends(t)["fs"](t)
	dec, _ := fileTwo(t, c)
	if _, _, code := c.run("publish", dec); code != exitOK {
		t.Fatal("publish")
	}
	ctx := context.Background()
	cfg := &config{data: c.env["GONGSHI_DATA"]}
	st, err := cfg.openStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := env{getenv: func(string) string { return "" }, now: func() time.Time { return c.now }}
	a, l, err := cfg.archiveOn(ctx, st, e)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := search.Open(ctx, search.Options{Dir: cfg.indexDir(), Source: search.ArchiveSource(a, l, nil), Now: e.now,
		Holder: search.LockInfo{Command: "serve"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if err := ix.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	// The holder's API, as a serve answers it: the viewer from the token.
	asked := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		v := archive.PublicViewer()
		if r.Header.Get("Authorization") == "Bearer staff-token" {
			v = archive.StaffViewer(archive.RoleArchivist)
		}
		req, err := search.ParseValues(r.URL.Query(), v)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		res, err := ix.Search(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(res)
	}))
	defer srv.Close()
	if err := ix.SetHolder(search.LockInfo{Command: "serve", Server: srv.URL}); err != nil {
		t.Fatal(err)
	}
	res, errOut := searchJSON(t, c, "东天街")
	if asked != 1 || !strings.Contains(errOut, "asking it at "+srv.URL) || res.Total != 1 {
		t.Fatalf("search while held: asked %d, total %d, stderr %s", asked, res.Total, errOut)
	}
	c.env["GONGSHI_TOKEN"] = "staff-token"
	if res, _ := searchJSON(t, c, "东天街"); res.Total != 2 {
		t.Errorf("with the staff token: %d", res.Total)
	}
	// --server names the server outright.
	if res, _ := searchJSON(t, c, "征收", "--server", srv.URL, "--token", "x"); res.Total != 1 {
		t.Errorf("--server: %d", res.Total)
	}
	// reindex beside the held index; the holder swaps it in.
	gen := ix.Status().Generation
	out, _, code := c.run("reindex")
	if code != exitOK || !strings.Contains(out, "gongshi serve (pid") {
		t.Fatalf("reindex while held: %d\n%s", code, out)
	}
	if _, err := ix.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if g := ix.Status().Generation; g == gen {
		t.Errorf("the holder did not swap in the new index (%s)", g)
	}
	if res, _ := searchJSON(t, c, "东天街"); res.Total != 2 {
		t.Errorf("after the swap: %d", res.Total)
	}
	_ = fmt.Sprint
}

// ingest --publish files and publishes in one command; a class that forbids it
// is filed, not published, and the exit code says so.
func TestIngestPublish(t *testing.T) {
	c := backends(t)["fs"](t)
	createProject(t, c)
	fx := makeIngestFixtures(t)
	fx.signed(t, "决定.pdf", "decision")
	fx.signed(t, "协议.pdf", "agreement")
	out, errOut, code := c.run("ingest", filepath.Join(fx.dir, "决定.pdf"), "--project", "CC-2026-001", "--type", "decision",
		"--title", "关于东天街片区房屋征收的决定", "--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18",
		"--issuer", "长春市南关区人民政府", "--trust-roots", fx.roots, "--publish")
	if code != exitOK || !strings.Contains(out, "已公开 published:") {
		t.Fatalf("ingest --publish: %d\n%s\n%s", code, out, errOut)
	}
	if res, _ := searchJSON(t, c, "东天街", "--as", "public"); res.Total != 1 {
		t.Errorf("the public finds %d after ingest --publish", res.Total)
	}
	out, _, code = c.run("ingest", filepath.Join(fx.dir, "协议.pdf"), "--project", "CC-2026-001", "--type", "agreement",
		"--title", "东天街片区房屋征收补偿协议", "--date", "2026-04-01", "--household", "0012", "--trust-roots", fx.roots, "--publish")
	if code != exitNo || !strings.Contains(out, "已归档 filed") || !strings.Contains(out, "未公开 not published") {
		t.Fatalf("ingest --publish of a household record: %d\n%s", code, out)
	}
	if res, _ := searchJSON(t, c, "补偿协议", "--as", "public"); res.Total != 0 {
		t.Errorf("the household record is public")
	}
	// ingest --publish of a document filed before: filed, and its publication
	// unchanged; the ledger holds every change and the archive audits clean.
	out, _, code = c.run("ingest", filepath.Join(fx.dir, "决定.pdf"), "--project", "CC-2026-001", "--type", "decision",
		"--title", "关于东天街片区房屋征收的决定", "--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18",
		"--issuer", "长春市南关区人民政府", "--trust-roots", fx.roots, "--publish")
	if code != exitOK || !strings.Contains(out, "未变 unchanged") {
		t.Fatalf("ingest --publish again: %d\n%s", code, out)
	}
	if out, _, code := c.run("audit"); code != exitOK {
		t.Fatalf("audit: %d\n%s", code, out)
	}
}

// A deployment's synonyms file (--synonyms, GONGSHI_SYNONYMS) adds to the built-in
// groups; a bad file stops the command with its line and what to write.
func TestSearchSynonymsFile(t *testing.T) {
	c := backends(t)["fs"](t)
	fileTwo(t, c)
	// 动迁 is in no built-in group: without the file it finds nothing.
	if res, _ := searchJSON(t, c, "动迁决定"); res.Total != 0 {
		t.Fatalf("动迁决定 without the file: %d", res.Total)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "synonyms.txt")
	if err := os.WriteFile(good, []byte("# 本地用语\n动迁 征收\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, _ := searchJSON(t, c, "动迁决定", "--synonyms", good)
	if res.Total != 1 || res.Hits[0].Title != "关于东天街片区房屋征收的决定" {
		t.Fatalf("动迁决定 with the file: %+v", res)
	}
	// The built-in groups still hold.
	if res, _ := searchJSON(t, c, "拆迁决定", "--synonyms", good); res.Total != 1 {
		t.Errorf("拆迁决定 with the file: %d", res.Total)
	}
	c.env["GONGSHI_SYNONYMS"] = good
	if res, _ := searchJSON(t, c, "动迁决定"); res.Total != 1 {
		t.Errorf("GONGSHI_SYNONYMS: %d", res.Total)
	}
	delete(c.env, "GONGSHI_SYNONYMS")
	for _, bad := range []struct{ text, want string }{
		{"动迁 征收\n动迁\n", `line 2: "动迁" alone is no group`},
		{"动迁,征收\n", `line 1: "动迁,征收" has ','`},
		{"\xb6\xaf\xc7\xa8 \xd5\xf7\xca\xd5\n", "line 1: not valid UTF-8"},
	} {
		p := filepath.Join(dir, "bad.txt")
		if err := os.WriteFile(p, []byte(bad.text), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range [][]string{{"search", "征收"}, {"serve", "--addr", "127.0.0.1:0"}} {
			out, errOut, code := c.run(append(cmd, "--synonyms", p)...)
			if code != exitOperator || !strings.Contains(errOut, "--synonyms (GONGSHI_SYNONYMS) "+p+": "+bad.want) {
				t.Errorf("%v with %q: %d\n%s%s", cmd, bad.text, code, out, errOut)
			}
		}
	}
	for _, p := range []string{filepath.Join(dir, "none.txt"), dir} {
		if _, errOut, code := c.run("search", "征收", "--synonyms", p); code != exitOperator ||
			!strings.Contains(errOut, "cannot read "+p) || !strings.Contains(errOut, "name a UTF-8 text file") {
			t.Errorf("--synonyms %s: %d %s", p, code, errOut)
		}
	}
}

// Every user error of gongshi search and reindex is one line that names what was
// wrong and how to put it right — never pflag's or Go's own words.
func TestSearchUserErrors(t *testing.T) {
	c := backends(t)["fs"](t)
	fileTwo(t, c)
	dir := t.TempDir()
	badSyn := filepath.Join(dir, "syn.txt")
	if err := os.WriteFile(badSyn, []byte("动迁 征收\n动迁\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	answering := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	refused := httptest.NewServer(http.NotFoundHandler())
	refusedURL := refused.URL
	refused.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search", "x", "--year", "2024,abc"}, `--year "2024,abc": want whole numbers separated by commas, e.g. 2023,2024`},
		{[]string{"search", "x", "--year", "99999"}, "--year 99999: want the year of a document's date, 1949 to 9999"},
		{[]string{"search", "x", "--limit"}, "--limit needs a value: a whole number (hits per page), e.g. --limit 20"},
		{[]string{"search", "x", "--limit", "many"}, `--limit "many": want a whole number (hits per page)`},
		{[]string{"search", "x", "--limit", "0"}, "--limit 0: want 1 to 100 hits per page"},
		{[]string{"search", "x", "--limit", "101"}, "--limit 101: want 1 to 100 hits per page"},
		{[]string{"search", "x", "--offset", "-5"}, "--offset -5: want 0 to 10000 hits to skip"},
		{[]string{"search", "x", "--bogus"}, "--bogus is not a flag of gongshi search (see 'gongshi search --help')"},
		{[]string{"search", "x", "--json=maybe"}, `--json "maybe": want true or false`},
		{[]string{"search", "x", "--type", "decree"}, `--type "decree": not a document type of the catalogue; want one of policy,`},
		{[]string{"search", "x", "--project", "东天街"}, `--project "东天街": not a project code, e.g. CC-2024-001`},
		{[]string{"search", "x", "--class", "secret"}, `--class "secret": want one of public, area, on_request, household, restricted`},
		{[]string{"search", "x", "--from", "2026-02-30"}, `--from "2026-02-30": want a day as YYYY-MM-DD`},
		{[]string{"search", "x", "--to", "18/03/2026"}, `--to "18/03/2026": want a day as YYYY-MM-DD`},
		{[]string{"search", "x", "--from", "2026-05-01", "--to", "2026-01-01"}, "--from 2026-05-01 is after --to 2026-01-01: give the earlier day to --from"},
		{[]string{"search", "x", "--sort", "random"}, `--sort "random": want relevance (the default), newest, oldest, published or filed`},
		{[]string{"search", "x", "--as", "root"}, `--as "root": want public, household:PROJECT/HOUSEHOLD or a staff role (archivist, inspector`},
		{[]string{"search", "x", "--as", "household:CC-2026-001"}, `--as "household:CC-2026-001": want household:PROJECT/HOUSEHOLD, e.g.`},
		{[]string{"search", "x", "--server", "127.0.0.1:8080"}, `--server "127.0.0.1:8080": want the address of a running gongshi serve, e.g. http://127.0.0.1:8080`},
		{[]string{"search", "x", "--server", refusedURL}, "search: cannot reach the server at " + refusedURL + ": "},
		{[]string{"search", "x", "--server", answering(401, `{"error":"需要登录"}`)}, "give a staff API token with --token or GONGSHI_TOKEN"},
		{[]string{"search", "x", "--server", answering(404, `{"error":"not found"}`)}, "has no search API at /api/v1/search (404): is it a gongshi serve?"},
		{[]string{"search", "x", "--server", answering(503, `{"error":"检索索引正在重建"}`)}, "the search index is being rebuilt; try again in a few minutes"},
		{[]string{"search", "x", "--server", answering(400, `{"error":"invalid search request: year 1"}`)}, "invalid search request: year 1 (the server at"},
		{[]string{"search", "x", "--synonyms", badSyn}, `--synonyms (GONGSHI_SYNONYMS) ` + badSyn + `: line 2: "动迁" alone is no group`},
		{[]string{"reindex", "now"}, `reindex takes no arguments, not "now": it rebuilds the whole index`},
		{[]string{"reindex", "--json=2"}, `--json "2": want true or false`},
	} {
		out, errOut, code := c.run(tc.args...)
		if code != exitOperator || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, want %d\n got: %s\nwant: %s\n%s", tc.args, code, exitOperator, errOut, tc.want, out)
			continue
		}
		if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
			t.Errorf("%q: %d lines: %s", tc.args, n+1, errOut)
		}
		for _, internal := range []string{"gongshi: gongshi", "invalid argument", "strconv", "invalid syntax", "%!"} {
			if strings.Contains(errOut, internal) {
				t.Errorf("%q: the message shows %q: %s", tc.args, internal, errOut)
			}
		}
	}
}
