package proof

import (
	"encoding/json"
	"errors"
	"strings"
)

// ErrNotVerified is what every verdict "no" is (errors.Is): a signature by
// another key, a proof that does not lead to the signed root, a file or record
// that differs from its entry, a log that does not extend a checkpoint saved
// earlier. The error is a *NotVerifiedError with the Reason.
var ErrNotVerified = errors.New("not verified")

// ErrMalformed reports an entry, checkpoint or receipt that is not in its
// form: nothing was decided.
var ErrMalformed = errors.New("malformed")

// NotVerifiedError is a verdict "no" and its reason.
type NotVerifiedError struct {
	Reason Reason
}

func (e *NotVerifiedError) Error() string { return "not verified: " + e.Reason.String() }

// Is makes errors.Is(err, ErrNotVerified) true.
func (e *NotVerifiedError) Is(target error) bool { return target == ErrNotVerified }

// NotVerified returns the error of the verdict "no" for the reason code with
// its parameters, given as name, value pairs.
func NotVerified(code Code, params ...string) error {
	return &NotVerifiedError{Reason: NewReason(code, params...)}
}

// ReasonOf returns the reason of a verdict "no" in err's chain.
func ReasonOf(err error) (Reason, bool) {
	var nv *NotVerifiedError
	if errors.As(err, &nv) {
		return nv.Reason, true
	}
	return Reason{}, false
}

// Code names why something did not verify. Codes are stable: pages, scripts
// and saved reports use them, so a code never changes its meaning.
type Code string

// The reasons, with their parameters.
const (
	// CheckpointOtherKey: the checkpoint has no signature by the key.
	// Parameters: key (name+hash), signed_by (the keys that did sign, comma
	// separated; empty when none did).
	CheckpointOtherKey Code = "checkpoint_other_key"
	// CheckpointAltered: the key's signature on the checkpoint is invalid.
	// Parameters: signer.
	CheckpointAltered Code = "checkpoint_altered"
	// CheckpointOtherLog: the checkpoint names another log than the key.
	// Parameters: origin, key_origin.
	CheckpointOtherLog Code = "checkpoint_other_log"
	// EntryBeyondTree: the entry's index is not in the checkpoint's tree.
	// Parameters: index, size.
	EntryBeyondTree Code = "entry_beyond_tree"
	// InclusionFailed: the inclusion proof does not lead to the signed root.
	// Parameters: index, size.
	InclusionFailed Code = "inclusion_failed"
	// RecordAltered: the record version's JSON is not the one its entry names.
	// Parameters: sha256, entry_sha256.
	RecordAltered Code = "record_altered"
	// RecordOther: the record JSON is of another record version than the
	// entry. Parameters: record, version, entry_record, entry_version.
	RecordOther Code = "record_other"
	// ProjectAltered: the project version's JSON is not the one its entry
	// names. Parameters: project, sha256, entry_sha256.
	ProjectAltered Code = "project_altered"
	// ProjectOther: the project is not the record's, or not the one its entry
	// names. Parameters: project, record_project.
	ProjectOther Code = "project_other"
	// FileSHA256: the file's SHA-256 is not the entry's. Parameters: file, entry.
	FileSHA256 Code = "file_sha256"
	// FileSM3: the file's SM3 is not the entry's. Parameters: file, entry.
	FileSM3 Code = "file_sm3"
	// FileSize: the file's size is not the entry's. Parameters: file, entry.
	FileSize Code = "file_size"
	// LogsDiffer: two checkpoints are of different logs. Parameters:
	// old_origin, new_origin.
	LogsDiffer Code = "logs_differ"
	// HistoryCutBack: the log is smaller than a checkpoint saved earlier.
	// Parameters: size, old_size.
	HistoryCutBack Code = "history_cut_back"
	// HistoryRewritten: the log does not extend a checkpoint saved earlier.
	// Parameters: size, old_size.
	HistoryRewritten Code = "history_rewritten"
	// HashesDisagree: the ledger's stored hashes do not match its own latest
	// checkpoint, so no proof can be made from them. Parameters: size, detail.
	HashesDisagree Code = "hashes_disagree"
	// SavedCheckpoint: the checkpoint saved earlier does not verify.
	// Parameters: the reason's, and reason (its code).
	SavedCheckpoint Code = "saved_checkpoint"

	// The reasons of a check against the archive (package verify):

	// NoRecord: no record in the archive has the file's content.
	// Parameters: sha256.
	NoRecord Code = "no_record"
	// NotInLedger: a record version with the file's content has no ledger
	// entry. Parameters: record, version.
	NotInLedger Code = "not_in_ledger"
	// NotYetCovered: the entry is beyond the latest signed checkpoint (it is
	// being appended). Parameters: record, version, index.
	NotYetCovered Code = "not_yet_covered"
	// RecordMissing: a ledger entry names a record version with the file's
	// content that is not in the store. Parameters: record, version, index.
	RecordMissing Code = "record_missing"
)

// Reason is why something did not verify: a code and its parameters, all
// strings, with the text in English (String) and Chinese (Chinese). Its JSON
// form carries both texts beside the code, for readers without this package.
type Reason struct {
	Code   Code
	Params map[string]string
}

// NewReason returns the reason code with parameters given as name, value pairs.
func NewReason(code Code, params ...string) Reason {
	r := Reason{Code: code, Params: make(map[string]string, len(params)/2)}
	for i := 0; i+1 < len(params); i += 2 {
		r.Params[params[i]] = params[i+1]
	}
	return r
}

// Param returns the parameter name ("" when absent).
func (r Reason) Param(name string) string { return r.Params[name] }

type reasonJSON struct {
	Code    Code              `json:"code"`
	Params  map[string]string `json:"params,omitempty"`
	English string            `json:"en"`
	Chinese string            `json:"zh"`
}

// MarshalJSON writes the code, the parameters and both texts.
func (r Reason) MarshalJSON() ([]byte, error) {
	return json.Marshal(reasonJSON{Code: r.Code, Params: r.Params, English: r.String(), Chinese: r.Chinese()})
}

// UnmarshalJSON reads the code and parameters (the texts follow from them).
func (r *Reason) UnmarshalJSON(b []byte) error {
	var j reasonJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	r.Code, r.Params = j.Code, j.Params
	return nil
}

// String is the reason in English.
func (r Reason) String() string { return r.text(false) }

// Chinese is the reason in Chinese (zh-CN).
func (r Reason) Chinese() string { return r.text(true) }

// text fills the template of the reason's code, in Chinese when zh.
func (r Reason) text(zh bool) string {
	en, cn := templates(r)
	t := en
	if zh {
		t = cn
	}
	if t == "" {
		t = string(r.Code)
	}
	pairs := make([]string, 0, 2*len(r.Params))
	for k, v := range r.Params {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(t)
}

// templates returns the English and Chinese texts of r's code, with {name}
// where a parameter goes.
func templates(r Reason) (en, zh string) {
	switch r.Code {
	case CheckpointOtherKey:
		if r.Param("signed_by") == "" {
			return "the checkpoint is not signed by the key {key}: it has no signature",
				"检查点不是由密钥 {key} 签名的：它没有签名"
		}
		return "the checkpoint is not signed by the key {key}: it is signed by {signed_by}",
			"检查点不是由密钥 {key} 签名的：签名者为 {signed_by}"
	case CheckpointAltered:
		return "the checkpoint's signature by {signer} is invalid: it was altered",
			"检查点上 {signer} 的签名无效：检查点已被改动"
	case CheckpointOtherLog:
		return `the checkpoint is of the log "{origin}", the key is for "{key_origin}"`,
			"检查点属于账本“{origin}”，而密钥属于账本“{key_origin}”"
	case EntryBeyondTree:
		return "entry {index} is not in the checkpoint's tree of size {size}",
			"第 {index} 条账本记录不在规模为 {size} 的检查点树中"
	case InclusionFailed:
		return "the inclusion proof of entry {index} does not lead to the signed root of size {size}: the entry or the proof was altered",
			"第 {index} 条账本记录的包含证明与规模为 {size} 的已签名根不符：记录或证明已被改动"
	case RecordAltered:
		return "the record version has SHA-256 {sha256}, its ledger entry says {entry_sha256}: the record was altered",
			"档案记录版本的 SHA-256 为 {sha256}，其账本记录为 {entry_sha256}：档案记录已被改动"
	case RecordOther:
		return "the record in the receipt is {record} version {version}, the entry names {entry_record} version {entry_version}",
			"凭证中的档案记录为 {record} 第 {version} 版，而账本记录指向 {entry_record} 第 {entry_version} 版"
	case ProjectAltered:
		return "the version of project {project} has SHA-256 {sha256}, its ledger entry says {entry_sha256}: the project was altered",
			"项目 {project} 该版本的 SHA-256 为 {sha256}，其账本记录为 {entry_sha256}：项目信息已被改动"
	case ProjectOther:
		return "the receipt names project {project}, the record belongs to {record_project}",
			"凭证载明的项目为 {project}，而该档案属于项目 {record_project}"
	case FileSHA256:
		return "the file's SHA-256 is {file}, the ledger entry says {entry}",
			"文件的 SHA-256 为 {file}，账本记录为 {entry}"
	case FileSM3:
		return "the file's SM3 is {file}, the ledger entry says {entry}",
			"文件的 SM3 为 {file}，账本记录为 {entry}"
	case FileSize:
		return "the file has {file} bytes, the ledger entry says {entry}",
			"文件大小为 {file} 字节，账本记录为 {entry} 字节"
	case LogsDiffer:
		return `the checkpoints are of different logs ("{old_origin}" and "{new_origin}")`,
			"两个检查点属于不同的账本（“{old_origin}”与“{new_origin}”）"
	case HistoryCutBack:
		return "the log has {size} entries, fewer than the {old_size} of the saved checkpoint: history was cut back",
			"账本现有 {size} 条记录，少于所保存检查点的 {old_size} 条：历史记录被删减"
	case HistoryRewritten:
		if r.Param("size") == r.Param("old_size") {
			return "the log of size {size} has another root than the saved checkpoint of that size: history was rewritten",
				"规模为 {size} 的账本与所保存的同规模检查点根哈希不同：历史记录被改写"
		}
		return "the log of size {size} does not extend the saved checkpoint of size {old_size}: history was rewritten",
			"规模为 {size} 的账本不是所保存的规模为 {old_size} 的检查点的延续：历史记录被改写"
	case HashesDisagree:
		return "the ledger's stored hashes do not match its own latest checkpoint (size {size}): {detail}",
			"账本存储的哈希与其最新检查点（规模 {size}）不符：{detail}"
	case SavedCheckpoint:
		inner := r
		inner.Code = Code(r.Param("reason"))
		ien, izh := templates(inner)
		return "the saved checkpoint: " + ien, "所保存的检查点：" + izh
	case NoRecord:
		return "no record in the archive has this content (SHA-256 {sha256})",
			"档案库中没有内容与此文件相同的档案（SHA-256 {sha256}）"
	case NotInLedger:
		return "record {record} version {version} is not in the ledger",
			"档案 {record} 第 {version} 版不在账本中"
	case NotYetCovered:
		return "record {record} version {version} is in ledger entry {index}, which no signed checkpoint covers yet",
			"档案 {record} 第 {version} 版位于第 {index} 条账本记录，尚无已签名的检查点覆盖该记录"
	case RecordMissing:
		return "ledger entry {index} names record {record} version {version} with this content, which is not in the store",
			"第 {index} 条账本记录载明档案 {record} 第 {version} 版为此内容，但该版本不在存储中"
	}
	return "", ""
}
