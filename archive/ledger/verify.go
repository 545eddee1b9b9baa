package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
)

// The functions in this file do no I/O: an inspector verifies a receipt with
// nothing but the receipt, the file and the verifier key.

// ErrNotVerified is wrapped by every verdict "no": a signature by another key, a
// proof that does not lead to the signed root, a file or record that differs from
// the entry, a log that does not extend a checkpoint saved earlier. Other errors
// (unreadable input, a store that does not answer) mean that nothing was decided.
var ErrNotVerified = errors.New("not verified")

func notVerified(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotVerified, fmt.Sprintf(format, args...))
}

// Checkpoint is a signed statement of the log's size and root hash, in the C2SP
// tlog-checkpoint form: the origin line, the size in decimal, the root in base64.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the checkpoint's note text (what is signed).
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// ValidOrigin reports whether s can name a log: a schema-less URL-like string, no
// spaces or '+' (the note format reserves them), as C2SP tlog-checkpoint says.
func ValidOrigin(s string) bool {
	return s != "" && !strings.ContainsAny(s, " \t\n+") && len(s) <= 200
}

// ParseCheckpoint parses a checkpoint's note text. Extension lines after the root
// are allowed by C2SP and ignored.
func ParseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) < 4 || !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: want origin, size and root lines", ErrMalformed)
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	sizeStr := strings.TrimSuffix(lines[1], "\n")
	size, err := strconv.ParseInt(sizeStr, 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != sizeStr {
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: size %q", ErrMalformed, sizeStr)
	}
	root, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(root) != tlog.HashSize {
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: root %q", ErrMalformed, lines[2])
	}
	if !ValidOrigin(origin) {
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: origin %q", ErrMalformed, origin)
	}
	c := Checkpoint{Origin: origin, Size: size}
	copy(c.Root[:], root)
	return c, nil
}

// OpenCheckpoint checks the signature on a signed checkpoint with v and returns the
// checkpoint. A checkpoint without a valid signature by v, or whose origin is not
// v's name (the key names the log it signs for), is ErrNotVerified; signatures by
// other keys (witnesses, a rotated key) are ignored, as C2SP says.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, notVerified("the checkpoint is not signed by the key %s+%08x: %s", v.Name(), v.KeyHash(), signerNames(signed))
		case errors.As(err, &invalid):
			return Checkpoint{}, notVerified("the checkpoint's signature by %s is invalid: it was altered", v.Name())
		}
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: %v", ErrMalformed, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, notVerified("the checkpoint is of the log %q, the key is for %q", c.Origin, v.Name())
	}
	return c, nil
}

// signerNames describes who did sign a note, for the message that rejects it.
func signerNames(signed []byte) string {
	_, sigs, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return "it has no signature"
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(sigs)), "\n") {
		f := strings.Fields(strings.TrimPrefix(line, "— "))
		if len(f) == 2 {
			if raw, err := base64.StdEncoding.DecodeString(f[1]); err == nil && len(raw) >= 4 {
				names = append(names, fmt.Sprintf("%s+%x", f[0], raw[:4]))
			}
		}
	}
	if len(names) == 0 {
		return "it has no signature"
	}
	return "it is signed by " + strings.Join(names, ", ")
}

// ReceiptFormat is the value of Receipt.Format.
const ReceiptFormat = "gongshi-receipt/v1"

// Receipt proves that one entry is in the log: with the verifier key alone,
// anyone can check that the entry is at Index in the tree whose root the
// checkpoint signs. Record and Project, when present, let the holder read what
// the entry is about; the record is bound to the entry by its SHA-256, the
// project is not (it is there to name the filing department).
type Receipt struct {
	Format     string      `json:"format"`
	Index      int64       `json:"index"`
	Entry      string      `json:"entry"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint"`
	// Record is the record version's canonical JSON, byte for byte.
	Record string `json:"record,omitempty"`
	// Project is the canonical JSON of the record's project as it was when the
	// receipt was made.
	Project string `json:"project,omitempty"`
}

// ParseReceipt decodes a receipt.
func ParseReceipt(b []byte) (Receipt, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Receipt{}, fmt.Errorf("ledger: receipt: %w: %v", ErrMalformed, err)
	}
	if r.Format != ReceiptFormat {
		return Receipt{}, fmt.Errorf("ledger: receipt: %w: format %q, want %q", ErrMalformed, r.Format, ReceiptFormat)
	}
	return r, nil
}

// Verified is what a receipt proves.
type Verified struct {
	Event      archive.Event
	Index      int64
	Checkpoint Checkpoint
	// Record is the record version, when the receipt carries it (it matched the
	// entry's record-sha256).
	Record *archive.Record
	// Project is the project the receipt names, when it carries one (not covered
	// by the ledger).
	Project *archive.Project
}

// VerifyReceipt checks r with the verifier key v: the checkpoint's signature, the
// inclusion proof of the entry under the signed root, the record version against the
// entry's record-sha256 and, when file is not nil, the file's digests against the
// entry's. A "no" wraps ErrNotVerified and says why.
func VerifyReceipt(r Receipt, v note.Verifier, file *archive.Digests) (Verified, error) {
	// The entry first, so that a "no" can say which record it is about.
	e, err := ParseEntry([]byte(r.Entry))
	if err != nil {
		return Verified{}, err
	}
	out := Verified{Event: e, Index: r.Index}
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), v)
	if err != nil {
		return out, err
	}
	out.Checkpoint = cp
	if r.Index < 0 || r.Index >= cp.Size {
		return out, notVerified("entry %d is not in the checkpoint's tree of size %d", r.Index, cp.Size)
	}
	if err := tlog.CheckRecord(r.Proof, cp.Size, cp.Root, r.Index, tlog.RecordHash([]byte(r.Entry))); err != nil {
		return out, notVerified("the inclusion proof of entry %d does not lead to the signed root of size %d: the entry or the proof was altered", r.Index, cp.Size)
	}
	if r.Record != "" {
		if sum := archive.Hash(sha256.Sum256([]byte(r.Record))); sum != e.RecordDigest {
			return out, notVerified("the record version has SHA-256 %s, its ledger entry says %s: the record was altered", sum, e.RecordDigest)
		}
		rec, err := archive.DecodeRecord([]byte(r.Record))
		if err != nil {
			return out, fmt.Errorf("ledger: receipt: %w: record: %v", ErrMalformed, err)
		}
		if rec.ID != e.RecordID || rec.Version != e.Version {
			return out, notVerified("the record in the receipt is %s version %d, the entry names %s version %d", rec.ID, rec.Version, e.RecordID, e.Version)
		}
		out.Record = &rec
	}
	if r.Project != "" {
		p, err := archive.DecodeProject([]byte(r.Project))
		if err != nil {
			return out, fmt.Errorf("ledger: receipt: %w: project: %v", ErrMalformed, err)
		}
		if out.Record != nil && p.Code != out.Record.Project {
			return out, notVerified("the receipt names project %s, the record belongs to %s", p.Code, out.Record.Project)
		}
		out.Project = &p
	}
	if file != nil {
		switch {
		case file.SHA256 != e.Content.SHA256:
			return out, notVerified("the file's SHA-256 is %s, the ledger entry says %s", file.SHA256, e.Content.SHA256)
		case file.SM3 != e.Content.SM3:
			return out, notVerified("the file's SM3 is %s, the ledger entry says %s", file.SM3, e.Content.SM3)
		case file.Size != e.Content.Size:
			return out, notVerified("the file has %d bytes, the ledger entry says %d", file.Size, e.Content.Size)
		}
	}
	return out, nil
}

// CheckConsistency checks that the tree of newer is an extension of the tree of
// older: proof is tlog.ProveTree(newer.Size, older.Size, …). Both checkpoints
// must be opened (OpenCheckpoint) by the caller. A log that shrank, or whose
// history differs, is ErrNotVerified.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return notVerified("the checkpoints are of different logs (%q and %q)", older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return notVerified("the log has %d entries, fewer than the %d of the saved checkpoint: history was cut back", newer.Size, older.Size)
	case newer.Size == older.Size:
		if newer.Root != older.Root {
			return notVerified("the log of size %d has another root than the saved checkpoint of that size: history was rewritten", newer.Size)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return notVerified("the log of size %d does not extend the saved checkpoint of size %d: history was rewritten", newer.Size, older.Size)
	}
	return nil
}
