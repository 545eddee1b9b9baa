package ledger

import (
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// The checking of what the ledger proves (checkpoints, receipts, consistency)
// is package proof: pure functions that need the entry's ids and digests only,
// not the archive's catalogue and validator, so that other programs can vendor
// them and verify receipts for decades. The names below keep the ledger's API.

// Checkpoint is a signed statement of the log's size and root (proof.Checkpoint).
type Checkpoint = proof.Checkpoint

// Receipt proves that one entry is in the log (proof.Receipt).
type Receipt = proof.Receipt

// ReceiptFormat is the form receipts are issued in.
const ReceiptFormat = proof.ReceiptFormat

// ErrNotVerified is wrapped by every verdict "no" (proof.ErrNotVerified); the
// error is a *proof.NotVerifiedError with the reason. Other errors (unreadable
// input, a store that does not answer) mean that nothing was decided.
var ErrNotVerified = proof.ErrNotVerified

// ErrMalformed reports an entry, checkpoint or receipt that is not in its form
// (proof.ErrMalformed).
var ErrMalformed = proof.ErrMalformed

// ValidOrigin reports whether s can name a log (proof.ValidOrigin).
func ValidOrigin(s string) bool { return proof.ValidOrigin(s) }

// ParseCheckpoint parses a checkpoint's note text (proof.ParseCheckpoint).
func ParseCheckpoint(text string) (Checkpoint, error) { return proof.ParseCheckpoint(text) }

// OpenCheckpoint checks a signed checkpoint with v (proof.OpenCheckpoint).
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	return proof.OpenCheckpoint(signed, v)
}

// CheckConsistency checks that newer extends older (proof.CheckConsistency).
func CheckConsistency(older, newer Checkpoint, p tlog.TreeProof) error {
	return proof.CheckConsistency(older, newer, p)
}

// ParseReceipt decodes a receipt (proof.ParseReceipt).
func ParseReceipt(b []byte) (Receipt, error) { return proof.ParseReceipt(b) }

// Verified is what a receipt proves, with the entry as the event it records.
type Verified struct {
	Event      archive.Event
	Index      int64
	Checkpoint Checkpoint
}

// VerifyReceipt checks r with the verifier key v, as proof.VerifyReceipt does,
// and returns the entry as an archive.Event (read by ParseEntry, so this form
// of entry only; proof reads every form).
func VerifyReceipt(r Receipt, v note.Verifier, file *archive.Digests) (Verified, error) {
	got, err := proof.VerifyReceipt(r, v, ProofDigests(file))
	out := Verified{Index: got.Index, Checkpoint: got.Checkpoint}
	if ev, perr := ParseEntry([]byte(r.Entry)); perr == nil {
		out.Event = ev
	}
	return out, err
}

// ProofDigests converts the archive's digests to proof's (nil for nil).
func ProofDigests(d *archive.Digests) *proof.Digests {
	if d == nil {
		return nil
	}
	return &proof.Digests{SHA256: proof.Hash(d.SHA256), SM3: proof.Hash(d.SM3), Size: d.Size}
}
