package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/ingest/pdftest"
	"github.com/gongshi-archive/gongshi/internal/parallel"
	"github.com/gongshi-archive/gongshi/internal/synth"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/procedure"
	"github.com/gongshi-archive/gongshi/staff"
)

// gongshi demo builds a realistic archive and serves it: four projects of Jilin
// Province at different stages, a signed PDF (made on the spot) of every
// document type of the catalogue among them, each filed through ingest with its
// four-property report and published as the law asks — one weeks late, which the
// project page flags — thousands of synthetic records for search, and staff
// accounts with fresh passwords. Then it shows the everyday commands (filing a
// document, verifying it, offline from its receipt) and serves the site. A
// re-run adds nothing: everything is found filed, published and there already.

type demoFlags struct {
	seedOnly bool
	addr     string
	records  int
	calendarFlags
}

// The demo's sample files: the trust root, and the signed documents.
const (
	demoRootName = "吉林省电子政务根证书"
	demoRootPEM  = "roots/吉林省电子政务根证书.pem"
	demoTodayPDF = "审计结果.pdf"
	// demoSynthSeed fixes the synthetic records: the same archive every run.
	demoSynthSeed = 20261201
)

func newDemoCmd(e env, cfg *config) *cobra.Command {
	fl := &demoFlags{}
	c := &cobra.Command{
		Use:   "demo [--seed-only] [--addr 127.0.0.1:8080]",
		Short: "Build a demo archive (in ./gongshi-demo unless --data is given) and serve it",
		Long: `Build a realistic demo archive and serve it: four expropriation projects of Jilin
Province (长春, 吉林, 延吉, 四平) at different stages, a signed PDF of every
document type of the catalogue (made on the spot, signed under a test CA) filed
with its four-property report and published as the law asks — except one,
published weeks late, which its project page flags — and thousands of synthetic
records for search. Staff accounts are made with fresh passwords, printed each
run. On the way it shows the everyday commands: filing a document, verifying it
against the ledger, and offline from its receipt and the public key alone.

Without --data or GONGSHI_DATA the demo lives in ./gongshi-demo, apart from a real
archive. Running it again adds nothing. --seed-only builds it and stops; without it
the site is served until Ctrl-C.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("data") && e.getenv("GONGSHI_DATA") == "" {
				cfg.data = "gongshi-demo"
			}
			if fl.records < 0 || fl.records > 1_000_000 {
				return fmt.Errorf("--records %d: 0 to 1000000", fl.records)
			}
			return runDemo(cmd.Context(), e, cfg, fl)
		},
	}
	f := c.Flags()
	f.BoolVar(&fl.seedOnly, "seed-only", false, "build the demo archive and stop (do not serve)")
	f.StringVar(&fl.addr, "addr", "127.0.0.1:8080", "where to serve (when taken, a free port is chosen)")
	f.IntVar(&fl.records, "records", 3000, "how many synthetic records to add for search")
	fl.calendarFlags.addFlags(f)
	return c
}

// demoClock is the clock of the demo's history: set to each document's filing
// and publication time in turn, so that the archive reads as years of work.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// demoAt is day d at hh:mm in China.
func demoAt(d archive.Date, hh, mm int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hh, mm, 0, 0, chinaTime)
}

// demoStaff are the demo's accounts: login, name, roles.
var demoStaff = []struct {
	login, name string
	roles       []archive.Role
}{
	{"demo.li", "李娜", []archive.Role{archive.RoleArchivist, archive.RoleInspector}},
	{"demo.admin", "王建国", []archive.Role{archive.RoleSystemAdmin}},
	{"demo.audit", "赵敏", []archive.Role{archive.RoleAuditor}},
}

func runDemo(ctx context.Context, e env, cfg *config, fl *demoFlags) error {
	out := e.stdout
	sample := filepath.Join(cfg.data, "sample")
	fmt.Fprintf(out, "== 1. 征收项目 Projects (%s)\n", cfg.where())
	clk := &demoClock{t: demoAt(archive.D(2026, 1, 2), 9, 0)}
	past := e
	past.now = clk.now
	o, err := cfg.open(ctx, past)
	if err != nil {
		return err
	}
	defer o.close()
	st, a, l := o.st, o.a, o.l
	for _, p := range demoProjects() {
		clk.set(demoAt(archive.D(2026, 1, 2), 9, 0))
		_, err := a.CreateProject(ctx, p)
		switch {
		case errors.Is(err, archive.ErrProjectExists):
			fmt.Fprintf(out, "project %s is there already\n", p.Code)
		case err != nil:
			return explain(err)
		default:
			fmt.Fprintf(out, "created project %s %s（%s%s）\n", p.Code, p.Name, p.City, p.District)
		}
	}

	// The staff, made at the start of the archive's history.
	so, err := cfg.staffOptions(e)
	if err != nil {
		return err
	}
	so.Now = clk.now
	svc := staff.New(a, st, so)
	accounts := map[string]staff.Account{}
	for _, s := range demoStaff {
		acc, err := svc.AccountByLogin(ctx, s.login)
		if errors.Is(err, archive.ErrNotFound) {
			clk.set(demoAt(archive.D(2026, 1, 2), 9, 0))
			acc, err = svc.CreateAccount(ctx, staff.NewAccount{Login: s.login, Name: s.name, Roles: s.roles,
				Password: staff.TemporaryPassword()}, archive.ActorCLI)
		}
		if err != nil {
			return fmt.Errorf("demo: account %s: %w", s.login, err)
		}
		accounts[s.login] = acc
	}
	archivist := accounts["demo.li"].As()

	if err := demoFiles(sample, demoDocs(), demoToday(archive.DateOf(e.now()))); err != nil {
		return fmt.Errorf("demo: making the sample documents: %w", err)
	}
	fmt.Fprintf(out, "\n== 2. 归档 Every document type of the catalogue, signed PDFs filed with their four-property reports\n")
	if err := demoFileAll(ctx, e, a, st, clk, sample, archivist); err != nil {
		return err
	}
	if fl.records > 0 {
		fmt.Fprintf(out, "\n== 3. 合成数据 %d synthetic records of other Jilin projects, for search\n", fl.records)
		if err := demoSynth(ctx, out, e.stderr, st, l, fl.records, demoCodes()); err != nil {
			return err
		}
	}

	// The everyday commands, as a person types them.
	today := demoToday(archive.DateOf(e.now()))
	doc := filepath.Join(sample, demoTodayPDF)
	receipt := filepath.Join(sample, strings.TrimSuffix(demoTodayPDF, ".pdf")+".receipt.json")
	pubKey := filepath.Join(sample, "ledger.pub")
	steps := []struct {
		title string
		args  []string
	}{
		{"4. 归档 File a signed document, with its four-property report (四性检测), and publish it", []string{"ingest", doc,
			"--project", today.Project, "--type", today.Type, "--title", today.Title, "--doc-number", today.DocNumber,
			"--date", today.Date.String(), "--issuer", today.Issuer, "--abstract", today.Abstract,
			"--trust-roots", filepath.Join(sample, filepath.Dir(demoRootPEM)), "--fonds", "Z109", "--dept", "CQ01", "--publish"}},
		// --force: a second run of the demo replaces the receipt of the first.
		{"5. 核验 Verify the document against the ledger, and keep its receipt", []string{"verify", doc,
			"--save-receipt", receipt, "--force"}},
		{"6. 公钥 The archive's public verifier key, to publish", []string{"keys", "show"}},
		{"7. 离线核验 An inspector verifies offline: only the file, the receipt and the public key", []string{"verify", doc,
			"--receipt", receipt, "--key-file", pubKey}},
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

	fmt.Fprintf(out, "\n== 8. 程序时限 Each project's procedure against its legal clocks\n")
	if err := demoTimelines(ctx, out, a, fl, e.now()); err != nil {
		return err
	}

	// Fresh passwords for the demo's staff, each run.
	fmt.Fprintf(out, "\n== 9. 工作人员 Staff logins (new passwords each run; the staff pages are at /staff/)\n")
	so.Now = e.now
	live := staff.New(archive.New(st, archive.Options{Now: e.now, Journal: l, Actor: archive.ActorCLI}), st, so)
	for _, s := range demoStaff {
		pw := staff.TemporaryPassword()
		if _, err := live.SetPassword(ctx, accounts[s.login].ID, pw, false, archive.ActorCLI, "demo: a new password for this run"); err != nil {
			return err
		}
		roles := make([]string, len(s.roles))
		for i, r := range s.roles {
			roles[i] = string(r)
		}
		fmt.Fprintf(out, "  %-11s password %s  (%s, %s)\n", s.login, pw, s.name, strings.Join(roles, ", "))
	}
	for _, line := range demoExtras(ctx, cfg, st) {
		fmt.Fprintln(out, line)
	}
	if fl.seedOnly {
		fmt.Fprintf(out, "\n== 下一步 Next\n  serve it:                         gongshi serve --data %s --trust-roots %s\n"+
			"  the fixity of the whole archive:  gongshi audit --data %s\n", cfg.data, filepath.Join(sample, "roots"), cfg.data)
		return nil
	}
	o.close()
	return demoServe(ctx, e, cfg, fl, filepath.Join(sample, "roots"))
}

// demoServe serves the demo archive as 'gongshi serve' does, on fl.addr or, when
// that is taken, on a free port.
func demoServe(ctx context.Context, e env, cfg *config, fl *demoFlags, roots string) error {
	addr := fl.addr
	if ln, err := net.Listen("tcp", addr); err != nil {
		host, _, _ := net.SplitHostPort(addr)
		addr = net.JoinHostPort(host, "0")
	} else {
		ln.Close()
	}
	sf := &serveFlags{addr: addr, follow: time.Second, calendarFlags: fl.calendarFlags}
	sf.staff = staffServeFlags{sessionTTL: 8 * time.Hour, maxUpload: "2GiB",
		filerFlags: filerFlags{trustRoots: roots, fonds: "Z109", classCode: "WS", dept: "CQ01"}}
	fmt.Fprintf(e.stdout, "\n== 10. 网站 The site: open the address below; log in at /staff/ with a login above\n")
	return runServe(ctx, e, cfg, sf)
}

// demoStep runs one gongshi command line as the demo's step, printing it first.
func demoStep(ctx context.Context, e env, title string, args []string) error {
	fmt.Fprintf(e.stdout, "\n== %s\n$ gongshi %s\n", title, strings.Join(args, " "))
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

// demoDocPath is where the signed PDF of document i is kept.
func demoDocPath(sample string, i int, d demoDoc) string {
	return filepath.Join(sample, "docs", fmt.Sprintf("%02d-%s-%s.pdf", i+1, d.Project, d.Type))
}

// demoFiles writes the trust root and a signed PDF for every document into
// sample, unless an earlier run did: the same bytes make a re-run find the
// documents filed. They are made in a folder beside and moved into place at
// once, so that a run cut short leaves either all of them or none.
func demoFiles(sample string, docs []demoDoc, today demoDoc) error {
	if _, err := os.Stat(filepath.Join(sample, demoRootPEM)); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(sample), 0o750); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(sample), ".sample-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	notBefore := time.Date(2025, 1, 1, 0, 0, 0, 0, chinaTime)
	root, err := pdftest.NewCA(pdftest.KeyECDSA, demoRootName, notBefore)
	if err != nil {
		return err
	}
	signers := map[string]pdftest.Identity{}
	depts := map[string]string{}
	for _, p := range demoProjects() {
		depts[p.Code] = p.Department
	}
	sign := func(path string, d demoDoc, pages int) error {
		who, ok := signers[d.Project]
		if !ok {
			if who, err = pdftest.Issue(root, depts[d.Project], notBefore); err != nil {
				return err
			}
			signers[d.Project] = who
		}
		signed, err := pdftest.Sign(pdftest.Document(pdftest.Options{Pages: pages, Title: d.Title}), who,
			[]*x509.Certificate{root.Cert}, demoAt(d.Date, 9, 30))
		if err != nil {
			return err
		}
		return os.WriteFile(path, signed, 0o640)
	}
	if err := os.MkdirAll(filepath.Join(tmp, "docs"), 0o750); err != nil {
		return err
	}
	for i, d := range docs {
		if err := sign(demoDocPath(tmp, i, d), d, 1+i%4); err != nil {
			return err
		}
	}
	if err := sign(filepath.Join(tmp, demoTodayPDF), today, 3); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, filepath.Dir(demoRootPEM)), 0o750); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, demoRootPEM), pdftest.PEM(root.Cert), 0o640); err != nil {
		return err
	}
	os.RemoveAll(sample) // a sample without its root is incomplete: made anew
	return os.Rename(tmp, sample)
}

// demoFileAll files every document of demoDocs through the ingest library, as
// the demo archivist, each at its time in the archive's history, and publishes
// those whose class allows it after their delay.
func demoFileAll(ctx context.Context, e env, a *archive.Archive, st blob.Store, clk *demoClock, sample string, actor archive.Actor) error {
	roots, _, err := ingest.LoadTrustRoots(filepath.Join(sample, filepath.Dir(demoRootPEM)))
	if err != nil {
		return err
	}
	filer := ingest.NewFiler(a, st, ingest.Options{Now: clk.now,
		Inspector: ingest.NewInspector(ingest.InspectorOptions{Now: clk.now, Roots: roots}),
		Numbering: &ingest.Numbering{Fonds: "Z109", Category: "WS", Department: "CQ01"}})
	var filed, already, published int
	types := map[string]bool{}
	for i, d := range demoDocs() {
		clk.set(demoAt(d.Date, 10, 0))
		meta := archive.Record{Project: d.Project, Type: d.Type, Title: d.Title, DocNumber: d.DocNumber, Issuer: d.Issuer,
			Household: d.Household, Abstract: d.Abstract, Keywords: d.Keywords, Date: d.Date, Actor: actor}
		res, err := filer.File(ctx, demoDocPath(sample, i, d), meta)
		if err != nil {
			return err
		}
		switch res.Status {
		case ingest.StatusFiled:
			filed++
		case ingest.StatusAlreadyFiled:
			already++
		default:
			return fmt.Errorf("demo: %s (%s) was %s: %s", d.Title, d.Type, res.Status, strings.Join(res.Reasons, "; "))
		}
		types[d.Type] = true
		if d.PublishAfter < 0 {
			continue
		}
		if _, err := a.Publication(ctx, res.Record.ID); err == nil {
			continue // published by an earlier run
		} else if !errors.Is(err, archive.ErrNotFound) {
			return err
		}
		clk.set(demoAt(d.Date.AddDays(d.PublishAfter), 15, 0))
		if _, err := a.Publish(ctx, res.Record.ID, actor, "依法主动公开"); err != nil {
			return fmt.Errorf("demo: publish %s: %w", d.Title, err)
		}
		published++
	}
	fmt.Fprintf(e.stdout, "filed %d signed documents of %d types (%d filed before), published %d, in 4 projects\n",
		filed, len(types)+1, already, published)
	return nil
}

// demoCodes are the demo's own project codes, which synthetic projects do not take.
func demoCodes() map[string]bool {
	m := map[string]bool{}
	for _, p := range demoProjects() {
		m[p.Code] = true
	}
	return m
}

// demoSynth adds n synthetic records (internal/synth) with their projects and
// publication states, each at its own time, a few at once (internal/parallel):
// the ledger commits the appends of many together. Records go in chunks, each
// after its projects are stored, so that a large n is never held in memory.
func demoSynth(ctx context.Context, out, progress io.Writer, st blob.Store, l *ledger.Log, n int, skip map[string]bool) error {
	const workers, chunk = 8, 500
	// Each call borrows a handle: an archive on a clock of its own, set to the
	// time of the record it stores.
	type handle struct {
		clk *demoClock
		a   *archive.Archive
	}
	handles := make(chan handle, workers)
	for range workers {
		clk := &demoClock{}
		handles <- handle{clk, archive.New(st, archive.Options{Now: clk.now, Journal: l, Actor: archive.ActorCLI})}
	}
	var filed, already atomic.Int64
	batch := make([]synth.Item, 0, chunk)
	store := func() error {
		err := parallel.For(ctx, len(batch), workers, func(ctx context.Context, i int) error {
			h := <-handles
			defer func() { handles <- h }()
			isNew, err := demoSynthRecord(ctx, h.a, h.clk, batch[i])
			switch {
			case err != nil:
				return err
			case isNew:
				filed.Add(1)
			default:
				already.Add(1)
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	pclk := &demoClock{}
	pa := archive.New(st, archive.Options{Now: pclk.now, Journal: l, Actor: archive.ActorCLI})
	var last *archive.Project
	sent, projects := 0, 0
	err := synth.New(synth.Options{Seed: demoSynthSeed}).Each(n, func(it synth.Item) error {
		if skip[it.Project.Code] {
			return nil
		}
		if it.Project != last {
			last = it.Project
			pclk.set(it.Record.FiledAt.Add(-24 * time.Hour))
			p := *it.Project
			p.Actor = ""
			if _, err := pa.CreateProject(ctx, p); err != nil && !errors.Is(err, archive.ErrProjectExists) {
				return explain(err)
			}
			projects++
		}
		if batch = append(batch, it); len(batch) < chunk {
			return nil
		}
		sent += len(batch)
		if err := store(); err != nil {
			return err
		}
		fmt.Fprintf(progress, "  … %d of %d\n", sent, n)
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = store()
	}
	if err != nil {
		return fmt.Errorf("demo: synthetic records: %w", err)
	}
	fmt.Fprintf(out, "added %d synthetic records in %d projects (%d there already)\n", filed.Load(), projects, already.Load())
	return nil
}

// demoSynthRecord stores one synthetic record at its filing time and replays its
// publication state; it reports whether the record is new.
func demoSynthRecord(ctx context.Context, a *archive.Archive, clk *demoClock, it synth.Item) (bool, error) {
	clk.set(it.Record.FiledAt)
	rec := it.Record
	rec.Actor = ""
	// A re-run finds the record filed: it only makes sure of its ledger entry
	// (idempotent; a run cut short may have stored a record without it),
	// instead of spooling its content and asking to create it again (3,000 of
	// them took 40 s at load 30; this, 3 s).
	_, err := archive.NewVersions(a, archive.RecordVersions).Ledger(ctx, rec.ID, 1)
	isNew := errors.Is(err, archive.ErrNotFound)
	if err != nil && !isNew {
		return false, err
	}
	if isNew {
		if _, err := a.PutContent(ctx, bytes.NewReader(it.Content), int64(len(it.Content))); err != nil {
			return false, err
		}
		_, err = a.CreateRecord(ctx, rec)
		isNew = err == nil
		if err != nil && !errors.Is(err, archive.ErrRecordExists) {
			return false, fmt.Errorf("%s: %w", rec.Title, explain(err))
		}
	}
	if it.State.Publication == archive.NotPublished {
		return isNew, nil
	}
	if _, err := a.Publication(ctx, rec.ID); err == nil {
		return isNew, nil
	} else if !errors.Is(err, archive.ErrNotFound) {
		return false, err
	}
	clk.set(it.State.FirstPublishedAt)
	if _, err := a.Publish(ctx, rec.ID, archive.ActorCLI, ""); err != nil && !errors.Is(err, archive.ErrNotPublishable) {
		return false, err
	}
	if it.State.Publication == archive.Withdrawn {
		clk.set(it.State.FirstPublishedAt.Add(10 * 24 * time.Hour))
		if _, err := a.Withdraw(ctx, rec.ID, archive.ActorCLI, "文号有误，撤回更正"); err != nil && !errors.Is(err, archive.ErrNotPublished) {
			return false, err
		}
	}
	return isNew, nil
}

// demoTimelines prints, for each of the demo's projects, its procedure as the
// public sees it: the steps done, and every entry late or overdue against its
// clock.
func demoTimelines(ctx context.Context, out io.Writer, a *archive.Archive, fl *demoFlags, now time.Time) error {
	clk, err := fl.calendarFlags.clocks()
	if err != nil {
		return err
	}
	pr, err := clk.procedure(a.Catalogue())
	if err != nil {
		return err
	}
	byProject := map[string][]procedure.Record{}
	codes := demoCodes()
	err = a.Records(ctx, func(r archive.Record) error {
		if !codes[r.Project] {
			return nil
		}
		st, err := a.RecordState(ctx, r.ID)
		if err != nil {
			return err
		}
		if archive.Visibility(r, st, now).For(archive.PublicViewer()) == archive.AccessNone {
			return nil
		}
		var published archive.Date
		if !st.FirstPublishedAt.IsZero() {
			published = archive.DateOf(st.FirstPublishedAt)
		}
		byProject[r.Project] = append(byProject[r.Project], procedure.RecordOf(r, published))
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range demoProjects() {
		tl, err := pr.Timeline(procedure.ProjectOf(p), byProject[p.Code], now)
		if err != nil {
			return err
		}
		done := 0
		for _, s := range tl.Steps {
			if s.State == procedure.Done {
				done++
			}
		}
		fmt.Fprintf(out, "%s %s: %d of %d steps done, %d problems\n", p.Code, termsafe.Escape(p.Name), done, len(tl.Steps), tl.Problems)
		for _, s := range tl.Steps {
			for _, en := range s.Entries {
				switch {
				case en.State == procedure.Late:
					fmt.Fprintf(out, "  逾期公开 late: %s（%s）published %d days after its deadline (20 working days after its date)\n", en.NameZh, en.Type, en.DaysLate)
				case en.State == procedure.Overdue:
					fmt.Fprintf(out, "  逾期未公开 overdue: %s（%s）due %s\n", en.NameZh, en.Type, en.Due)
				}
				for _, f := range en.Flags {
					fmt.Fprintf(out, "  flag: %s %s\n", f.Rule, f.Type)
				}
			}
		}
		for _, pv := range tl.Periods {
			if pv.Status.State == "running" {
				fmt.Fprintf(out, "  %s: %d days left\n", pv.NameZh, pv.Status.DaysLeft)
			}
		}
	}
	fmt.Fprintf(out, "(the project pages show the same: /projects/CODE)\n")
	return nil
}
