package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/storetest"
)

// auditJSON is what the tests read of `audit --json`.
type auditJSON struct {
	OK       bool `json:"ok"`
	Failures []struct {
		Kind, Key, Want, Repaired string
		LedgerIndex               *int64 `json:"ledger_index"`
	} `json:"failures"`
	InFlight      []struct{ Kind, Key string } `json:"in_flight"`
	Notices       []struct{ Kind, Key string } `json:"notices"`
	Repairs       []string                     `json:"repairs"`
	LedgerDamaged bool                         `json:"ledger_damaged"`
	DamageNotice  string                       `json:"damage_notice"`
}

func (c *cli) audit(t *testing.T, args ...string) (auditJSON, int) {
	t.Helper()
	out, errOut, code := c.run(append([]string{"audit", "--json"}, args...)...)
	var rep auditJSON
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("audit --json: %d %v\n%s%s", code, err, out, errOut)
	}
	return rep, code
}

// The case: `gongshi audit` run again and again while a batch files, in
// another process. No audit reports a failure or appends an event, and every
// document of the batch is filed.
func TestAuditBesideBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds PDFs and runs a child process")
	}
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createProject(t, c)
			fx := makeIngestFixtures(t)
			const n = 80
			manifest := fx.batch(t, n)
			report := filepath.Join(t.TempDir(), "ingest.json")
			cmd := c.child("ingest", fx.dir, "--manifest", manifest, "--trust-roots", fx.roots,
				"--fonds", "Z109", "--dept", "CQ01", "--report", report)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error)
			go func() { done <- cmd.Wait() }()
			audits, inFlight := 0, 0
			for running := true; running; audits++ {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("the batch beside the audits: %v\n%s", err, out.String())
					}
					running = false
				default:
				}
				c.now = time.Now() // the child files by the real clock
				rep, code := c.audit(t)
				if len(rep.Failures) != 0 || code != exitOK {
					t.Fatalf("audit %d beside the batch: exit %d, %+v", audits, code, rep.Failures)
				}
				inFlight += len(rep.InFlight)
			}
			var sum struct{ Filed, Errors int }
			if b, err := os.ReadFile(report); err != nil || json.Unmarshal(b, &sum) != nil || sum.Filed != n || sum.Errors != 0 {
				t.Fatalf("the batch: %+v (%v)\n%s", sum, err, out.String())
			}
			// Nothing the audits said went into the ledger.
			keys := 0
			c.store(t).List(t.Context(), "ledger/by-record/", "", func(i blob.Info) error {
				if strings.Contains(i.Key, ".fixity_failure.") {
					t.Errorf("a fixity event: %s", i.Key)
				}
				keys++
				return nil
			})
			if keys != n {
				t.Errorf("%d record entries, want %d", keys, n)
			}
			t.Logf("%d audits beside a batch of %d: no failure, no event; %d in flight when looked at", audits, n, inFlight)
		})
	}
}

// Damage, named; nothing appended while the ledger is damaged (filing stops with
// the damage named); derived objects repaired on demand.
func TestAuditDamageAndRepair(t *testing.T) {
	for name, newCLI := range backends(t) {
		t.Run(name, func(t *testing.T) {
			c := newCLI(t)
			createLedgerProject(t, c)
			for i := 1; i <= 3; i++ {
				fileRecord(t, c, i, pdfBody(i))
			}
			st, raw := c.store(t), c.raw(t)
			var tiles, cps []string
			st.List(t.Context(), "ledger/tile/", "", func(i blob.Info) error { tiles = append(tiles, i.Key); return nil })
			st.List(t.Context(), "ledger/checkpoint/", "", func(i blob.Info) error { cps = append(cps, i.Key); return nil })

			// A derived object: named, the ledger goes on, --repair rebuilds it.
			tile := tiles[len(tiles)-1]
			raw.Overwrite(t, tile, bytes.Repeat([]byte{9}, 4*32))
			rep, code := c.audit(t)
			if code != exitNo || len(rep.Failures) != 1 || rep.Failures[0].Kind != "tile_altered" || rep.Failures[0].Key != tile || rep.LedgerDamaged {
				t.Fatalf("audit of a damaged tile: exit %d %+v", code, rep)
			}
			out, _, code := c.run("audit", "--repair")
			if code != exitOK || !strings.Contains(out, "REPAIRED 1 derived object(s):") || !strings.Contains(out, "rebuilt the tile "+tile) {
				t.Fatalf("audit --repair: exit %d\n%s", code, out)
			}
			if rep, code := c.audit(t); code != exitOK || !rep.OK {
				t.Fatalf("after the repair: exit %d %+v", code, rep)
			}

			// An authoritative one: named, a damage notice, appends refused.
			gone := cps[1]
			saved := storetest.Read(t, st, gone)
			raw.Remove(t, gone)
			out, _, code = c.run("audit")
			if code != exitNo || !strings.Contains(out, "checkpoint_missing   "+gone) || !strings.Contains(out, "nothing was appended to the ledger") ||
				!strings.Contains(out, "damage notice: ledger/damage/") {
				t.Fatalf("audit of a deleted checkpoint: exit %d\n%s", code, out)
			}
			if _, err := st.Stat(t.Context(), gone); err == nil {
				t.Fatal("the audit signed the deleted checkpoint again")
			}
			_, errOut, code := c.run("ingest", writePDF(t, pdftest.Document(pdftest.Options{Title: "九"})), "--project", ledgerProject, "--type", "decision",
				"--title", "决定九", "--doc-number", "长征补〔2026〕9号", "--date", "2026-03-18", "--issuer", "长春市南关区人民政府")
			if code == exitOK || !strings.Contains(errOut, "the ledger is damaged") || !strings.Contains(errOut, gone) {
				t.Fatalf("filing on a damaged ledger: exit %d %q", code, errOut)
			}
			if strings.Contains(errOut, "stored, but") || countKeys(t, st, "records/") != 3 {
				t.Fatalf("the refused filing stored its record: %q", errOut)
			}
			if _, _, code := c.run("audit", "--repair"); code != exitNo {
				t.Fatalf("--repair of an authoritative object: exit %d, want 1 (not rebuilt)", code)
			}
			if _, err := st.Stat(t.Context(), gone); err == nil {
				t.Fatal("--repair signed the deleted checkpoint again")
			}

			// Restored from a copy: the audit finds the ledger whole, filing resumes.
			if _, err := st.Put(t.Context(), gone, bytes.NewReader(saved), blob.PutOptions{Size: int64(len(saved))}); err != nil {
				t.Fatal(err)
			}
			out, _, code = c.run("audit")
			if code != exitOK || !strings.Contains(out, "is whole again: appends resume") {
				t.Fatalf("audit after the restore: exit %d\n%s", code, out)
			}
			fileRecord(t, c, 4, pdfBody(4))
		})
	}
}

// batch writes n signed documents and their manifest, and returns its path.
func (fx ingestFixtures) batch(t *testing.T, n int) string {
	t.Helper()
	var rows [][]string
	for i := range n {
		f := fmt.Sprintf("doc-%03d.pdf", i)
		fx.signed(t, f, fmt.Sprint(i))
		rows = append(rows, []string{f, "CC-2026-001", "decision", fmt.Sprintf("征收决定 %d", i), fmt.Sprintf("长征补〔2026〕%d号", i+1), "2026-03-18", "长春市南关区人民政府"})
	}
	manifest := filepath.Join(t.TempDir(), "manifest.csv")
	writeManifest(t, manifest, rows)
	return manifest
}

// child is the gongshi command run in a child process (the test binary again),
// with the cli's settings.
func (c *cli) child(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GONGSHI_TEST_RUN_MAIN=1")
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

func countKeys(t *testing.T, st blob.Store, prefix string) int {
	t.Helper()
	n := 0
	if err := st.List(t.Context(), prefix, "", func(blob.Info) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func writePDF(t *testing.T, body []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "决定.pdf")
	if err := os.WriteFile(p, body, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The text report counts what the JSON report counts, the archival-code
// markers (by-code/) among them.
func TestAuditTextCountsCodeMarkers(t *testing.T) {
	c := &cli{t: t, now: time.Date(2026, 11, 27, 10, 0, 0, 0, cst), env: map[string]string{"GONGSHI_DATA": t.TempDir()}}
	createLedgerProject(t, c)
	a := commandsArchive(t, c)
	ctx := context.Background()
	for i, code := range []string{"Z109-WS·2026-Y-CQ01-0001", "Z109-WS·2026-Y-CQ01-0002", ""} {
		body := pdfBody(20 + i)
		d, err := a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.CreateRecord(ctx, archive.Record{Project: ledgerProject, Type: "decision", Title: fmt.Sprintf("征收决定（第%d批）", i+1),
			DocNumber: fmt.Sprintf("长征补〔2026〕%d号", 30+i), Issuer: "长春市南关区人民政府", Date: archive.D(2026, time.March, 18),
			Format: "pdf", FileName: "征收决定.pdf", Content: d, ArchivalCode: code}); err != nil {
			t.Fatal(err)
		}
	}
	out, _, _ := c.run("audit")
	js, _, _ := c.run("audit", "--json")
	var rep struct {
		CodeMarkers int `json:"code_markers"`
		Markers     int `json:"content_markers"`
		Claims      int `json:"number_claims"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || rep.CodeMarkers != 2 {
		t.Fatalf("audit --json: code_markers %d (%v), want the 2 records with a code\n%s", rep.CodeMarkers, err, js)
	}
	want := fmt.Sprintf("; %d content markers, %d code markers, %d number claims\n", rep.Markers, rep.CodeMarkers, rep.Claims)
	if !strings.Contains(out, want) {
		t.Fatalf("the text report lacks %q:\n%s", want, out)
	}
}
