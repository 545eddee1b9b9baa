package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/ingest"
	"github.com/gongshi-archive/gongshi/verify"
)

// Archive is what an export reads of the archive; *archive.Archive implements it.
type Archive interface {
	Project(ctx context.Context, code string) (archive.Project, error)
	ProjectVersionBytes(ctx context.Context, code string, n int) ([]byte, error)
	Records(ctx context.Context, fn func(archive.Record) error) error
	RecordVersions(ctx context.Context, id string) ([]archive.Record, error)
	RecordVersionBytes(ctx context.Context, id string, n int) ([]byte, error)
	OpenContent(ctx context.Context, h archive.Hash) (io.ReadCloser, error)
	TableStore() *archive.Versions[archive.Table]
	Catalogue() *archive.Catalogue
}

// Verifier proves each record version against the ledger; *verify.Verifier
// implements it.
type Verifier interface {
	File(ctx context.Context, d archive.Digests) (*verify.Result, error)
}

// Options are an export's.
type Options struct {
	Archive  Archive
	Verifier Verifier
	// Checkpoint is the ledger's latest signed checkpoint, VerifierKey the
	// ledger's public key (note verifier key text): both go into the bag, so that
	// the receiving side can check the receipts offline.
	Checkpoint  []byte
	VerifierKey string
	// Organization is who transfers (Source-Organization); Agent the software
	// (Bag-Software-Agent).
	Organization string
	Agent        string
	Now          func() time.Time
	// Progress, when set, is called after each record with the records and
	// bytes done so far.
	Progress func(records, total int, bytes int64)
}

// Report is what an export did.
type Report struct {
	Project string `json:"project"`
	Dir     string `json:"dir"`
	Records int    `json:"records"`
	// Files and Bytes are the payload's (Payload-Oxum).
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
	// Disposed are the records disposed of: their versions (the tombstone
	// last) are in the bag, their content is not.
	Disposed int `json:"disposed"`
	// Check is the four-property check at transfer.
	Check   TransferCheck `json:"check"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// TransferCheck is the four-property check at transfer (移交四性检测), stored in the bag
// as transfer-check.json: one report per record, in ingest's form.
type TransferCheck struct {
	Standard string         `json:"standard"`
	Stage    string         `json:"stage"`
	Project  string         `json:"project"`
	At       time.Time      `json:"checked_at"`
	Verdict  ingest.Verdict `json:"verdict"`
	Records  []RecordCheck  `json:"records"`
}

// RecordCheck is the check of one record.
type RecordCheck struct {
	Record  string         `json:"record"`
	Version int            `json:"version"`
	Verdict ingest.Verdict `json:"verdict"`
	Items   []ingest.Item  `json:"items"`
}

func (c *RecordCheck) add(p ingest.Property, check string, o ingest.Outcome, zh, en string, args ...any) {
	c.Items = append(c.Items, ingest.Item{Property: p, Check: check, Outcome: o, Reason: zh + " — " + fmt.Sprintf(en, args...)})
	if o == ingest.Fail {
		c.Verdict = ingest.Rejected
	}
}

// Failed reports whether any record failed the check.
func (c TransferCheck) Failed() bool { return c.Verdict == ingest.Rejected }

// The bag's layout, under data/.
func projectVersionPath(n int) string { return slash("data", "project", fmt.Sprintf("%06d.json", n)) }
func recordVersionPath(id string, n int) string {
	return slash("data", "records", id, fmt.Sprintf("%06d.json", n))
}
func contentPath(r archive.Record) string {
	return slash("data", "records", r.ID, "content."+r.Format)
}
func reportPath(id string) string  { return slash("data", "records", id, "report.json") }
func receiptPath(id string) string { return slash("data", "records", id, "receipt.json") }
func tableVersionPath(id string, n int) string {
	return slash("data", "records", id, "table", fmt.Sprintf("%06d.json", n))
}
func tableCSVPath(id string) string { return slash("data", "records", id, "table", "table.csv") }

const (
	checkpointPath = "data/ledger/checkpoint"
	keyPath        = "data/ledger/key.txt"
)

// Export writes project code's transfer package to the new directory dir.
func Export(ctx context.Context, o Options, code, dir string) (Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	start := time.Now()
	p, err := o.Archive.Project(ctx, code)
	if err != nil {
		return Report{}, fmt.Errorf("transfer: project %s: %w", code, err)
	}
	var recs []archive.Record
	if err := o.Archive.Records(ctx, func(r archive.Record) error {
		if r.Project == code {
			recs = append(recs, r)
		}
		return nil
	}); err != nil {
		return Report{}, fmt.Errorf("transfer: records of %s: %w", code, err)
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].ArchivalCode != recs[j].ArchivalCode {
			return recs[i].ArchivalCode < recs[j].ArchivalCode
		}
		return recs[i].ID < recs[j].ID
	})
	b, err := newBagWriter(dir)
	if err != nil {
		return Report{}, fmt.Errorf("transfer: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			b.abort()
		}
	}()
	rep := Report{Project: code, Dir: dir, Records: len(recs)}
	at := now()
	chk := TransferCheck{Standard: "DA/T 70-2018", Stage: "transfer", Project: code, At: at, Verdict: ingest.Accepted}
	for n := 1; n <= p.Version; n++ {
		raw, err := o.Archive.ProjectVersionBytes(ctx, code, n)
		if err != nil {
			return rep, fmt.Errorf("transfer: project %s version %d: %w", code, n, err)
		}
		if _, err := b.writeBytes(projectVersionPath(n), raw); err != nil {
			return rep, fmt.Errorf("transfer: %w", err)
		}
	}
	if len(o.Checkpoint) > 0 {
		if _, err := b.writeBytes(checkpointPath, o.Checkpoint); err != nil {
			return rep, fmt.Errorf("transfer: %w", err)
		}
	}
	if o.VerifierKey != "" {
		if _, err := b.writeBytes(keyPath, []byte(o.VerifierKey+"\n")); err != nil {
			return rep, fmt.Errorf("transfer: %w", err)
		}
	}
	for i, r := range recs {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		rc, err := exportRecord(ctx, o, b, r)
		if err != nil {
			return rep, fmt.Errorf("transfer: record %s: %w", r.ID, err)
		}
		if r.Disposal != nil {
			rep.Disposed++
		}
		if rc.Verdict == ingest.Rejected {
			chk.Verdict = ingest.Rejected
		}
		chk.Records = append(chk.Records, rc)
		if o.Progress != nil {
			o.Progress(i+1, len(recs), b.oxumBytes)
		}
	}
	checkJSONBytes, err := json.MarshalIndent(chk, "", "  ")
	if err != nil {
		return rep, err
	}
	if _, err := b.writeBytes(checkJSON, append(checkJSONBytes, '\n')); err != nil {
		return rep, fmt.Errorf("transfer: %w", err)
	}
	if _, err := b.writeBytes(bagitTxt, []byte(bagitDeclared)); err != nil {
		return rep, fmt.Errorf("transfer: %w", err)
	}
	info := bagInfo([][2]string{
		{"Source-Organization", o.Organization},
		{"Bagging-Date", at.In(chinaZone).Format("2006-01-02")},
		{"Payload-Oxum", fmt.Sprintf("%d.%d", b.oxumBytes, b.oxumFiles)},
		{"External-Identifier", code},
		{"External-Description", p.Name},
		{"Bag-Software-Agent", o.Agent},
		{"Bag-Group-Identifier", code},
		{"Gongshi-Project-Code", code},
		{"Gongshi-Project-Name", p.Name},
		{"Gongshi-Project-City", p.City},
		{"Gongshi-Project-District", p.District},
		{"Gongshi-Project-Department", p.Department},
		{"Gongshi-Project-Version", fmt.Sprint(p.Version)},
		{"Gongshi-Records", fmt.Sprint(len(recs))},
		{"Gongshi-Records-Disposed", fmt.Sprint(rep.Disposed)},
		{"Gongshi-Transfer-Check", string(chk.Verdict)},
		{"Gongshi-Ledger-Key", o.VerifierKey},
	})
	if _, err := b.writeBytes(bagInfoTxt, info); err != nil {
		return rep, fmt.Errorf("transfer: %w", err)
	}
	rep.Files, rep.Bytes = b.oxumFiles, b.oxumBytes
	if err := b.finish(); err != nil {
		return rep, fmt.Errorf("transfer: %w", err)
	}
	ok = true
	rep.Check = chk
	rep.Elapsed = time.Since(start)
	return rep, nil
}

var chinaZone = time.FixedZone("CST", 8*3600)

// exportRecord writes record r (its latest version) into the bag: every
// version, its content, report, receipt and table, and checks it.
func exportRecord(ctx context.Context, o Options, b *bagWriter, r archive.Record) (RecordCheck, error) {
	rc := RecordCheck{Record: r.ID, Version: r.Version, Verdict: ingest.Accepted}
	for n := 1; n <= r.Version; n++ {
		raw, err := o.Archive.RecordVersionBytes(ctx, r.ID, n)
		if err != nil {
			return rc, err
		}
		if _, err := b.writeBytes(recordVersionPath(r.ID, n), raw); err != nil {
			return rc, err
		}
	}
	// The per-household table goes with its record: every version (for a
	// disposed record too: the versions are its metadata, kept as the record's
	// are), and below the CSV of the last.
	table, err := writeTableVersions(ctx, b, o.Archive.TableStore(), r.ID)
	if err != nil {
		return rc, err
	}
	if r.Disposal != nil {
		what := "its versions and tombstone are in the bag, its content is not"
		if table != nil {
			what = "its versions and tombstone and its table's versions are in the bag, its content and the table's CSV are not"
		}
		rc.add(ingest.Integrity, "disposed", ingest.Pass, "已按保管期限销毁，仅移交目录与销毁记录",
			"disposed of on list %s approved by %s: %s", r.Disposal.List, r.Disposal.Approver, what)
		return rc, nil
	}
	// The content, copied once through both digests.
	rd, err := o.Archive.OpenContent(ctx, r.Content.SHA256)
	if errors.Is(err, archive.ErrNotFound) {
		rc.add(ingest.Integrity, "content", ingest.Fail, "电子文件缺失", "the content %s is not in the store (run gongshi audit)", r.Content.SHA256)
		return rc, nil
	}
	if err != nil {
		return rc, err
	}
	head := &headTail{}
	got, err := b.write(contentPath(r), io.TeeReader(rd, head))
	rd.Close()
	if err != nil {
		return rc, err
	}
	if got != r.Content {
		rc.add(ingest.Authenticity, "fixity", ingest.Fail, "固化信息不一致",
			"read SHA-256 %s, SM3 %s, %d bytes; the record says SHA-256 %s, SM3 %s, %d bytes", got.SHA256, got.SM3, got.Size,
			r.Content.SHA256, r.Content.SM3, r.Content.Size)
	} else {
		rc.add(ingest.Authenticity, "fixity", ingest.Pass, "固化信息一致", "SHA-256 %s, SM3 %s, %d bytes, as filed", got.SHA256, got.SM3, got.Size)
	}
	// The ledger: the record version's receipt.
	if o.Verifier != nil {
		res, err := o.Verifier.File(ctx, r.Content)
		if err != nil {
			return rc, err
		}
		var rcpt *verify.Match
		for i, m := range res.Matches {
			if m.Record == r.ID && m.Verified && (rcpt == nil || m.Version > rcpt.Version) {
				rcpt = &res.Matches[i]
			}
		}
		if rcpt == nil || rcpt.Receipt() == nil {
			rc.add(ingest.Authenticity, "ledger", ingest.Fail, "账本核验未通过", "no ledger entry under a signed checkpoint proves this record's content")
		} else {
			js, err := json.MarshalIndent(rcpt.Receipt(), "", "  ")
			if err != nil {
				return rc, err
			}
			if _, err := b.writeBytes(receiptPath(r.ID), append(js, '\n')); err != nil {
				return rc, err
			}
			rc.add(ingest.Authenticity, "ledger", ingest.Pass, "账本核验通过", "version %d is entry %d of the ledger, proved under the checkpoint of size %d (receipt.json)",
				rcpt.Version, rcpt.Index, rcpt.TreeSize)
		}
	}
	// Integrity: the metadata as the catalogue asks for it.
	if err := o.Archive.Catalogue().ValidateRecord(r, r.FiledAt); err != nil {
		rc.add(ingest.Integrity, "metadata", ingest.Fail, "元数据不完整或有误", "%v", err)
	} else {
		rc.add(ingest.Integrity, "metadata", ingest.Pass, "元数据完整", "the record's metadata passes the catalogue's rules for type %s", r.Type)
	}
	// Usability: the bytes are of the format the record says.
	if why := head.formatProblem(r.Format); why != "" {
		rc.add(ingest.Usability, "format", ingest.Fail, "文件格式不可用", "%s", why)
	} else {
		rc.add(ingest.Usability, "format", ingest.Pass, "文件格式可用", "the content is %s, as the record says", r.Format)
	}
	// Security: the filing's own check of the content (active content, signatures).
	if len(r.Report) > 0 {
		if _, err := b.writeBytes(reportPath(r.ID), r.Report); err != nil {
			return rc, err
		}
		var filed ingest.Report
		if err := json.Unmarshal(r.Report, &filed); err != nil {
			rc.add(ingest.Security, "filing_report", ingest.Warn, "归档检测报告无法读取", "the four-property report of filing does not decode: %v", err)
		} else if fails := filed.Failures(); len(fails) > 0 {
			rc.add(ingest.Security, "filing_report", ingest.Fail, "归档检测有不通过项", "the report of filing has %d failed checks", len(fails))
		} else {
			rc.add(ingest.Security, "filing_report", ingest.Pass, "归档检测通过", "the four-property report of filing (report.json) passed, %d warnings", len(filed.Warnings()))
		}
	} else {
		rc.add(ingest.Security, "filing_report", ingest.Warn, "无归档检测报告", "filed without a four-property report (not through gongshi ingest)")
	}
	// The table's CSV, as attached (its last version's).
	if t := table; t != nil {
		rd, err := o.Archive.OpenContent(ctx, t.Content.SHA256)
		if err != nil {
			return rc, fmt.Errorf("table: %w", err)
		}
		got, err := b.write(tableCSVPath(r.ID), rd)
		rd.Close()
		if err != nil {
			return rc, err
		}
		if got != t.Content {
			rc.add(ingest.Authenticity, "table", ingest.Fail, "分户表固化信息不一致", "the table's CSV read SHA-256 %s, the table says %s", got.SHA256, t.Content.SHA256)
		} else {
			rc.add(ingest.Authenticity, "table", ingest.Pass, "分户表固化信息一致", "the table's CSV is as attached (SHA-256 %s)", got.SHA256)
		}
	}
	return rc, nil
}

// writeTableVersions writes every version of record id's per-household table
// as stored, and returns the last (nil when the record has no table).
func writeTableVersions(ctx context.Context, b *bagWriter, tables *archive.Versions[archive.Table], id string) (*archive.Table, error) {
	ns, err := tables.Numbers(ctx, id)
	if errors.Is(err, archive.ErrNotFound) || err == nil && len(ns) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		raw, err := tables.Bytes(ctx, id, n)
		if err != nil {
			return nil, err
		}
		if _, err := b.writeBytes(tableVersionPath(id, n), raw); err != nil {
			return nil, err
		}
	}
	t, err := tables.Get(ctx, id, ns[len(ns)-1])
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// headTail keeps the first and last bytes of a stream, to tell its format.
type headTail struct {
	head, tail []byte
}

const headTailSize = 1024

func (h *headTail) Write(p []byte) (int, error) {
	if need := headTailSize - len(h.head); need > 0 {
		h.head = append(h.head, p[:min(need, len(p))]...)
	}
	if len(p) >= headTailSize {
		h.tail = append(h.tail[:0], p[len(p)-headTailSize:]...)
	} else {
		h.tail = append(h.tail, p...)
		if len(h.tail) > headTailSize {
			h.tail = append(h.tail[:0], h.tail[len(h.tail)-headTailSize:]...)
		}
	}
	return len(p), nil
}

// formatProblem says why the bytes seen are not of format, or "".
func (h *headTail) formatProblem(format string) string {
	switch format {
	case "pdf":
		if !bytes.HasPrefix(h.head, []byte("%PDF-")) {
			return "the content does not begin with %PDF-"
		}
		if !bytes.Contains(h.tail, []byte("%%EOF")) {
			return "the content has no %%EOF at its end (cut short?)"
		}
	case "ofd":
		if !bytes.HasPrefix(h.head, []byte("PK\x03\x04")) {
			return "the content is not a ZIP container, as OFD is"
		}
	case "csv":
		if bytes.IndexByte(h.head, 0) >= 0 {
			return "the content is not text (a NUL byte)"
		}
	}
	return ""
}
