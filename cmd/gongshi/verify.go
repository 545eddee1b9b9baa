package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mattn/go-runewidth"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/verify"
)

type verifyFlags struct {
	receipt        string
	saveReceipt    string
	consistency    string
	saveCheckpoint string
	key, keyFile   string
	force          bool
	asJSON         bool
	remote         remoteFlags
}

func newVerifyCmd(e env, cfg *config) *cobra.Command {
	fl := &verifyFlags{}
	c := &cobra.Command{
		Use:   "verify FILE [--receipt R] | verify --consistency OLD_CHECKPOINT",
		Short: "Check that a file is exactly a filed document, or that the ledger only grew (核验)",
		Long: `verify FILE hashes the file (SHA-256 and SM3), finds the record versions whose
content it is, and checks each one's ledger entry: the inclusion proof under a
checkpoint signed by the ledger's key, and the file's digests against the entry.
With --receipt R it needs no archive at all: the receipt (from --save-receipt or
the portal), the file and the verifier key (--key or --key-file) are enough, offline.
With --server URL it asks a running portal for the receipts of the file's content
(GET /api/v1/verify/sha256/…, as the public, or as a staff account with --token)
and checks each one here, with the verifier key: the server is not trusted.

verify --consistency OLD proves that the ledger today extends a checkpoint saved
earlier (a checkpoint file, or a receipt, which holds one), or shows that history
was rewritten. Keep the checkpoints you have checked (--save-checkpoint): each is
the evidence for the next check.

The key is --key (the verifier key that 'gongshi keys show' prints), or
--key-file, or the data directory's own key. Files are written with mode 0600 and
never replace an existing one, except --save-checkpoint onto the --consistency
file it updates, or with --force.

Exit codes: 0 verified, 1 not verified (the reason is printed), 2 error.`,
		Example: `  gongshi verify 征收决定.pdf
  gongshi verify 征收决定.pdf --save-receipt 征收决定.receipt.json
  gongshi verify 征收决定.pdf --receipt 征收决定.receipt.json --key "$(cat ledger.pub)"
  gongshi verify 征收决定.pdf --server https://gongshi.example.gov.cn --key-file ledger.pub
  gongshi verify --consistency saved.checkpoint --save-checkpoint saved.checkpoint`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case fl.consistency != "" && len(args) > 0:
				return errors.New("give either FILE or --consistency OLD_CHECKPOINT, not both")
			case fl.consistency == "" && len(args) != 1:
				return errors.New("give the FILE to verify, or --consistency OLD_CHECKPOINT (see 'gongshi verify --help')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput("--save-receipt", fl.saveReceipt, fl.force); err != nil {
				return err
			}
			if err := fl.checkSaveCheckpoint(); err != nil {
				return err
			}
			key, err := cfg.verifier(fl.key, fl.keyFile)
			if err != nil {
				return err
			}
			if fl.consistency != "" {
				return runConsistency(cmd.Context(), e, cfg, fl, key)
			}
			return runVerify(cmd.Context(), e, cfg, fl, key, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&fl.receipt, "receipt", "", "verify offline against this receipt (JSON) instead of the archive")
	f.StringVar(&fl.saveReceipt, "save-receipt", "", "write the receipt of the verified record version to this file")
	f.StringVar(&fl.consistency, "consistency", "", "check that the ledger extends this saved checkpoint (or receipt's checkpoint)")
	f.StringVar(&fl.saveCheckpoint, "save-checkpoint", "", "with --consistency: write the ledger's checkpoint here when it is consistent")
	f.StringVar(&fl.key, "key", "", "verifier key text, as 'gongshi keys show' prints it")
	f.StringVar(&fl.keyFile, "key-file", "", "file holding the verifier key")
	f.BoolVar(&fl.force, "force", false, "replace the --save-receipt or --save-checkpoint file if it exists (--save-checkpoint may name the --consistency file without it)")
	f.BoolVar(&fl.asJSON, "json", false, "print the result as JSON")
	fl.remote.addFlags(f, true)
	return c
}

// verifyReport is what verify FILE prints: the file's name and the verdict.
type verifyReport struct {
	File string `json:"file"`
	// Server handed out the receipts (verify --server).
	Server string `json:"server,omitempty"`
	*verify.Result
}

func digestFile(ctx context.Context, path string) (archive.Digests, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return archive.Digests{}, fmt.Errorf("cannot read %s: %v", termsafe.Escape(path), unwrapPath(err))
	}
	defer f.Close()
	d := archive.NewDigester()
	if _, err := io.Copy(d, f); err != nil {
		return archive.Digests{}, fmt.Errorf("cannot read %s: %v", termsafe.Escape(path), err)
	}
	return d.Sum(), ctx.Err()
}

func runVerify(ctx context.Context, e env, cfg *config, fl *verifyFlags, key note.Verifier, file string) error {
	sum, err := digestFile(ctx, file)
	if err != nil {
		return err
	}
	var res *verify.Result
	if fl.remote.server != "" && fl.receipt == "" {
		c, err := fl.remote.client(e, false)
		if err != nil {
			return err
		}
		rs, err := c.receipts(ctx, sum.SHA256)
		if err != nil {
			return err
		}
		if res, err = verify.Receipts(rs, key, sum); err != nil {
			return err
		}
	} else if fl.receipt != "" {
		b, err := safefile.ReadFile(fl.receipt)
		if err != nil {
			return fmt.Errorf("--receipt: %v", unwrapPath(err))
		}
		r, err := proof.ParseReceipt(b)
		if err != nil {
			return fmt.Errorf("--receipt %s: %w", termsafe.Escape(fl.receipt), err)
		}
		if res, err = verify.Offline(r, key, sum); err != nil {
			return fmt.Errorf("--receipt %s: %w", termsafe.Escape(fl.receipt), err)
		}
		// The receipt decided; the archive, when it is at hand, adds whether
		// the record was disposed of since.
		addDisposals(ctx, e, cfg, key, res)
	} else {
		v, done, err := cfg.openVerifier(ctx, e, key)
		if err != nil {
			return err
		}
		defer done()
		if res, err = v.File(ctx, sum); err != nil {
			return err
		}
	}
	if r := res.Receipt(); fl.saveReceipt != "" && r != nil {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		// A receipt carries the record's metadata: readable by its owner only.
		if err := writePrivate("--save-receipt", fl.saveReceipt, fl.force, func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return err
		}
	}
	rep := verifyReport{File: file, Server: fl.remote.server, Result: res}
	if fl.asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printVerify(e.stdout, rep)
	}
	if !res.Verified {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

// addDisposals marks the offline result's records that the archive has disposed
// of, when the archive is at hand: an S3 bucket fully configured, or a data
// directory with a store (none is made). It is best effort: an offline check
// needs nothing but the receipt and the key, and an archive that cannot be
// reached changes nothing of its verdict.
func addDisposals(ctx context.Context, e env, cfg *config, key note.Verifier, res *verify.Result) {
	if cfg.useS3() && (cfg.s3Bucket == "" || cfg.s3Access == "" || cfg.s3Secret == "") {
		return
	}
	if !cfg.useS3() {
		if _, err := os.Stat(filepath.Join(cfg.data, "store")); err != nil {
			return
		}
	}
	v, done, err := cfg.openVerifier(ctx, e, key)
	if err != nil {
		return
	}
	defer done()
	v.AddDisposals(ctx, res)
}

func printVerify(w io.Writer, rep verifyReport) {
	line := func(label, format string, args ...any) {
		// Padded by width on a terminal: a Chinese label takes two columns a character.
		fmt.Fprintf(w, "  %s %s\n", runewidth.FillRight(label+":", 11), termsafe.Escape(fmt.Sprintf(format, args...)))
	}
	file := termsafe.Escape(rep.File)
	if rep.Verified {
		fmt.Fprintf(w, "VERIFIED: %s is exactly the filed document\n", file)
	} else {
		fmt.Fprintf(w, "NOT VERIFIED: %s\n", file)
		for _, r := range rep.Reasons {
			line("reason", "%s", r)
			line("原因", "%s", r.Chinese())
		}
	}
	line("sha256", "%s", rep.SHA256)
	line("sm3", "%s", rep.SM3)
	line("size", "%d bytes", rep.Size)
	for _, m := range rep.Matches {
		verdict := "verified"
		if !m.Verified {
			verdict = "NOT verified"
		}
		if m.Record != "" {
			superseded := ""
			if m.Latest > m.Version {
				superseded = fmt.Sprintf(", superseded by version %d", m.Latest)
			}
			line("record", "%s version %d (%s%s)", m.Record, m.Version, verdict, superseded)
		}
		if m.Reason != nil {
			line("reason", "%s", m.Reason)
			line("原因", "%s", m.Reason.Chinese())
		}
		if m.Title != "" {
			line("title", "%s", m.Title)
		}
		if m.Project != "" {
			dept := m.Department
			if dept == "" {
				dept = "(department not known)"
			}
			unbound := ""
			if m.Department != "" && !m.ProjectBound {
				unbound = " (project details not in the ledger)"
			}
			line("filed by", "%s, project %s%s", dept, m.Project, unbound)
		}
		if m.Issuer != "" {
			line("issuer", "%s", m.Issuer)
		}
		if !m.FiledAt.IsZero() {
			line("filed at", "%s", m.FiledAt.In(chinaTime).Format("2006-01-02 15:04:05 MST"))
		}
		if m.RecordSchema > archive.SchemaVersion {
			line("schema", "record schema %d, newer than this release's %d: shown as filed", m.RecordSchema, archive.SchemaVersion)
		}
		for _, f := range m.NewFields {
			line("also", "%s: %s", f.Name, f.Value)
		}
		if m.Index >= 0 && m.TreeSize > 0 {
			line("ledger", "entry %d (%s) of %d, checkpoint signed by %s", m.Index, m.Event, m.TreeSize, rep.Key)
		}
		if d := m.Disposed; d != nil {
			line("disposed", "disposed of at the end of its retention, on list %s approved %s by %s (proposed by %s); tombstone version %d",
				d.List, d.Approved.In(chinaTime).Format("2006-01-02 15:04 MST"), d.Approver, d.Proposer, d.Tombstone)
			line("已销毁", "保管期满经批准销毁：销毁清单 %s，%s 由 %s 批准（%s 提出）", d.List,
				d.Approved.In(chinaTime).Format("2006-01-02"), d.Approver, d.Proposer)
			if d.Register != "" {
				line("register", "destruction list (销毁清册) record %s", d.Register)
			}
		}
	}
	for _, d := range rep.Derived {
		what := map[string]string{verify.ContentMarker: "content marker", verify.ByRecordKey: "ledger lookup key",
			verify.ByProjectKey: "ledger lookup key"}[d.Object]
		of := "record " + d.Record
		if d.Project != "" {
			of = "project " + d.Project
		}
		if d.Version > 0 {
			of += fmt.Sprintf(" version %d", d.Version)
		}
		how := "ignored; the ledger was searched instead"
		switch {
		case d.Object == verify.ByProjectKey:
			how = "ignored; the project is shown, not bound"
		case !d.Searched:
			how = "ignored; not searched, another record version verified"
		}
		line("damaged", "the %s of %s is %s (%s)", what, of, d.Problem, how)
	}
	if len(rep.Derived) > 0 {
		line("repair", "%s", "gongshi audit --repair rebuilds the archive's lookups")
	}
	switch {
	case rep.Server != "":
		fmt.Fprintf(w, "  checked here with the verifier key, from the receipts %s handed out\n", termsafe.Escape(rep.Server))
	case rep.Offline:
		fmt.Fprintln(w, "  checked offline, from the receipt and the verifier key alone")
	}
}

// ---- consistency ----

// consistencyReport is what verify --consistency prints.
type consistencyReport = verify.Consistency

func runConsistency(ctx context.Context, e env, cfg *config, fl *verifyFlags, key note.Verifier) error {
	replace := fl.replaceCheckpoint() // decided before the file is read again
	b, err := safefile.ReadFile(fl.consistency)
	if err != nil {
		return fmt.Errorf("--consistency: %v", unwrapPath(err))
	}
	saved, err := verify.SavedCheckpoint(b)
	if err != nil {
		return fmt.Errorf("--consistency %s: %w", termsafe.Escape(fl.consistency), err)
	}
	v, done, err := cfg.openVerifier(ctx, e, key)
	if err != nil {
		return err
	}
	defer done()
	rep, err := v.Consistency(ctx, saved)
	if err != nil {
		return fmt.Errorf("--consistency %s: %w", termsafe.Escape(fl.consistency), err)
	}
	if rep.Consistent && fl.saveCheckpoint != "" {
		if err := writePrivate("--save-checkpoint", fl.saveCheckpoint, replace, func(w io.Writer) error {
			_, err := w.Write([]byte(rep.Checkpoint))
			return err
		}); err != nil {
			return err
		}
	}
	if fl.asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printConsistency(e.stdout, fl, rep)
	}
	if !rep.Consistent {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

// isReceipt tells a receipt (JSON) from a signed checkpoint (a note).
func isReceipt(b []byte) bool { return bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) }

// replaceCheckpoint says whether --save-checkpoint may replace its file: with
// --force, or when it is the checkpoint file that --consistency read, which the
// command exists to update (check, then keep the newer checkpoint in its place).
// A receipt given to --consistency is not replaced by a bare checkpoint without
// --force: the receipt would be lost.
func (fl *verifyFlags) replaceCheckpoint() bool {
	if fl.force {
		return true
	}
	old, err := os.Stat(fl.consistency)
	if err != nil {
		return false
	}
	cur, err := os.Lstat(fl.saveCheckpoint)
	if err != nil || !os.SameFile(old, cur) {
		return false
	}
	b, err := safefile.ReadFile(fl.consistency)
	return err == nil && !isReceipt(b)
}

// checkSaveCheckpoint refuses a --save-checkpoint file before any work is done,
// as writePrivate would refuse it at the end.
func (fl *verifyFlags) checkSaveCheckpoint() error {
	if fl.saveCheckpoint == "" {
		return nil
	}
	if fl.consistency == "" {
		return errors.New("--save-checkpoint goes with --consistency OLD_CHECKPOINT")
	}
	err := checkOutput("--save-checkpoint", fl.saveCheckpoint, fl.replaceCheckpoint())
	if err != nil && !fl.force {
		if old, serr := os.Stat(fl.consistency); serr == nil {
			if cur, lerr := os.Lstat(fl.saveCheckpoint); lerr == nil && os.SameFile(old, cur) {
				return fmt.Errorf("--save-checkpoint %s: it is the receipt that --consistency reads; saving a checkpoint over it would lose the receipt: give another name, or --force", fl.saveCheckpoint)
			}
		}
	}
	return err
}

func printConsistency(w io.Writer, fl *verifyFlags, rep *consistencyReport) {
	if rep.Consistent {
		fmt.Fprintf(w, "CONSISTENT: the ledger %s has %d entries and extends the saved checkpoint of %d entries\n", termsafe.Escape(rep.Origin), rep.NewSize, rep.OldSize)
		fmt.Fprintf(w, "  saved:  size %d, root %s\n  now:    size %d, root %s\n  key:    %s\n", rep.OldSize, rep.OldRoot, rep.NewSize, rep.NewRoot, termsafe.Escape(rep.Key))
		if fl.saveCheckpoint != "" {
			fmt.Fprintf(w, "  saved the new checkpoint to %s\n", termsafe.Escape(fl.saveCheckpoint))
		}
		return
	}
	fmt.Fprintf(w, "NOT CONSISTENT: %s\n", termsafe.Escape(rep.Reason.String()))
	fmt.Fprintf(w, "  原因:  %s\n", termsafe.Escape(rep.Reason.Chinese()))
	if rep.OldSize > 0 || rep.NewSize > 0 {
		fmt.Fprintf(w, "  saved:  size %d, root %s\n  now:    size %d, root %s\n", rep.OldSize, rep.OldRoot, rep.NewSize, rep.NewRoot)
	}
	fmt.Fprintf(w, "  key:    %s\n", termsafe.Escape(rep.Key))
}
