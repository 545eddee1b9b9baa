package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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
