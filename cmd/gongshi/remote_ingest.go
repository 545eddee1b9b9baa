package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
)

// runRemoteIngest is 'gongshi ingest --server URL': each document is uploaded to
// the portal's API (POST /api/v1/records) and filed there, by the same ingest
// library, as the token's account. A batch's manifest is read here and its rows
// are sent one after another; a re-run reports what was filed as already
// filed, as a local batch does.
func runRemoteIngest(ctx context.Context, e env, cfg *config, fl *ingestFlags, target string, batch bool) error {
	if fl.trustRoots != "" || fl.policy != "" || fl.fonds != "" || fl.memory != "" {
		return errors.New("--server files on the server, with the server's trust roots, policy and numbering: drop --trust-roots, --policy, --fonds and --memory-budget")
	}
	c, err := fl.remote.client(e, true)
	if err != nil {
		return err
	}
	if !batch {
		fields := fl.fields()
		if _, problems := ingest.ParseMeta(fields); len(problems) > 0 {
			return fmt.Errorf("%s", strings.Join(problems, "; "))
		}
		delete(fields, "file_name")
		res, err := c.file(ctx, target, *fl.meta["file-name"], fields, fl.publish)
		if err != nil {
			return err
		}
		if fl.asJSON {
			if err := writeJSON(e.stdout, res); err != nil {
				return err
			}
		} else {
			printResult(e.stdout, res.Result)
		}
		if res.Status == ingest.StatusRejected {
			return &exitError{code: exitNo, err: errSilent}
		}
		return remotePublished(e, fl, []remoteResult{res})
	}
	rows, err := ingest.ReadManifest(fl.manifest, target, ingest.ManifestOptions{Encoding: fl.encoding})
	if err != nil {
		return err
	}
	start := time.Now()
	p := newProgress(e, len(rows))
	sum := ingest.Summary{Documents: len(rows)}
	var all []remoteResult
	for _, row := range rows {
		if ctx.Err() != nil {
			break
		}
		var res remoteResult
		path, perr := ingest.ResolveIn(target, row.File)
		switch {
		case len(row.Problems) > 0 || perr != nil:
			res.Path, res.Status, res.Reasons = row.File, ingest.StatusRejected, row.Problems
			if perr != nil && len(row.Problems) == 0 {
				res.Reasons = []string{perr.Error()}
			}
		default:
			if res, err = c.file(ctx, path, row.Meta.FileName, metaFields(row.Meta), fl.publish); err != nil {
				res = remoteResult{Result: ingest.Result{Path: path, Status: ingest.StatusError, Reasons: []string{err.Error()}}}
			}
		}
		switch res.Status {
		case ingest.StatusFiled:
			sum.Filed++
			sum.Bytes += res.Record.Content.Size
		case ingest.StatusAlreadyFiled:
			sum.Already++
		case ingest.StatusRejected:
			sum.Rejected++
		default:
			sum.Errors++
		}
		p.Done(res.Result, res.Record.Content.Size)
		sum.Results = append(sum.Results, res.Result)
		all = append(all, res)
	}
	p.finish()
	sum.Elapsed = time.Since(start)
	return fl.batchDone(ctx, e, cfg, sum, func() error { return remotePublished(e, fl, all) })
}

// remotePublished says, with --publish, what the server published and what it
// refused to (a class that forbids it: exit 1).
func remotePublished(e env, fl *ingestFlags, rs []remoteResult) error {
	if !fl.publish {
		return nil
	}
	refused := false
	for _, r := range rs {
		switch {
		case r.PublishErr != "":
			refused = true
			if !fl.asJSON {
				fmt.Fprintf(e.stdout, "拒绝 refused: %s: %s\n", termsafe.Escape(r.Record.ID), termsafe.Escape(r.PublishErr))
			}
		case len(r.Publication) > 0 && !fl.asJSON:
			var p struct {
				Status archive.PublicationStatus `json:"status"`
			}
			if json.Unmarshal(r.Publication, &p) == nil && p.Status == archive.Published {
				fmt.Fprintf(e.stdout, "已公开 published: %s\n", termsafe.Escape(r.Record.ID))
			}
		}
	}
	if refused {
		return &exitError{code: exitNo, err: errSilent}
	}
	return nil
}
