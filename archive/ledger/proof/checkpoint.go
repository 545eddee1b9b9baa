package proof

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

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

// KeyName is how a key is named in messages: its name and hash, name+1a2b3c4d.
func KeyName(v note.Verifier) string { return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash()) }

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
// v's name (the key names the log it signs for), is not verified; signatures by
// other keys (witnesses, a rotated key) are ignored, as C2SP says.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, NotVerified(CheckpointOtherKey, "key", KeyName(v), "signed_by", signerNames(signed))
		case errors.As(err, &invalid):
			return Checkpoint{}, NotVerified(CheckpointAltered, "signer", v.Name())
		}
		return Checkpoint{}, fmt.Errorf("ledger: checkpoint: %w: %v", ErrMalformed, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, NotVerified(CheckpointOtherLog, "origin", c.Origin, "key_origin", v.Name())
	}
	return c, nil
}

// signerNames names who did sign a note, name+hash, comma separated.
func signerNames(signed []byte) string {
	_, sigs, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return ""
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
	return strings.Join(names, ", ")
}

// CheckConsistency checks that the tree of newer is an extension of the tree of
// older: proof is tlog.ProveTree(newer.Size, older.Size, …). Both checkpoints
// must be opened (OpenCheckpoint) by the caller. A log that shrank, or whose
// history differs, is not verified.
func CheckConsistency(older, newer Checkpoint, proof tlog.TreeProof) error {
	sizes := []string{"size", strconv.FormatInt(newer.Size, 10), "old_size", strconv.FormatInt(older.Size, 10)}
	switch {
	case older.Origin != newer.Origin:
		return NotVerified(LogsDiffer, "old_origin", older.Origin, "new_origin", newer.Origin)
	case newer.Size < older.Size:
		return NotVerified(HistoryCutBack, sizes...)
	case newer.Size == older.Size:
		if newer.Root != older.Root {
			return NotVerified(HistoryRewritten, sizes...)
		}
		return nil
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return NotVerified(HistoryRewritten, sizes...)
	}
	return nil
}
