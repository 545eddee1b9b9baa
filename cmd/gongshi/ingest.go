package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

type ingestFlags struct {
	meta      map[string]*string
	manifest  string
	encodingS string
	encoding  ingest.Encoding
	filerFlags
	workers int
	report  string
	force   bool
	asJSON  bool
	publish bool
	remote  remoteFlags
}

func newIngestCmd(e env, cfg *config) *cobra.Command {
	fl := &ingestFlags{meta: map[string]*string{}}
	c := &cobra.Command{
		Use:   "ingest FILE --project CODE --type TYPE --title TITLE [flags] | ingest DIR --manifest manifest.csv",
		Short: "File one document, or a batch from a folder and a manifest (归档)",
		Long: `File one document, or a batch of documents from a folder and a manifest.

Each file is read once for its SHA-256 and SM3, its real format is detected from
its content, a PDF is validated (pdfcpu), its digital signatures are verified
against the trust roots (--trust-roots), active content and encryption are found,
and the metadata is checked against the catalogue. The four-property report
(四性检测: authenticity, integrity, usability, security) is stored with the record
and printed. A rejected document stores nothing and every reason is printed.

A batch (DIR --manifest FILE) runs on parallel workers and can be interrupted and
run again: what was filed is reported as already filed, never twice. The manifest
is CSV (UTF-8 with or without BOM, or GB18030/GBK as Excel saves it on Chinese
Windows) or JSON (UTF-8), one row a file, with the columns file, project, type,
title, doc_number, date, issuer, disclosure, retention, archival_code, household,
abstract, keywords. A CSV file that is not UTF-8 is read as GB18030 only when
all of it is; bytes that are not text are refused with their row, column and
bytes, never guessed (--encoding gb18030 or utf-8 says which it is). A row with
more values than the header has columns is rejected.

Exit codes: 0 all filed (or already filed), 1 something was rejected, 2 error.`,
		Example: `  gongshi ingest 征收决定.pdf --project CC-2026-001 --type decision \
    --title 关于东天街片区房屋征收的决定 --doc-number 长征补〔2026〕12号 \
    --date 2026-03-18 --issuer 长春市南关区人民政府 --trust-roots ./roots
  gongshi ingest ./scans --manifest ./scans/manifest.csv --trust-roots ./roots`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runIngest(cmd.Context(), e, cfg, fl, args[0], cmd)
		},
	}
	f := c.Flags()
	for _, m := range []struct{ name, usage string }{
		{"project", "project code 项目编号"},
		{"type", "document type 文件类型 (a catalogue code, e.g. decision)"},
		{"title", "title 题名"},
		{"doc-number", "document number 文号, e.g. 长征补〔2026〕12号"},
		{"date", "the document's date 成文日期, YYYY-MM-DD"},
		{"issuer", "responsible party 责任者"},
		{"disclosure", "disclosure class 公开属性 (default: the type's)"},
		{"retention", "retention period 保管期限 Y, D30 or D10 (default: the type's)"},
		{"archival-code", "archival code 档号 (default: assigned when --fonds is set)"},
		{"household", "household 户号 of a per-household document"},
		{"abstract", "abstract 摘要: a short summary of the content, for search"},
		{"keywords", "keywords 主题词, separated by commas or 、"},
		{"file-name", "file name to record (default: the file's own)"},
		{"public-copy-of", "file this as the public copy 公开版本 (redacted, of class public) of the record with this id"},
	} {
		f.StringVar(fl.metaPtr(m.name), m.name, "", m.usage)
	}
	f.StringVar(&fl.manifest, "manifest", "", "batch manifest (CSV or JSON) for a folder")
	f.StringVar(&fl.encodingS, "encoding", "auto", "the manifest's encoding: auto, utf-8 or gb18030 (auto reads GB18030 only when the whole file is GB18030)")
	fl.filerFlags.addFlags(f)
	f.IntVar(&fl.workers, "workers", 0, "parallel workers for a batch (default: number of cores)")
	f.StringVar(&fl.report, "report", "", "where to write the batch's JSON report (default: DATA/reports/ingest-TIME.json)")
	f.BoolVar(&fl.force, "force", false, "replace the --report file if it exists")
	f.BoolVar(&fl.asJSON, "json", false, "print the result as JSON")
	f.BoolVar(&fl.publish, "publish", false, "publish what was filed (or was filed before) where its class allows; others are reported, and exit 1")
	fl.remote.addFlags(f, true)
	return c
}

func (fl *ingestFlags) metaPtr(name string) *string {
	s := new(string)
	fl.meta[name] = s
	return s
}

func (fl *ingestFlags) fields() map[string]string {
	out := map[string]string{}
	for k, v := range fl.meta {
		out[strings.ReplaceAll(k, "-", "_")] = *v
	}
	return out
}

func runIngest(ctx context.Context, e env, cfg *config, fl *ingestFlags, target string, cmd *cobra.Command) error {
	fi, err := os.Stat(target)
	if err != nil {
		return fmt.Errorf("cannot read %s: %v", target, unwrapPath(err))
	}
	batch := fi.IsDir()
	if batch && fl.manifest == "" {
		return fmt.Errorf("%s is a folder: give its manifest with --manifest FILE", target)
	}
	if !batch && fl.manifest != "" {
		return fmt.Errorf("--manifest is for a folder; %s is a file", target)
	}
	if fl.encoding, err = ingest.ParseEncoding(fl.encodingS); err != nil {
		return fmt.Errorf("--%v", err)
	}
	if err := checkOutput("--report", fl.report, fl.force); err != nil {
		return fmt.Errorf("%v (nothing was filed)", err)
	}
	if !batch {
		var missing []string
		for _, k := range []string{"project", "type", "title"} {
			if *fl.meta[k] == "" {
				missing = append(missing, "--"+k)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("required flag(s) %s not set (see 'gongshi ingest --help')", strings.Join(missing, ", "))
		}
	}
	if fl.remote.server != "" {
		return runRemoteIngest(ctx, e, cfg, fl, target, batch)
	}
	opts, err := fl.filerFlags.options(e)
	if err != nil {
		return err
	}
	// The archive with its ledger (open), so that every record filed is appended to the ledger.
	o, err := cfg.open(ctx, e)
	if err != nil {
		return err
	}
	defer o.close()
	st, a := o.st, o.a
	// The process is this command's: a batch keeps the Go runtime's soft memory
	// limit at what its files are expected to need (ingest.Options).
	opts.SetMemoryLimit = func(n int64) { debug.SetMemoryLimit(n) }
	filer := ingest.NewFiler(a, st, opts)

	if !batch {
		meta, problems := ingest.ParseMeta(fl.fields())
		meta.FileName = *fl.meta["file-name"]
		if len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		res, err := filer.File(ctx, target, meta)
		if err != nil {
			return err
		}
		if fl.asJSON {
			if err := writeJSON(e.stdout, res); err != nil {
				return err
			}
		} else {
			printResult(e.stdout, res)
		}
		if res.Status == ingest.StatusRejected {
			return &exitError{code: exitNo, err: errSilent}
		}
		if fl.publish {
			return publishFiled(ctx, e, fl.asJSON, a, []ingest.Result{res})
		}
		return nil
	}

	rows, err := ingest.ReadManifest(fl.manifest, target, ingest.ManifestOptions{Encoding: fl.encoding})
	if err != nil {
		return err
	}
	p := newProgress(e, len(rows))
	if os.Getenv("GOGC") == "" {
		// A batch holds two parses at once (one per worker), which are mostly
		// garbage soon after: collecting at 60% growth instead of 100% kept the
		// peak of the real-PDF batch at 1.35x pdfcpu's largest single file
		// instead of 1.54x, for about 8% more CPU (docs/benchmarks.md).
		defer debug.SetGCPercent(debug.SetGCPercent(batchGCPercent))
	}
	sum := filer.Batch(ctx, target, rows, fl.workers, p)
	p.finish()
	if ctx.Err() != nil {
		// The work has stopped; the report's durable write that follows can take
		// a while on a busy disk, so say so now.
		fmt.Fprintf(e.stderr, "gongshi: stopped with %d of %d documents decided; writing the report\n", len(sum.Results), len(rows))
	}
	return fl.batchDone(ctx, e, cfg, sum, func() error { return publishFiled(ctx, e, fl.asJSON, a, sum.Results) })
}

// batchDone writes a batch's report, prints its summary and gives its exit
// code, after publish (the --publish of what it filed).
func (fl *ingestFlags) batchDone(ctx context.Context, e env, cfg *config, sum ingest.Summary, publish func() error) error {
	var err error
	reportPath := fl.report
	if reportPath == "" {
		reportPath, err = writeReport(cfg.data, "ingest", e.now(), sum)
	} else {
		err = writePrivateJSON("--report", reportPath, fl.force, sum)
	}
	if err != nil {
		return err
	}
	if fl.asJSON {
		if err := writeJSON(e.stdout, sum); err != nil {
			return err
		}
	} else {
		printSummary(e.stdout, sum, reportPath)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: run the same command again to finish (what was filed stays filed)")
	}
	if fl.publish {
		// A publication's error counts when the batch itself had none.
		if err := publish(); err != nil && sum.Errors == 0 && sum.Rejected == 0 {
			return err
		}
	}
	switch {
	case sum.Errors > 0:
		return &exitError{code: exitOperator, err: fmt.Errorf("%d document(s) could not be processed; see %s", sum.Errors, reportPath)}
	case sum.Rejected > 0:
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

// statusLabel names a filing's outcome for people, Chinese first.
func statusLabel(s ingest.Status) string {
	switch s {
	case ingest.StatusFiled:
		return "已归档 filed"
	case ingest.StatusAlreadyFiled:
		return "此前已归档 already filed"
	case ingest.StatusRejected:
		return "拒收 rejected"
	}
	return "出错 error"
}

func printResult(w io.Writer, res ingest.Result) {
	fmt.Fprintf(w, "%s: %s\n", statusLabel(res.Status), termsafe.Escape(res.Path))
	if r := res.Record; r.ID != "" {
		fmt.Fprintf(w, "  记录 record:    %s (version %d)\n", r.ID, r.Version)
		if r.ArchivalCode != "" {
			fmt.Fprintf(w, "  档号 code:      %s\n", termsafe.Escape(r.ArchivalCode))
		}
		fmt.Fprintf(w, "  SHA-256:        %s\n  SM3:            %s\n  大小 size:      %d bytes, %d pages\n",
			r.Content.SHA256, r.Content.SM3, r.Content.Size, r.Pages)
	}
	if rep := res.Report; rep != nil {
		fmt.Fprintf(w, "四性检测 four-property report (%s, %s):\n", rep.Standard, rep.Stage)
		for _, p := range ingest.Properties() {
			for _, it := range rep.Items {
				if it.Property == p {
					fmt.Fprintf(w, "  %s: %s — %s\n", p.Label(), it.Outcome.Label(), termsafe.Escape(it.Reason))
				}
			}
		}
	}
	if res.Status == ingest.StatusRejected {
		fmt.Fprintf(w, "拒收原因 reasons for the rejection (nothing was stored):\n")
		for _, r := range res.Reasons {
			fmt.Fprintf(w, "  - %s\n", termsafe.Escape(r))
		}
	}
}

func printSummary(w io.Writer, s ingest.Summary, reportPath string) {
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(w, "批量归档 batch: %d documents in %.1f s (%.1f documents/s, %.1f MB/s)\n",
		s.Documents, secs, float64(s.Filed+s.Already+s.Rejected)/max(secs, 1e-9), float64(s.Bytes)/1e6/max(secs, 1e-9))
	fmt.Fprintf(w, "  已归档 filed:               %d\n  此前已归档 already filed:   %d\n  拒收 rejected:              %d\n",
		s.Filed, s.Already, s.Rejected)
	if s.Errors > 0 {
		fmt.Fprintf(w, "  出错 errors:                %d\n", s.Errors)
	}
	for _, r := range s.Results {
		if r.Status == ingest.StatusRejected || r.Status == ingest.StatusError {
			fmt.Fprintf(w, "%s: %s\n", statusLabel(r.Status), termsafe.Escape(r.Path))
			for _, why := range r.Reasons {
				fmt.Fprintf(w, "  - %s\n", termsafe.Escape(why))
			}
		}
	}
	fmt.Fprintf(w, "报告 report: %s\n", termsafe.Escape(reportPath))
}

// progress shows a bar on a terminal and one plain line per document otherwise
// (logs, CI, pipes).
type progress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	total int
	n     int
	bytes int64
	start time.Time
}

func newProgress(e env, total int) *progress {
	p := &progress{w: e.stderr, total: total, start: time.Now()}
	if f, ok := e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f),
			progressbar.OptionSetDescription("归档 ingest"), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("docs"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
	}
	return p
}

// Done is called by the workers, one at a time.
func (p *progress) Done(res ingest.Result, size int64) {
	p.n++
	p.bytes += size
	secs := max(time.Since(p.start).Seconds(), 1e-9)
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("归档 ingest %.1f MB/s", float64(p.bytes)/1e6/secs))
		p.bar.Add(1)
		return
	}
	fmt.Fprintf(p.w, "[%d/%d] %s %s (%.1f docs/s, %.1f MB/s)\n", p.n, p.total, res.Status, termsafe.Escape(res.Path),
		float64(p.n)/secs, float64(p.bytes)/1e6/secs)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// batchGCPercent is the garbage collector's setting during a local batch (when
// GOGC does not say otherwise).
const batchGCPercent = 60
