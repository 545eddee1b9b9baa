package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

// demoProjects are realistic projects of Jilin Province, fictitious in every detail.
func demoProjects() []archive.Project {
	return []archive.Project{
		{
			Code: "CC-2026-001", Name: "南关区东天街片区旧城区改建项目", City: "长春市", District: "南关区",
			Department: "长春市房屋征收经办中心", Implementer: "南关区房屋征收服务中心",
			Category: archive.CategoryOldCityRenewal, Households: 412,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 3, 18), "announcement": archive.D(2026, 3, 20)},
		},
		{
			Code: "JL-2026-003", Name: "船营区站前片区棚户区改造项目", City: "吉林市", District: "船营区",
			Department: "吉林市房屋征收管理办公室", Category: archive.CategoryAffordableHousing, Households: 286,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 5, 11)},
		},
		{
			Code: "SP-2026-002", Name: "铁西区英雄大路拓宽工程", City: "四平市", District: "铁西区",
			Department: "四平市房屋征收管理中心", Category: archive.CategoryInfrastructure, Households: 57,
			Dates: map[string]archive.Date{"decision": archive.D(2026, 8, 3)},
		},
	}
}

// The demo's sample document: the expropriation decision of the first project,
// signed by the expropriation office under a test e-government CA.
const (
	demoDocName = "征收决定书.pdf"
	demoRootPEM = "roots/吉林省电子政务根证书.pem"
)

func newDemoCmd(e env, cfg *config) *cobra.Command {
	var seedOnly bool
	c := &cobra.Command{
		Use:   "demo",
		Short: "Build a demo archive (in ./gongshi-demo unless --data is given): projects, a signed document filed and verified",
		Long: `Build a realistic demo archive and show what Gongshi does with it: three
projects of Jilin Province; a signed expropriation decision (made on the spot,
signed under a test CA) filed with its four-property report; then the document
verified against the ledger, once through the archive and once offline from its
receipt and the public key alone.

Without --data or GONGSHI_DATA the demo lives in ./gongshi-demo, apart from a real
archive. Running it again adds nothing: the document is reported as already filed.
The steps are the commands a person would type; each is printed before it runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") && e.getenv("GONGSHI_DATA") == "" {
				cfg.data = "gongshi-demo"
			}
			return runDemo(cmd.Context(), e, cfg, seedOnly)
		},
	}
	c.Flags().BoolVar(&seedOnly, "seed-only", false, "create the demo archive and stop")
	return c
}

func runDemo(ctx context.Context, e env, cfg *config, seedOnly bool) error {
	fmt.Fprintf(e.stdout, "== 1. 征收项目 Projects (%s)\n", cfg.where())
	a, closeArchive, err := cfg.openArchive(ctx, e)
	if err != nil {
		return err
	}
	for _, p := range demoProjects() {
		_, err := a.CreateProject(ctx, p)
		switch {
		case errors.Is(err, archive.ErrProjectExists):
			fmt.Fprintf(e.stdout, "project %s is there already\n", p.Code)
		case err != nil:
			closeArchive()
			return explain(err)
		default:
			fmt.Fprintf(e.stdout, "created project %s %s\n", p.Code, p.Name)
		}
	}
	closeArchive()

	dir := filepath.Join(cfg.data, "sample")
	doc := filepath.Join(dir, demoDocName)
	receipt := filepath.Join(dir, strings.TrimSuffix(demoDocName, ".pdf")+".receipt.json")
	pubKey := filepath.Join(dir, "ledger.pub")
	if err := demoSample(dir, e.now()); err != nil {
		return fmt.Errorf("demo: making the sample document: %w", err)
	}
	steps := []struct {
		title string
		args  []string
	}{
		{"2. 归档 File a signed document, with its four-property report (四性检测)", []string{"ingest", doc,
			"--project", "CC-2026-001", "--type", "decision", "--title", "关于东天街片区房屋征收的决定",
			"--doc-number", "长征补〔2026〕12号", "--date", "2026-03-18", "--issuer", "长春市南关区人民政府",
			"--trust-roots", filepath.Join(dir, filepath.Dir(demoRootPEM)), "--fonds", "Z109", "--dept", "CQ01"}},
		// --force: a second run of the demo replaces the receipt of the first.
		{"3. 核验 Verify the document against the ledger, and keep its receipt", []string{"verify", doc,
			"--save-receipt", receipt, "--force"}},
		{"4. 公钥 The archive's public verifier key, to publish", []string{"keys", "show"}},
		{"5. 离线核验 An inspector verifies offline: only the file, the receipt and the public key", []string{"verify", doc,
			"--receipt", receipt, "--key-file", pubKey}},
	}
	if seedOnly {
		steps = steps[:1]
	}
	sub := cfg.withSettings(e)
	for i, s := range steps {
		if i == 3 { // after keys show: keep the key, as an inspector would
			if err := demoSaveKey(ctx, sub, pubKey); err != nil {
				return err
			}
		}
		if err := demoStep(ctx, sub, s.title, s.args); err != nil {
			return err
		}
	}
	if seedOnly {
		return nil
	}
	fmt.Fprintf(e.stdout, `
== 下一步 Next
  the fixity of the whole archive:  gongshi audit --data %s
  has the ledger only grown?        gongshi verify --consistency %s --data %s
  the projects:                     gongshi project list --data %s
`, cfg.data, receipt, cfg.data, cfg.data)
	return nil
}

// demoStep runs one gongshi command line as the demo's step, printing it first.
func demoStep(ctx context.Context, e env, title string, args []string) error {
	fmt.Fprintf(e.stdout, "\n== %s\n$ gongshi %s\n", title, termsafe.Escape(strings.Join(args, " ")))
	if code := run(ctx, args, e); code != exitOK {
		return &exitError{code: code, err: fmt.Errorf("demo: 'gongshi %s' ended with exit code %d", args[0], code)}
	}
	return nil
}

// demoSaveKey writes the archive's public verifier key to path.
func demoSaveKey(ctx context.Context, e env, path string) error {
	var out strings.Builder
	e.stdout = &out
	if code := run(ctx, []string{"keys", "show"}, e); code != exitOK {
		return fmt.Errorf("demo: 'gongshi keys show' ended with exit code %d", code)
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}

// demoSample writes the sample document and the certificate of its trust root
// into dir, unless an earlier run did: the same bytes make a re-run find the
// document already filed.
func demoSample(dir string, now time.Time) error {
	doc := filepath.Join(dir, demoDocName)
	if _, err := os.Stat(doc); err == nil {
		return nil
	}
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, chinaTime)
	signedAt := time.Date(2026, 3, 18, 9, 30, 0, 0, chinaTime)
	if now.Before(signedAt) {
		signedAt = now.Add(-time.Minute)
	}
	pki, err := pdftest.NewPKI("吉林省电子政务根证书", "长春市房屋征收经办中心", notBefore)
	if err != nil {
		return err
	}
	signed, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: 3, Title: "关于东天街片区房屋征收的决定"}),
		pki.Signer, []*x509.Certificate{pki.Root.Cert}, signedAt)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(demoRootPEM)), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, demoRootPEM), pdftest.PEM(pki.Root.Cert), 0o640); err != nil {
		return err
	}
	// The document last: its presence says the sample is complete.
	tmp := doc + ".tmp"
	if err := os.WriteFile(tmp, signed, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, doc)
}
