package ingest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/safefile"
)

// Policy says what outcome the findings get that a deployment may weigh
// differently per document type: Fail refuses the document, Warn files it with a
// warning in its report, Pass files it without a word. The rest (a file that is
// not a PDF, a PDF that does not open, metadata that breaks the catalogue)
// always fails. A policy file says accept, warn or reject (Outcome's
// UnmarshalText).
type Policy struct {
	InvalidSignature   Outcome `json:"invalid_signature"`   // signed bytes changed, or signature data broken
	UntrustedSignature Outcome `json:"untrusted_signature"` // intact, but not chained to a trust root
	PartialSignature   Outcome `json:"partial_signature"`   // changes appended after signing
	Unsigned           Outcome `json:"unsigned"`            // no signature at all
	Encrypted          Outcome `json:"encrypted"`
	JavaScript         Outcome `json:"javascript"`
	Launch             Outcome `json:"launch"`
	EmbeddedFile       Outcome `json:"embedded_file"`
}

// DefaultPolicy is the default: invalid signatures, encryption, JavaScript
// and launch actions reject; untrusted, partial and missing signatures and
// embedded files are accepted with a warning.
func DefaultPolicy() Policy {
	return Policy{
		InvalidSignature: Fail, UntrustedSignature: Warn, PartialSignature: Warn, Unsigned: Warn,
		Encrypted: Fail, JavaScript: Fail, Launch: Fail, EmbeddedFile: Warn,
	}
}

// outcomes points at the policy's fields, in their order.
func (p *Policy) outcomes() []*Outcome {
	return []*Outcome{&p.InvalidSignature, &p.UntrustedSignature, &p.PartialSignature, &p.Unsigned,
		&p.Encrypted, &p.JavaScript, &p.Launch, &p.EmbeddedFile}
}

// over returns p with the outcomes that o sets.
func (p Policy) over(o Policy) Policy {
	dst := p.outcomes()
	for i, src := range o.outcomes() {
		if *src != "" {
			*dst[i] = *src
		}
	}
	return p
}

// Policies are the default policy and overrides per document type.
type Policies struct {
	Default Policy            `json:"default"`
	Types   map[string]Policy `json:"types,omitempty"`
}

// For returns the policy of document type code: the type's override where it
// sets an outcome, else the default's.
func (p Policies) For(code string) Policy { return p.Default.over(p.Types[code]) }

// LoadPolicies reads a policy file: {"default": {...}, "types": {"decision":
// {"unsigned": "reject"}}}; outcomes left out keep the built-in defaults.
func LoadPolicies(path string) (Policies, error) {
	b, err := safefile.ReadFile(path)
	if err != nil {
		return Policies{}, fmt.Errorf("ingest: policy: %w", err)
	}
	var p Policies
	if err := json.Unmarshal(b, &p); err != nil {
		return Policies{}, fmt.Errorf("ingest: policy %s: %w", path, err)
	}
	check := func(what string, pol Policy) error {
		for _, o := range pol.outcomes() {
			if *o != "" && *o != Pass && *o != Warn && *o != Fail {
				return fmt.Errorf("ingest: policy %s: %s: %q (want accept, warn or reject)", path, what, *o)
			}
		}
		return nil
	}
	if err := check("default", p.Default); err != nil {
		return Policies{}, err
	}
	for k, t := range p.Types {
		if err := check("type "+k, t); err != nil {
			return Policies{}, err
		}
	}
	p.Default = DefaultPolicy().over(p.Default)
	return p, nil
}

// Property is one of the four properties of DA/T 70-2018.
type Property string

// The four properties.
const (
	Authenticity Property = "authenticity" // 真实性
	Integrity    Property = "integrity"    // 完整性
	Usability    Property = "usability"    // 可用性
	Security     Property = "security"     // 安全性
)

// Properties lists the four in the standard's order.
func Properties() []Property { return []Property{Authenticity, Integrity, Usability, Security} }

// Label is the property's name in Chinese and English.
func (p Property) Label() string {
	switch p {
	case Authenticity:
		return "真实性 Authenticity"
	case Integrity:
		return "完整性 Integrity"
	case Usability:
		return "可用性 Usability"
	case Security:
		return "安全性 Security"
	}
	return string(p)
}

// Outcome is the result of one check, and what a policy gives a finding. Fail
// anywhere makes the report's verdict Rejected.
type Outcome string

// The outcomes.
const (
	Pass Outcome = "pass"
	Warn Outcome = "warn"
	Fail Outcome = "fail"
)

// UnmarshalText reads an outcome as a report stores it (pass, warn, fail), or as
// a policy file says what to do (accept, warn, reject: accept is Pass, reject
// is Fail). Another word is kept as it is, for the caller to judge: a report is
// shown as stored, a policy file is refused (LoadPolicies).
func (o *Outcome) UnmarshalText(b []byte) error {
	switch w := Outcome(b); w {
	case "accept":
		*o = Pass
	case "reject":
		*o = Fail
	default:
		*o = w
	}
	return nil
}

// Label is the outcome in Chinese and English.
func (o Outcome) Label() string {
	switch o {
	case Pass:
		return "通过 pass"
	case Warn:
		return "警告 warn"
	case Fail:
		return "不通过 fail"
	}
	return string(o)
}

// Item is one check of the report.
type Item struct {
	Property Property `json:"property"`
	// Check names the check, e.g. "signature", "format", "metadata".
	Check   string  `json:"check"`
	Outcome Outcome `json:"outcome"`
	// Reason says why, Chinese first, then English.
	Reason string `json:"reason"`
}

// Verdict is a report's judgement of the document as a whole.
type Verdict string

// The verdicts.
const (
	Accepted Verdict = "accepted" // no check failed: the document may be filed
	Rejected Verdict = "rejected" // some check failed: nothing is stored
)

// Report is the four-property report of one filing (四性检测报告). It is stored
// with the record version it accepted (archive.Record.Report).
type Report struct {
	Standard string    `json:"standard"`
	Stage    string    `json:"stage"`
	Verdict  Verdict   `json:"verdict"`
	Items    []Item    `json:"items"`
	At       time.Time `json:"checked_at"`
}

// Rejected reports whether any check failed.
func (r *Report) Rejected() bool { return r.Verdict == Rejected }

// Failures returns the failed items: every reason for a rejection, at once.
func (r *Report) Failures() []Item { return r.itemsWith(Fail) }

// Warnings returns the items that warn.
func (r *Report) Warnings() []Item { return r.itemsWith(Warn) }

func (r *Report) itemsWith(o Outcome) []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Outcome == o {
			out = append(out, it)
		}
	}
	return out
}

func (r *Report) add(p Property, check string, o Outcome, zh, en string, args ...any) {
	r.Items = append(r.Items, Item{Property: p, Check: check, Outcome: o,
		Reason: zh + " — " + fmt.Sprintf(en, args...)})
}

// Check weighs the inspection and the record's metadata (with the inspection's
// findings already filled in: format, pages, file name, digests) against the
// catalogue and the policy, at time now. It lists every finding, so that a
// rejected filing can be fixed in one go.
func Check(rec archive.Record, ins *Inspection, pol Policy, cat *archive.Catalogue, now time.Time) *Report {
	r := &Report{Standard: "DA/T 70-2018", Stage: "归档 filing", At: now.UTC().Truncate(time.Millisecond)}

	// Authenticity: fixity, signatures, metadata accuracy, file properties.
	r.add(Authenticity, "fixity", Pass, "已计算固化信息", "SHA-256 %s, SM3 %s, %d bytes, from one read",
		ins.Content.SHA256, ins.Content.SM3, ins.Content.Size)
	checkSignatures(r, ins, pol)

	var metaProblems, requiredProblems []archive.Problem
	var ve *archive.ValidationError
	if err := cat.ValidateRecord(rec, now); errors.As(err, &ve) {
		for _, p := range ve.Problems {
			switch {
			case p.Field == "format" || p.Field == "content" || strings.HasPrefix(p.Field, "content."):
				// Judged below from the inspection, in its own words.
			case p.Required:
				requiredProblems = append(requiredProblems, p)
			default:
				metaProblems = append(metaProblems, p)
			}
		}
	}
	if len(metaProblems) == 0 {
		r.add(Authenticity, "metadata", Pass, "元数据格式正确", "metadata values and formats agree with the catalogue (文号, 档号, dates, enumerations)")
	}
	for _, p := range metaProblems {
		r.add(Authenticity, "metadata", Fail, "元数据不符合要求", "%s", p.Message)
	}
	switch {
	case ins.Format == FormatPDF && strings.EqualFold(extOf(ins.FileName), ".pdf"):
		r.add(Authenticity, "file_properties", Pass, "文件属性一致", "content is PDF, as the name says; %d pages", rec.Pages)
	case ins.Format == FormatPDF:
		r.add(Authenticity, "file_properties", Warn, "文件扩展名与内容不符", "content is PDF but the name %q does not end in .pdf", ins.FileName)
	}

	// Integrity: mandatory metadata, content present and complete.
	if len(requiredProblems) == 0 {
		r.add(Integrity, "mandatory_fields", Pass, "必填元数据齐全", "every mandatory field is present")
	}
	for _, p := range requiredProblems {
		r.add(Integrity, "mandatory_fields", Fail, "缺少必填元数据", "%s", p.Message)
	}
	switch {
	case ins.Content.Size == 0:
		r.add(Integrity, "content", Fail, "文件为空", "the file has zero bytes")
	case ins.PDF != nil && len(ins.PDF.Incomplete) > 0:
		// Before the parser's verdict: a parser may rebuild a file cut short
		// without a word, and the reason here is the more exact one.
		r.add(Integrity, "content", Fail, "文件不完整（被截断）", "the PDF is not whole: %s", strings.Join(ins.PDF.Incomplete, "; "))
	case ins.PDF != nil && !ins.PDF.Valid && !ins.PDF.Encrypted:
		r.add(Integrity, "content", Fail, "文件结构不完整或损坏", "the PDF is damaged or truncated: %s", strings.Join(ins.PDF.Problems, "; "))
	default:
		r.add(Integrity, "content", Pass, "内容完整", "content present, %d bytes", ins.Content.Size)
	}

	// Usability: allowed format, opens, no encryption.
	allowed := cat.Formats()
	switch {
	case ins.Format == FormatEmpty:
		r.add(Usability, "format", Fail, "文件为空，无法识别格式", "an empty file has no format")
	case ins.Format != FormatPDF:
		r.add(Usability, "format", Fail, "格式不在归档格式范围内", "the content is %s, not PDF (allowed: %s), whatever its name says", ins.Format, strings.Join(allowed, ", "))
	case !slices.Contains(allowed, FormatPDF):
		r.add(Usability, "format", Fail, "格式不在归档格式范围内", "PDF is not among the catalogue's formats (%s)", strings.Join(allowed, ", "))
	default:
		r.add(Usability, "format", Pass, "格式符合归档要求", "PDF %s", ins.PDF.Version)
	}
	if p := ins.PDF; p != nil {
		switch {
		case p.Valid:
			r.add(Usability, "opens", Pass, "文件可正常打开", "pdfcpu read and validated the file: %d pages", p.Pages)
		case !p.Encrypted:
			r.add(Usability, "opens", Fail, "文件无法打开", "%s", strings.Join(p.Problems, "; "))
		}
		if p.Encrypted {
			r.add(Usability, "encryption", pol.Encrypted, "文件已加密", "the file is encrypted; an archive must open without a key in 50 years")
		} else {
			r.add(Usability, "encryption", Pass, "未加密", "no encryption")
		}
	}

	// Security: active content.
	if p := ins.PDF; p != nil {
		active := false
		for _, a := range []struct {
			kind    string
			outcome Outcome
			zh, en  string
		}{
			{ActiveJavaScript, pol.JavaScript, "含有JavaScript脚本", "the file contains JavaScript"},
			{ActiveLaunch, pol.Launch, "含有启动外部程序的动作", "the file contains a launch action that starts a program"},
			{ActiveEmbeddedFile, pol.EmbeddedFile, "含有嵌入文件", "the file embeds other files"},
		} {
			if p.Has(a.kind) {
				active = true
				r.add(Security, "active_content", a.outcome, a.zh, "%s", a.en)
			}
		}
		if !active && p.Valid {
			r.add(Security, "active_content", Pass, "无活动内容", "no JavaScript, launch actions or embedded files")
		}
	}
	r.add(Security, "transfer", Pass, "过程安全", "read once from the local file; the store checks the SHA-256 as it stores")

	r.Verdict = Accepted
	if len(r.Failures()) > 0 {
		r.Verdict = Rejected
	}
	return r
}

func checkSignatures(r *Report, ins *Inspection, pol Policy) {
	if ins.PDF == nil {
		return
	}
	sigs := ins.PDF.Signatures
	if len(sigs) == 0 {
		r.add(Authenticity, "signature", pol.Unsigned, "无电子签名", "the document carries no digital signature")
		return
	}
	for i, s := range sigs {
		who := s.Signer
		if who == "" {
			who = "unknown signer"
		}
		at := ""
		if !s.SigningTime.IsZero() {
			at = ", signed " + s.SigningTime.In(chinaTime()).Format("2006-01-02 15:04 MST")
		}
		desc := fmt.Sprintf("signature %d by %s (issuer %s%s, %s): %s", i+1, who, s.Issuer, at, s.Algorithm, s.Reason)
		switch s.Verdict {
		case VerdictValid:
			r.add(Authenticity, "signature", Pass, "电子签名有效", "%s", desc)
		case VerdictUntrusted:
			r.add(Authenticity, "signature", pol.UntrustedSignature, "签名完整但签名者证书不受信任", "%s", desc)
		default:
			r.add(Authenticity, "signature", pol.InvalidSignature, "电子签名无效", "%s", desc)
		}
		if s.Verdict != VerdictInvalid && !s.CoversWholeFile {
			r.add(Authenticity, "signature_coverage", pol.PartialSignature, "签名后文件被追加修改",
				"signature %d does not cover changes appended after signing", i+1)
		}
	}
}

func chinaTime() *time.Location { return time.FixedZone("CST", 8*3600) }

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}
