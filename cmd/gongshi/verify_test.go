package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// The receipts that the release of 2026-12 issued, committed in
// testdata/receipts, verify offline with every later release: exit 0, the
// record, its title and department, and the ledger entry.
func TestVerifyCommittedReceipts(t *testing.T) {
	for _, form := range []string{"entry-v1", "entry-v2"} {
		t.Run(form, func(t *testing.T) { verifyCommitted(t, filepath.Join("..", "..", "testdata", "receipts", form)) })
	}
}

func verifyCommitted(t *testing.T, dir string) {
	c := &cli{t: t, env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	for _, tc := range []struct{ file, receipt, want string }{
		{"decision.pdf", "decision.receipt.json", "rdt2vxchyfqmaraugoutz3v3pe version 1 (verified, superseded by version 2)"},
		{"correction.pdf", "correction.receipt.json", "rdt2vxchyfqmaraugoutz3v3pe version 2 (verified)"},
	} {
		out, errOut, code := c.run("verify", filepath.Join(dir, tc.file), "--receipt", filepath.Join(dir, tc.receipt),
			"--key-file", filepath.Join(dir, "ledger.pub"))
		// Offline, a receipt cannot know of a later version: only the archive can.
		want := strings.Replace(tc.want, ", superseded by version 2", "", 1)
		for _, w := range []string{"VERIFIED", want, "长春市房屋征收经办中心, project CC-2026-001", "checkpoint signed by gongshi.changchun.example/ledger+",
			"checked offline"} {
			if code != exitOK || !strings.Contains(out, w) {
				t.Errorf("%s: exit %d, output lacks %q:\n%s%s", tc.receipt, code, w, out, errOut)
			}
		}
	}
}

// A schema bump: a later release files records of schema 2 with fields this
// one does not know. Its receipts verify here (the JSON is bound by its
// digest, not by its schema), and the new fields are shown as filed.
func TestVerifyReceiptOfALaterSchema(t *testing.T) {
	ctx := context.Background()
	st, err := fs.Open(t.TempDir(), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := mustKey(t)
	l := ledger.New(st, ledger.Options{Key: key})
	body := pdfBody(3)
	file := filepath.Join(t.TempDir(), "决定.pdf")
	os.WriteFile(file, body, 0o644)
	d := archive.NewDigester()
	d.Write(body)
	content := d.Sum()
	const id = "zzzzzzzzzzzzzzzzzzzzzzzzzz"
	record := fmt.Sprintf(`{"schema":%d,"id":%q,"version":1,"project":"CC-2026-001","title":"关于征收的决定",`+
		`"electronic_seal":{"algorithm":"SM2","standard":"GB/T 38540"},"content":{"sha256":%q}}`, archive.SchemaVersion+1, id, content.SHA256)
	if _, err := l.Append(ctx, archive.Event{Kind: archive.EventFile, RecordID: id, Version: 1, Content: content,
		RecordDigest: sha256.Sum256([]byte(record)), Time: time.Date(2040, 1, 2, 3, 4, 5, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	locs, err := l.Lookup(ctx, id, 1)
	if err != nil || len(locs) != 1 {
		t.Fatalf("lookup: %v %v", locs, err)
	}
	r, err := l.Receipt(ctx, locs[0])
	if err != nil {
		t.Fatal(err)
	}
	r.Record = record
	b, _ := json.Marshal(r)
	receipt := filepath.Join(t.TempDir(), "receipt.json")
	os.WriteFile(receipt, b, 0o600)

	c := &cli{t: t, env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	out, errOut, code := c.run("verify", file, "--receipt", receipt, "--key", key.VerifierKey)
	for _, w := range []string{"VERIFIED", id + " version 1 (verified)", "关于征收的决定",
		fmt.Sprintf("record schema %d, newer than this release's %d: shown as filed", archive.SchemaVersion+1, archive.SchemaVersion),
		`also:       electronic_seal: {"algorithm":"SM2","standard":"GB/T 38540"}`} {
		if code != exitOK || !strings.Contains(out, w) {
			t.Errorf("exit %d, output lacks %q:\n%s%s", code, w, out, errOut)
		}
	}
}

// Files that verify writes are 0600, never replace an existing file unasked,
// and --save-checkpoint may update the --consistency file it was given.
func TestVerifyOutputFiles(t *testing.T) {
	c := backends(t)["fs"](t)
	createLedgerProject(t, c)
	_, file := fileRecord(t, c, 1, pdfBody(1))
	receipt := filepath.Join(t.TempDir(), "receipt.json")
	if _, errOut, code := c.run("verify", file, "--save-receipt", receipt); code != exitOK {
		t.Fatalf("verify: %d %s", code, errOut)
	}
	if fi, err := os.Stat(receipt); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("receipt: %v %v", fi, err)
	}
	before, _ := os.ReadFile(receipt)
	if _, errOut, code := c.run("verify", file, "--save-receipt", receipt); code != exitOperator || !strings.Contains(errOut, "--force") {
		t.Fatalf("second --save-receipt: %d %q", code, errOut)
	}
	if after, _ := os.ReadFile(receipt); string(after) != string(before) {
		t.Fatal("the receipt was changed")
	}
	if _, errOut, code := c.run("verify", file, "--save-receipt", receipt, "--force"); code != exitOK {
		t.Fatalf("--force: %d %q", code, errOut)
	}
	saved := filepath.Join(t.TempDir(), "checkpoint")
	if _, errOut, code := c.run("verify", "--consistency", receipt, "--save-checkpoint", saved); code != exitOK {
		t.Fatalf("consistency: %d %q", code, errOut)
	}
	fileRecord(t, c, 2, pdfBody(2))
	out, errOut, code := c.run("verify", "--consistency", saved, "--save-checkpoint", saved)
	if code != exitOK || !strings.Contains(out, "has 3 entries and extends the saved checkpoint of 2 entries") {
		t.Fatalf("update the saved checkpoint: %d %s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(saved); !strings.Contains(string(b), "\n3\n") {
		t.Fatalf("saved checkpoint: %q", b)
	}
	link := filepath.Join(t.TempDir(), "link.json")
	os.Symlink(receipt, link)
	if _, errOut, code := c.run("verify", file, "--save-receipt", link, "--force"); code != exitOperator || !strings.Contains(errOut, "link") {
		t.Fatalf("--save-receipt onto a symlink: %d %q", code, errOut)
	}
}

// verify prints what it found damaged and still gives the right verdict: a
// deleted content marker and a forged ledger lookup key, on both backends.
func TestVerifyDamagedLookups(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			rec, file := fileRecord(t, c, 1, pdfBody(1))
			fileRecord(t, c, 2, pdfBody(2))
			st := c.store(t)
			raw := c.raw(t)
			h := rec.Content.SHA256.String()
			raw.Remove(t, "by-content/"+h[:2]+"/"+h+"."+rec.ID)
			var key string
			st.List(context.Background(), "ledger/by-record/"+rec.ID[:2]+"/"+rec.ID+".", "", func(i blob.Info) error { key = i.Key; return nil })
			raw.Overwrite(t, key, []byte("2 2\n")) // entry 2 is the second record's (0 is the project's)
			out, errOut, code := c.run("verify", file)
			for _, w := range []string{"VERIFIED", rec.ID + " version 1 (verified)", rec.Title, "entry 1 (file) of 3",
				"the content marker of record " + rec.ID + " is missing (ignored; the ledger was searched instead)",
				"the ledger lookup key of record " + rec.ID + " version 1 is forged",
				"gongshi audit --repair"} {
				if code != exitOK || !strings.Contains(out, w) {
					t.Errorf("exit %d, output lacks %q:\n%s%s", code, w, out, errOut)
				}
			}
		})
	}
}
