package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/transfer"
	"github.com/gongshi-archive/gongshi/verify"
)

func newExportCmd(e env, cfg *config) *cobra.Command {
	var out, check, keyText, keyFile string
	var asJSON bool
	c := &cobra.Command{
		Use:   "export PROJECT --out DIR | export --check DIR",
		Short: "Write a project's transfer package (BagIt), or check one (移交)",
		Long: `export writes the records of project PROJECT as a BagIt package (RFC 8493) in the
new directory DIR, for the hand-over to an archives or another system: the project's
versions, every version of every record (tombstones of disposed records too), each
record's content, its four-property report of filing and its ledger receipt, the
ledger's signed checkpoint and public key, manifest-sha256.txt and manifest-sm3.txt,
the tag manifests, bag-info.txt (Payload-Oxum and the archival metadata) and
transfer-check.json: the four-property check at transfer (DA/T 70), made as each
content is copied out of the store. The bag is written beside DIR and renamed into
place when whole; each file is streamed, never held in memory. Exit 1 when the check
at transfer failed for a record (the bag is still written, with the failures in it).

export --check DIR checks a bag as the receiving side would: every payload file in
every manifest with its checksum, no entry without its file, Payload-Oxum, the tag
manifests, and each record's content against its receipt and the ledger key (--key,
known from outside the bag; without it the key in the bag, which shows the bag whole
but not who made it). Exit 1 when the bag is not valid.`,
		Example: `  gongshi export CC-2026-001 --out /media/移交/CC-2026-001
  gongshi export --check /media/移交/CC-2026-001 --key "$(cat ledger.pub)"`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if check != "" {
				if len(args) > 0 || out != "" {
					return errors.New("--check DIR takes no project and no --out")
				}
				var key note.Verifier // none: the bag's own
				if keyText != "" || keyFile != "" {
					k, err := cfg.verifier(keyText, keyFile)
					if err != nil {
						return err
					}
					key = k
				}
				res, err := transfer.Check(ctx, check, key)
				if err != nil {
					return err
				}
				if asJSON {
					if err := writeJSON(e.stdout, res); err != nil {
						return err
					}
				} else {
					printChecked(e, res)
				}
				if !res.Valid {
					return &exitError{code: exitNo, err: errSilent}
				}
				return nil
			}
			if len(args) != 1 || out == "" {
				return errors.New("give the project and --out DIR (or --check DIR)")
			}
			o, err := cfg.open(ctx, e)
			if err != nil {
				return err
			}
			defer o.close()
			st, a, l, k := o.st, o.a, o.l, o.key
			signed, _, err := l.Latest(ctx)
			if err != nil && !errors.Is(err, ledger.ErrNotFound) {
				return err
			}
			v := verify.New(a, ledger.New(st, ledger.Options{Key: ledger.Key{Verifier: k.Verifier}}), k.Verifier, verify.Options{Now: e.now})
			p, err := a.Project(ctx, args[0])
			if err != nil {
				return notFoundExit(err)
			}
			last := time.Now()
			rep, err := transfer.Export(ctx, transfer.Options{Archive: a, Verifier: v, Checkpoint: signed, VerifierKey: k.VerifierKey,
				Organization: p.Department, Agent: "gongshi " + version, Now: e.now,
				Progress: func(done, total int, n int64) {
					if time.Since(last) > 5*time.Second {
						fmt.Fprintf(e.stderr, "export: %d of %d records, %.1f MiB\n", done, total, float64(n)/(1<<20))
						last = time.Now()
					}
				}}, args[0], out)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(e.stdout, rep); err != nil {
					return err
				}
			} else {
				secs := rep.Elapsed.Seconds()
				fmt.Fprintf(e.stdout, "已导出 exported %s to %s: %d records (%d disposed of), %d files, %.1f MiB in %.1f s (%.0f MiB/s)\n",
					rep.Project, termsafe.Escape(rep.Dir), rep.Records, rep.Disposed, rep.Files, float64(rep.Bytes)/(1<<20), secs,
					float64(rep.Bytes)/(1<<20)/max(secs, 1e-3))
				fmt.Fprintf(e.stdout, "移交检测 four-property check at transfer: %s\n", rep.Check.Verdict)
				for _, r := range rep.Check.Records {
					for _, it := range r.Items {
						if it.Outcome != "pass" {
							fmt.Fprintf(e.stdout, "  %s %s %s: %s\n", r.Record, it.Property, it.Outcome, termsafe.Escape(it.Reason))
						}
					}
				}
			}
			if rep.Check.Failed() {
				return &exitError{code: exitNo, err: errSilent}
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "the new directory to write the bag to (must not exist)")
	c.Flags().StringVar(&check, "check", "", "check the bag in this directory instead")
	c.Flags().StringVar(&keyText, "key", "", "with --check: the ledger's verifier key (as 'gongshi keys show' prints it)")
	c.Flags().StringVar(&keyFile, "key-file", "", "with --check: a file holding the verifier key")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return c
}

func printChecked(e env, c transfer.Checked) {
	if c.Valid {
		fmt.Fprintf(e.stdout, "有效 valid bag: %s (BagIt %s), %d files, %.1f MiB, checksums %v\n", termsafe.Escape(c.Dir), c.Version, c.Files,
			float64(c.Bytes)/(1<<20), c.Algorithms)
	} else {
		fmt.Fprintf(e.stdout, "无效 NOT a valid bag: %s: %d problems\n", termsafe.Escape(c.Dir), len(c.Problems))
		for _, p := range c.Problems {
			fmt.Fprintf(e.stdout, "  - %s\n", termsafe.Escape(p))
		}
	}
	if c.Project != "" {
		fmt.Fprintf(e.stdout, "  project %s, %d records, %d receipts verified", c.Project, c.Records, c.Receipts)
		if c.KeyFromBag {
			fmt.Fprint(e.stdout, " (against the key in the bag: give --key to know who made it)")
		}
		fmt.Fprintf(e.stdout, "; check at transfer: %s\n", c.TransferCheck)
	}
}
