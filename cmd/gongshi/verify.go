package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

type verifyFlags struct {
	receipt        string
	saveReceipt    string
	consistency    string
	saveCheckpoint string
	key, keyFile   string
	force          bool
	asJSON         bool
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

verify --consistency OLD proves that the ledger today extends a checkpoint saved
earlier (a checkpoint file, or a receipt, which holds one), or shows that history
was rewritten. Keep the checkpoints you have checked (--save-checkpoint): each is
the evidence for the next check.

The key is --key (the verifier key that 'gongshi keys show' prints), or
--key-file, or the data directory's own key.

Exit codes: 0 verified, 1 not verified (the reason is printed), 2 error.`,
		Example: `  gongshi verify 征收决定.pdf
  gongshi verify 征收决定.pdf --save-receipt 征收决定.receipt.json
  gongshi verify 征收决定.pdf --receipt 征收决定.receipt.json --key "$(cat ledger.pub)"
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
			v, err := cfg.verifier(fl.key, fl.keyFile)
			if err != nil {
				return err
			}
			if fl.consistency != "" {
				return runConsistency(cmd.Context(), e, cfg, fl, v)
			}
			return runVerify(cmd.Context(), e, cfg, fl, v, args[0])
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
	return c
}

// verifyMatch is the verdict on one record version whose content the file is.
type verifyMatch struct {
	Verified   bool   `json:"verified"`
	Reason     string `json:"reason,omitempty"`
	Record     string `json:"record"`
	Version    int    `json:"version"`
	Event      string `json:"event,omitempty"`
	Title      string `json:"title,omitempty"`
	Project    string `json:"project,omitempty"`
	Department string `json:"department,omitempty"`
	Issuer     string `json:"issuer,omitempty"`
	FiledAt    string `json:"filed_at,omitempty"`
	Index      int64  `json:"ledger_index"`
	TreeSize   int64  `json:"tree_size,omitempty"`

	receipt *ledger.Receipt
}

type verifyReport struct {
	Verified bool          `json:"verified"`
	File     string        `json:"file"`
	SHA256   string        `json:"sha256"`
	SM3      string        `json:"sm3"`
	Size     int64         `json:"size"`
	Key      string        `json:"key"`
	Offline  bool          `json:"offline"`
	Reason   string        `json:"reason,omitempty"`
	Matches  []verifyMatch `json:"matches"`
}

func digestFile(ctx context.Context, path string) (archive.Digests, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return archive.Digests{}, fmt.Errorf("cannot read %s: %v", path, unwrapPath(err))
	}
	defer f.Close()
	d := archive.NewDigester()
	if _, err := io.Copy(d, f); err != nil {
		return archive.Digests{}, fmt.Errorf("cannot read %s: %v", path, err)
	}
	return d.Sum(), ctx.Err()
}

func keyName(v note.Verifier) string { return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()) }

func runVerify(ctx context.Context, e env, cfg *config, fl *verifyFlags, v note.Verifier, file string) error {
	sum, err := digestFile(ctx, file)
	if err != nil {
		return err
	}
	rep := verifyReport{File: file, SHA256: sum.SHA256.String(), SM3: sum.SM3.String(), Size: sum.Size,
		Key: keyName(v), Offline: fl.receipt != "", Matches: []verifyMatch{}}
	if fl.receipt != "" {
		b, err := safefile.ReadFile(fl.receipt)
		if err != nil {
			return fmt.Errorf("--receipt: %v", unwrapPath(err))
		}
		r, err := ledger.ParseReceipt(b)
		if err != nil {
			return fmt.Errorf("--receipt %s: %w", fl.receipt, err)
		}
		m, err := checkReceipt(r, v, sum)
		if err != nil {
			return err
		}
		rep.Matches = append(rep.Matches, m)
	} else {
		if err := verifyInArchive(ctx, e, cfg, v, sum, &rep); err != nil {
			return err
		}
	}
	// The file is a filed document when one record version with its content
	// verifies; others that do not are listed with their reasons (an archive
	// problem for the audit, not a property of the file).
	for _, m := range rep.Matches {
		rep.Verified = rep.Verified || m.Verified
	}
	if len(rep.Matches) == 0 && rep.Reason == "" {
		rep.Reason = "no record in the archive has this content (SHA-256 " + rep.SHA256 + ")"
	}
	if fl.saveReceipt != "" {
		if err := saveReceipt(fl.saveReceipt, fl.force, rep); err != nil {
			return err
		}
	}
	if fl.asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		printVerify(e.stdout, rep)
	}
	if !rep.Verified {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

// checkReceipt verifies r against the file's digests; a "no" is a match that is
// not verified, anything else an error.
func checkReceipt(r ledger.Receipt, v note.Verifier, sum archive.Digests) (verifyMatch, error) {
	got, err := ledger.VerifyReceipt(r, v, &sum)
	m := verifyMatch{Verified: err == nil, Record: got.Event.RecordID, Version: got.Event.Version,
		Event: string(got.Event.Kind), Index: r.Index, TreeSize: got.Checkpoint.Size, receipt: &r}
	if err != nil {
		if !errors.Is(err, ledger.ErrNotVerified) {
			return m, err
		}
		m.Reason = strings.TrimPrefix(err.Error(), ledger.ErrNotVerified.Error()+": ")
	}
	if !got.Event.Time.IsZero() {
		m.FiledAt = got.Event.Time.In(chinaTime).Format("2006-01-02 15:04:05 MST")
	}
	if got.Record != nil {
		m.Title, m.Project, m.Issuer = got.Record.Title, got.Record.Project, got.Record.Issuer
	}
	if got.Project != nil {
		m.Department = got.Project.Department
	}
	return m, nil
}

// verifyInArchive finds the record versions whose content has the file's SHA-256
// and checks each one's ledger entry.
func verifyInArchive(ctx context.Context, e env, cfg *config, v note.Verifier, sum archive.Digests, rep *verifyReport) error {
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	a := archive.New(st, archive.Options{Now: e.now})
	// Only the verifier: verify reads the ledger as its checkpoints say, and
	// checks them with the key it was given, not with whatever key is at hand.
	l := ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: v}})
	ids, err := a.RecordsByContent(ctx, sum.SHA256)
	if err != nil {
		return err
	}
	for _, id := range ids {
		versions, err := a.RecordVersions(ctx, id)
		if err != nil {
			return err
		}
		for _, rec := range versions {
			if rec.Content.SHA256 != sum.SHA256 {
				continue
			}
			m, err := verifyVersion(ctx, a, l, v, rec, sum)
			if err != nil {
				return err
			}
			rep.Matches = append(rep.Matches, m)
		}
	}
	return nil
}

func verifyVersion(ctx context.Context, a *archive.Archive, l *ledger.Log, v note.Verifier, rec archive.Record, sum archive.Digests) (verifyMatch, error) {
	no := func(format string, args ...any) (verifyMatch, error) {
		return verifyMatch{Record: rec.ID, Version: rec.Version, Title: rec.Title, Project: rec.Project,
			Issuer: rec.Issuer, Index: -1, Reason: fmt.Sprintf(format, args...)}, nil
	}
	kind := archive.EventFile
	if rec.Version > 1 {
		kind = archive.EventNewVersion
	}
	locs, err := l.Lookup(ctx, rec.ID, rec.Version)
	if err != nil {
		return verifyMatch{}, err
	}
	var loc *ledger.Located
	for i := range locs {
		if locs[i].Kind == kind {
			loc = &locs[i]
		}
	}
	if loc == nil {
		return no("record %s version %d is not in the ledger", rec.ID, rec.Version)
	}
	r, err := l.Receipt(ctx, *loc)
	switch {
	case errors.Is(err, ledger.ErrNotVerified):
		return no("%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case errors.Is(err, ledger.ErrNotFound):
		return no("record %s version %d is in ledger entry %d, which no signed checkpoint covers yet", rec.ID, rec.Version, loc.Index)
	case err != nil:
		return verifyMatch{}, err
	}
	b, err := a.RecordVersionBytes(ctx, rec.ID, rec.Version)
	if err != nil {
		return verifyMatch{}, err
	}
	r.Record = string(b)
	if p, err := a.Project(ctx, rec.Project); err == nil {
		if pb, err := archive.EncodeProject(p); err == nil {
			r.Project = string(pb)
		}
	}
	return checkReceipt(r, v, sum)
}

func saveReceipt(path string, force bool, rep verifyReport) error {
	for _, m := range rep.Matches {
		if m.Verified && m.receipt != nil {
			b, err := json.MarshalIndent(m.receipt, "", "  ")
			if err != nil {
				return err
			}
			return writePrivate("--save-receipt", path, force, func(w io.Writer) error {
				_, err := w.Write(append(b, '\n'))
				return err
			})
		}
	}
	return nil // nothing verified, nothing to save
}

func printVerify(w io.Writer, rep verifyReport) {
	if rep.Verified {
		fmt.Fprintf(w, "VERIFIED: %s is exactly the filed document\n", termsafe.Escape(rep.File))
	} else {
		fmt.Fprintf(w, "NOT VERIFIED: %s\n", termsafe.Escape(rep.File))
		if rep.Reason != "" {
			fmt.Fprintf(w, "  reason:     %s\n", termsafe.Escape(rep.Reason))
		}
	}
	fmt.Fprintf(w, "  sha256:     %s\n  sm3:        %s\n  size:       %d bytes\n", rep.SHA256, rep.SM3, rep.Size)
	for _, m := range rep.Matches {
		verdict := "verified"
		if !m.Verified {
			verdict = "NOT verified"
		}
		if m.Record != "" {
			fmt.Fprintf(w, "  record:     %s version %d (%s)\n", m.Record, m.Version, verdict)
		}
		if !m.Verified {
			fmt.Fprintf(w, "  reason:     %s\n", termsafe.Escape(m.Reason))
		}
		if m.Title != "" {
			fmt.Fprintf(w, "  title:      %s\n", termsafe.Escape(m.Title))
		}
		if m.Project != "" {
			dept := m.Department
			if dept == "" {
				dept = "(department not known)"
			}
			fmt.Fprintf(w, "  filed by:   %s, project %s\n", termsafe.Escape(dept), termsafe.Escape(m.Project))
		}
		if m.Issuer != "" {
			fmt.Fprintf(w, "  issuer:     %s\n", termsafe.Escape(m.Issuer))
		}
		if m.FiledAt != "" {
			fmt.Fprintf(w, "  filed at:   %s\n", m.FiledAt)
		}
		if m.Index >= 0 && m.TreeSize > 0 {
			fmt.Fprintf(w, "  ledger:     entry %d (%s) of %d, checkpoint signed by %s\n", m.Index, m.Event, m.TreeSize, rep.Key)
		}
	}
	if rep.Offline {
		fmt.Fprintln(w, "  checked offline, from the receipt and the verifier key alone")
	}
}

// ---- consistency ----

type consistencyReport struct {
	Consistent bool   `json:"consistent"`
	Reason     string `json:"reason,omitempty"`
	Origin     string `json:"origin"`
	Key        string `json:"key"`
	OldSize    int64  `json:"old_size"`
	OldRoot    string `json:"old_root"`
	NewSize    int64  `json:"new_size"`
	NewRoot    string `json:"new_root"`
	Checkpoint string `json:"checkpoint,omitempty"`
}

// readCheckpointFile reads a signed checkpoint, or the checkpoint of a receipt.
func readCheckpointFile(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--consistency: %v", unwrapPath(err))
	}
	if isReceipt(b) {
		r, err := ledger.ParseReceipt(b)
		if err != nil {
			return nil, fmt.Errorf("--consistency %s: %w", path, err)
		}
		return []byte(r.Checkpoint), nil
	}
	return b, nil
}

func runConsistency(ctx context.Context, e env, cfg *config, fl *verifyFlags, v note.Verifier) error {
	signed, err := readCheckpointFile(fl.consistency)
	if err != nil {
		return err
	}
	rep := consistencyReport{Key: keyName(v), Origin: v.Name()}
	old, err := ledger.OpenCheckpoint(signed, v)
	if err != nil {
		if !errors.Is(err, ledger.ErrNotVerified) {
			return fmt.Errorf("--consistency %s: %w", fl.consistency, err)
		}
		rep.Reason = "the saved checkpoint: " + strings.TrimPrefix(err.Error(), ledger.ErrNotVerified.Error()+": ")
		return reportConsistency(e, fl, rep)
	}
	rep.OldSize, rep.OldRoot = old.Size, b64(old.Root[:])
	st, err := cfg.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	l := ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: v}})
	now, cp, proof, err := l.ProveConsistency(ctx, old.Size)
	if err == nil {
		rep.NewSize, rep.NewRoot = cp.Size, b64(cp.Root[:])
		err = ledger.CheckConsistency(old, cp, proof)
	}
	switch {
	case err == nil:
		rep.Consistent, rep.Checkpoint = true, string(now)
		if fl.saveCheckpoint != "" {
			if err := writePrivate("--save-checkpoint", fl.saveCheckpoint, fl.replaceCheckpoint(), func(w io.Writer) error {
				_, err := w.Write(now)
				return err
			}); err != nil {
				return err
			}
		}
	case errors.Is(err, ledger.ErrNotVerified):
		rep.Reason = strings.TrimPrefix(err.Error(), ledger.ErrNotVerified.Error()+": ")
	default:
		return err
	}
	return reportConsistency(e, fl, rep)
}

// isReceipt tells a receipt (JSON) from a signed checkpoint (a note).
func isReceipt(b []byte) bool { return strings.HasPrefix(strings.TrimSpace(string(b)), "{") }

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

func reportConsistency(e env, fl *verifyFlags, rep consistencyReport) error {
	if fl.asJSON {
		if err := writeJSON(e.stdout, rep); err != nil {
			return err
		}
	} else if rep.Consistent {
		fmt.Fprintf(e.stdout, "CONSISTENT: the ledger %s has %d entries and extends the saved checkpoint of %d entries\n", rep.Origin, rep.NewSize, rep.OldSize)
		fmt.Fprintf(e.stdout, "  saved:  size %d, root %s\n  now:    size %d, root %s\n  key:    %s\n", rep.OldSize, rep.OldRoot, rep.NewSize, rep.NewRoot, rep.Key)
		if fl.saveCheckpoint != "" {
			fmt.Fprintf(e.stdout, "  saved the new checkpoint to %s\n", termsafe.Escape(fl.saveCheckpoint))
		}
	} else {
		fmt.Fprintf(e.stdout, "NOT CONSISTENT: %s\n", termsafe.Escape(rep.Reason))
		if rep.OldSize > 0 || rep.NewSize > 0 {
			fmt.Fprintf(e.stdout, "  saved:  size %d, root %s\n  now:    size %d, root %s\n", rep.OldSize, rep.OldRoot, rep.NewSize, rep.NewRoot)
		}
		fmt.Fprintf(e.stdout, "  key:    %s\n", rep.Key)
	}
	if !rep.Consistent {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
