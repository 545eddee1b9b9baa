package archive

import (
	"errors"
	"strings"
)

// Sentinel errors. Operations wrap them with what they were doing
// (fmt.Errorf("archive: record %s: %w", id, ErrNotFound)); callers test with errors.Is.
var (
	// ErrNotFound: no such project, record or version.
	ErrNotFound = errors.New("not found")
	// ErrProjectExists: CreateProject found the project code already taken.
	ErrProjectExists = errors.New("project already exists")
	// ErrRecordExists: CreateRecord found the same filing (same record id) already
	// stored. The stored version 1 is returned with it, so a re-run can carry on.
	ErrRecordExists = errors.New("record already exists")
	// ErrVersionExists: a correction lost the race: the version it would create is
	// already there, so the version it corrects is no longer the latest.
	ErrVersionExists = errors.New("version already exists")
	// ErrInvalid: the value breaks a rule. The error is (or wraps) a *ValidationError
	// that lists every problem found.
	ErrInvalid = errors.New("invalid")
	// ErrCodeInUse: a record's archival code (档号) is carried by another record.
	ErrCodeInUse = errors.New("archival code already in use")
	// ErrContentMissing: a record refers to content that is not in the store.
	ErrContentMissing = errors.New("content not stored")
	// ErrDigestMismatch: content does not match the digests or size it was declared
	// with, or a stored object does not have the size its digests say.
	ErrDigestMismatch = errors.New("content does not match its digests or size")
	// ErrSchema: a stored document has a schema version this code does not read.
	ErrSchema = errors.New("unsupported schema version")
	// ErrCorrupt: a stored document does not match the key it is stored under (its id,
	// code or version differ), or cannot be decoded.
	ErrCorrupt = errors.New("stored document is corrupt")
)

// Problem is one rule a value breaks. Field is the JSON name of the field (or
// "field.sub"); Message says what is wrong in English, naming the field's Chinese
// label, e.g. `文号 (doc_number): year 2023 differs from the document's year 2024`.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	// Required is true when the field is missing and must be given (always, for
	// the record's type, or for its disclosure class), false when a value is
	// wrong: ingest's four-property check counts the one as incomplete
	// (完整性), the other as inaccurate (真实性).
	Required bool `json:"required,omitempty"`
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// ValidationError lists every problem found in one value, not only the first, so that
// an archivist can fix a filing in one go. It matches ErrInvalid with errors.Is.
type ValidationError struct {
	// What is being validated, e.g. "record" or "project CQ-2024-01".
	What     string
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	b.WriteString(e.What)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Message)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// problems collects Problems; its zero value is ready to use.
type problems struct {
	list []Problem
}

// add records a problem with field's label in front of the message.
func (ps *problems) add(field, msg string) {
	ps.list = append(ps.list, Problem{Field: field, Message: label(field) + ": " + msg})
}

// missing records that a required field is missing; msg says so ("required", or
// "required for type …").
func (ps *problems) missing(field, msg string) {
	ps.add(field, msg)
	ps.list[len(ps.list)-1].Required = true
}

// err returns nil when nothing was found, else a *ValidationError.
func (ps *problems) err(what string) error {
	if len(ps.list) == 0 {
		return nil
	}
	return &ValidationError{What: what, Problems: ps.list}
}

// zhLabel is the Chinese name archivists know a field by (DA/T 46, DA/T 22), or "".
func zhLabel(field string) string {
	switch field {
	case "schema":
		return "模式版本"
	case "id":
		return "记录标识"
	case "version":
		return "版本"
	case "project":
		return "项目编号"
	case "code":
		return "项目编号"
	case "name":
		return "项目名称"
	case "city":
		return "市"
	case "district":
		return "县（区）"
	case "department":
		return "征收部门"
	case "implementer":
		return "征收实施单位"
	case "contact":
		return "联系方式"
	case "hotline":
		return "投诉电话"
	case "category":
		return "征收类别"
	case "dates":
		return "关键日期"
	case "households":
		return "户数"
	case "type":
		return "文件类型"
	case "title":
		return "题名"
	case "doc_number":
		return "文号"
	case "issuer":
		return "责任者"
	case "date":
		return "日期"
	case "disclosure":
		return "公开属性"
	case "retention":
		return "保管期限"
	case "archival_code":
		return "档号"
	case "pages":
		return "页数"
	case "format":
		return "格式"
	case "file_name":
		return "文件名"
	case "household":
		return "户号"
	case "public_copy_of":
		return "公开版本的原件"
	case "content":
		return "内容"
	case "signatures":
		return "签名报告"
	case "supersedes":
		return "更正"
	case "filed_at":
		return "归档时间"
	case "actor":
		return "操作者"
	case "created_at":
		return "创建时间"
	}
	return ""
}

func label(field string) string {
	base := field
	if i := strings.IndexAny(field, ".["); i >= 0 {
		base = field[:i]
	}
	if l := zhLabel(base); l != "" {
		return l + " (" + field + ")"
	}
	return field
}
