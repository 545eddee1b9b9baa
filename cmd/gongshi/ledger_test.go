package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/storetest"
	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// config returns the configuration the cli's environment gives.
func (c *cli) config(t *testing.T) *config {
	t.Helper()
	cfg := &config{}
	root := &cobra.Command{}
	cfg.addFlags(root)
	if err := cfg.resolve(root.PersistentFlags(), func(k string) string { return c.env[k] }); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// raw gives access to the bytes behind the cli's store.
func (c *cli) raw(t *testing.T) storetest.Raw {
	cfg := c.config(t)
	if cfg.useS3() {
		return storetest.S3(t, testenv.S3(t), cfg.s3Bucket)
	}
	return storetest.FS(filepath.Join(cfg.data, "store"))
}

// store opens the cli's store.
func (c *cli) store(t *testing.T) blob.Store {
	t.Helper()
	st, err := c.config(t).openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const ledgerProject = "CC-2026-001"

func createLedgerProject(t *testing.T, c *cli) {
	t.Helper()
	if _, errOut, code := c.run("project", "create", "--code", ledgerProject, "--name", "南关区东天街片区旧城区改建项目",
		"--city", "长春市", "--department", "长春市房屋征收经办中心"); code != exitOK {
		t.Fatalf("project create: %d %s", code, errOut)
	}
}

// fileRecord files a decision with body as its content, through the archive the
// commands open (so through the ledger), and returns it with a copy of the file.
func fileRecord(t *testing.T, c *cli, n int, body []byte) (archive.Record, string) {
	t.Helper()
	ctx := context.Background()
	a, closeArchive, err := c.config(t).openArchive(ctx, env{now: func() time.Time { return c.now }})
	if err != nil {
		t.Fatal(err)
	}
	defer closeArchive()
	d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := a.CreateRecord(ctx, archive.Record{Project: ledgerProject, Type: "decision",
		Title: fmt.Sprintf("关于南关区东天街片区房屋征收的决定（第%d批）", n), DocNumber: fmt.Sprintf("长征补〔2026〕%d号", 10+n),
		Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18), Format: "pdf",
		FileName: "征收决定.pdf", Content: d})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), fmt.Sprintf("决定-%d.pdf", n))
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return rec, path
}

func pdfBody(n int) []byte {
	return []byte(fmt.Sprintf("%%PDF-1.7\n%% 关于南关区东天街片区房屋征收的决定 %d\n%s\n%%%%EOF\n", n, strings.Repeat("征收", 100*n)))
}

func TestKeysCommands(t *testing.T) {
	c := &cli{t: t, now: time.Now(), env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_LEDGER_ORIGIN": "gongshi.example/changchun"}}
	if _, errOut, code := c.run("keys", "show"); code != exitOperator || !strings.Contains(errOut, "keys generate") {
		t.Fatalf("show without a key: %d %q", code, errOut)
	}
	out, _, code := c.run("keys", "generate")
	if code != exitOK || !strings.HasPrefix(out, "gongshi.example/changchun+") {
		t.Fatalf("generate: %d %q", code, out)
	}
	if _, errOut, code := c.run("keys", "generate"); code != exitOperator || !strings.Contains(errOut, "never replaced") {
		t.Fatalf("second generate: %d %q", code, errOut)
	}
	shown, _, _ := c.run("keys", "show")
	if shown != out {
		t.Fatalf("show %q, generate printed %q", shown, out)
	}
	fi, err := os.Stat(filepath.Join(c.env["GONGSHI_DATA"], "keys", "ledger.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	var info keyInfo
	js, _, _ := c.run("keys", "show", "--json")
	if json.Unmarshal([]byte(js), &info) != nil || info.Origin != "gongshi.example/changchun" || info.VerifierKey+"\n" != out {
		t.Fatalf("show --json: %s", js)
	}
}

func TestVerifyCommand(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			rec, file := fileRecord(t, c, 1, pdfBody(1))
			vkey, _, code := c.run("keys", "show")
			vkey = strings.TrimSpace(vkey)
			if code != exitOK || vkey == "" {
				t.Fatalf("keys show: %d", code)
			}

			// Verified through the store, with the receipt saved.
			receipt := filepath.Join(t.TempDir(), "receipt.json")
			out, errOut, code := c.run("verify", file, "--save-receipt", receipt)
			if code != exitOK {
				t.Fatalf("verify: %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{"VERIFIED", rec.ID + " version 1", rec.Title, "长春市房屋征收经办中心", "2026-11-27 18:00:00 CST", "entry 1 (file) of 2"} {
				if !strings.Contains(out, want) {
					t.Errorf("verify output lacks %q:\n%s", want, out)
				}
			}

			// Offline: no data directory, an S3 endpoint where nothing answers.
			off := &cli{t: t, now: c.now, env: map[string]string{"GONGSHI_DATA": t.TempDir(), "GONGSHI_S3_ENDPOINT": "127.0.0.1:9"}}
			out, errOut, code = off.run("verify", file, "--receipt", receipt, "--key", vkey, "--json")
			var rep verifyReport
			if code != exitOK || json.Unmarshal([]byte(out), &rep) != nil || !rep.Verified || !rep.Offline ||
				rep.Matches[0].Record != rec.ID || rep.Matches[0].Department != "长春市房屋征收经办中心" {
				t.Fatalf("offline verify: %d\n%s%s", code, out, errOut)
			}

			// Not verified: another file, offline and through the store.
			other := filepath.Join(t.TempDir(), "altered.pdf")
			altered := pdfBody(1)
			altered[20] ^= 1
			os.WriteFile(other, altered, 0o644)
			out, _, code = off.run("verify", other, "--receipt", receipt, "--key", vkey)
			if code != exitNo || !strings.Contains(out, "NOT VERIFIED") || !strings.Contains(out, "the file's SHA-256 is") {
				t.Fatalf("altered file, offline: %d\n%s", code, out)
			}
			out, _, code = c.run("verify", other)
			if code != exitNo || !strings.Contains(out, "no record in the archive has this content") {
				t.Fatalf("altered file, store: %d\n%s", code, out)
			}

			// A key that did not sign the ledger: rejected.
			otherKey, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "k"), "gongshi.example/ledger")
			if err != nil {
				t.Fatal(err)
			}
			out, _, code = off.run("verify", file, "--receipt", receipt, "--key", otherKey.VerifierKey)
			if code != exitNo || !strings.Contains(out, "not signed by the key") {
				t.Fatalf("other key: %d\n%s", code, out)
			}

			// The same content filed again under other metadata, whose record version
			// is then altered in the store: the file is still a filed document (the
			// first record verifies), and the altered one is named with its reason.
			ctx := context.Background()
			a, closeArchive, err := c.config(t).openArchive(ctx, env{now: func() time.Time { return c.now }})
			if err != nil {
				t.Fatal(err)
			}
			dup := rec
			dup.ID, dup.Version, dup.FiledAt, dup.Title = "", 0, time.Time{}, rec.Title+"（副本）"
			dup, err = a.CreateRecord(ctx, dup)
			closeArchive()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := archive.EncodeRecord(dup)
			c.raw(t).Overwrite(t, fmt.Sprintf("records/%s/000001.json", dup.ID), bytes.Replace(b, []byte("副本"), []byte("正本"), 1))
			out, _, code = c.run("verify", file)
			if code != exitOK || !strings.Contains(out, dup.ID+" version 1 (NOT verified)") || !strings.Contains(out, "the record version has SHA-256") {
				t.Fatalf("one of two records altered: %d\n%s", code, out)
			}

			// Errors: exit 2.
			if _, errOut, code := c.run("verify", filepath.Join(t.TempDir(), "nothing.pdf")); code != exitOperator || !strings.Contains(errOut, "cannot read") {
				t.Fatalf("missing file: %d %q", code, errOut)
			}
			bad := filepath.Join(t.TempDir(), "bad.json")
			os.WriteFile(bad, []byte(`{"format":"gongshi-receipt/v1","index":"x"}`), 0o644)
			if _, errOut, code := off.run("verify", file, "--receipt", bad, "--key", vkey); code != exitOperator || !strings.Contains(errOut, "malformed") {
				t.Fatalf("malformed receipt: %d %q", code, errOut)
			}
			if _, errOut, code := off.run("verify", file, "--receipt", receipt); code != exitOperator || !strings.Contains(errOut, "no verifier key") {
				t.Fatalf("no key: %d %q", code, errOut)
			}
		})
	}
}

func TestVerifyConsistencyCommand(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			_, file := fileRecord(t, c, 1, pdfBody(1))
			receipt := filepath.Join(t.TempDir(), "receipt.json")
			if _, _, code := c.run("verify", file, "--save-receipt", receipt); code != exitOK {
				t.Fatal("verify")
			}
			fileRecord(t, c, 2, pdfBody(2))
			fileRecord(t, c, 3, pdfBody(3))

			saved := filepath.Join(t.TempDir(), "checkpoint")
			out, _, code := c.run("verify", "--consistency", receipt, "--save-checkpoint", saved)
			// Entry 0 is the project's version 1.
			if code != exitOK || !strings.Contains(out, "CONSISTENT: the ledger gongshi.example/ledger has 4 entries and extends the saved checkpoint of 2 entries") {
				t.Fatalf("consistency: %d\n%s", code, out)
			}
			if b, err := os.ReadFile(saved); err != nil || !strings.Contains(string(b), "\n4\n") {
				t.Fatalf("saved checkpoint: %q, %v", b, err)
			}
			fileRecord(t, c, 4, pdfBody(4))

			// Someone with the key rewrites history: entry 1 (a record's) replaced, the log
			// rebuilt and re-signed, over the store's objects.
			key, err := ledger.LoadKeyFile(c.config(t).keyPath())
			if err != nil {
				t.Fatal(err)
			}
			st := c.store(t)
			scratch, _ := storetest.Backends()[0].Open(t, time.Now)
			rw := ledger.New(scratch, ledger.Options{Key: key})
			var i int
			err = ledger.New(st, ledger.Options{Key: key}).Entries(context.Background(), func(_ int64, text []byte) error {
				ev, err := ledger.ParseEntry(text)
				if err != nil {
					return err
				}
				if i == 1 {
					ev.Content.SM3[0] ^= 1
				}
				i++
				_, err = rw.Append(context.Background(), ev)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			storetest.Copy(t, scratch, st, c.raw(t), "ledger/")

			out, _, code = c.run("verify", "--consistency", saved, "--json")
			var rep consistencyReport
			if code != exitNo || json.Unmarshal([]byte(out), &rep) != nil || rep.Consistent || rep.Reason == nil || !strings.Contains(rep.Reason.String(), "history was rewritten") {
				t.Fatalf("rewritten history: %d\n%s", code, out)
			}
			// A checkpoint signed by another key is rejected.
			out, _, code = c.run("verify", "--consistency", saved, "--key", mustKey(t).VerifierKey)
			if code != exitNo || !strings.Contains(out, "not signed by the key") {
				t.Fatalf("other key: %d\n%s", code, out)
			}
		})
	}
}

func mustKey(t *testing.T) ledger.Key {
	k, err := ledger.GenerateKeyFile(filepath.Join(t.TempDir(), "k"), "gongshi.example/ledger")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestAuditCommand(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			var recs []archive.Record
			for i := 1; i <= 3; i++ {
				r, _ := fileRecord(t, c, i, pdfBody(i))
				recs = append(recs, r)
			}
			out, errOut, code := c.run("audit")
			if code != exitOK || !strings.Contains(out, "AUDIT OK") || !strings.Contains(out, "re-read: 3 objects") {
				t.Fatalf("clean audit: %d\n%s%s", code, out, errOut)
			}
			if !strings.Contains(errOut, "audit: 100% (3 of 3 objects") {
				t.Errorf("no progress lines off a terminal: %q", errOut)
			}

			// One byte changed behind the archive's back; a record version deleted.
			damaged := pdfBody(2)
			damaged[30] ^= 0x20
			raw := c.raw(t)
			raw.Overwrite(t, archive.ContentKey(recs[1].Content.SHA256), damaged)
			gone := fmt.Sprintf("records/%s/000001.json", recs[2].ID)
			raw.Remove(t, gone)

			out, _, code = c.run("audit", "--json")
			var rep struct {
				OK       bool
				Failures []struct {
					Kind, Key, Record string
					LedgerIndex       *int64 `json:"ledger_index"`
				}
			}
			if code != exitNo || json.Unmarshal([]byte(out), &rep) != nil || rep.OK || len(rep.Failures) != 2 {
				t.Fatalf("audit of a damaged archive: %d\n%s", code, out)
			}
			want := map[string]string{archive.ContentKey(recs[1].Content.SHA256): "content_damaged", gone: "record_missing"}
			for _, f := range rep.Failures {
				if want[f.Key] != f.Kind || f.LedgerIndex == nil {
					t.Errorf("failure %+v not expected", f)
				}
			}
			if _, errOut, code := c.run("audit", "--sample", "0%"); code != exitOperator || !strings.Contains(errOut, "--sample") {
				t.Fatalf("bad sample: %d %q", code, errOut)
			}
		})
	}
}

// A data directory without the key, on a store whose ledger has begun (a second
// machine on the same bucket, a lost directory), does not make a new key: one
// that signed nothing there must never be published.
func TestNoNewKeyForAStartedLedger(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			fileRecord(t, c, 1, pdfBody(1))
			keyFile := c.config(t).keyPath()
			if err := os.Remove(keyFile); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := c.run("project", "list")
			if code != exitOperator || !strings.Contains(errOut, "copy the key file") {
				t.Fatalf("project list without the key: %d %q", code, errOut)
			}
			if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
				t.Fatalf("a new key was made: %v", err)
			}
		})
	}
}
