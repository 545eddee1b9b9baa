package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// Consistency is the verdict on the ledger against a checkpoint saved earlier.
type Consistency struct {
	// Consistent: the ledger today extends the saved checkpoint.
	Consistent bool `json:"consistent"`
	// Reason says why not.
	Reason *proof.Reason `json:"reason,omitempty"`
	// Origin is the ledger's name; Key the verifier key (name+hash).
	Origin string `json:"origin"`
	Key    string `json:"key"`
	// The saved checkpoint's tree and today's (when they were read).
	OldSize int64  `json:"old_size"`
	OldRoot string `json:"old_root"`
	NewSize int64  `json:"new_size"`
	NewRoot string `json:"new_root"`
	// Checkpoint is today's signed checkpoint, when consistent: keep it, it is
	// the evidence for the next check.
	Checkpoint string `json:"checkpoint,omitempty"`
}

// SavedCheckpoint returns the signed checkpoint held by b: a checkpoint as
// --save-checkpoint writes it, or a receipt (which holds the checkpoint it was
// proved under).
func SavedCheckpoint(b []byte) ([]byte, error) {
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		r, err := proof.ParseReceipt(b)
		if err != nil {
			return nil, err
		}
		return []byte(r.Checkpoint), nil
	}
	return b, nil
}

// Consistency proves that the ledger today extends the signed checkpoint
// saved, or shows that history was cut back or rewritten. A saved checkpoint
// that the key did not sign is a "no" too. Its error means that nothing was
// decided (the store did not answer, the checkpoint is malformed).
func (v *Verifier) Consistency(ctx context.Context, saved []byte) (*Consistency, error) {
	c := &Consistency{Origin: v.key.Name(), Key: proof.KeyName(v.key)}
	old, err := proof.OpenCheckpoint(saved, v.key)
	if reason, ok := proof.ReasonOf(err); ok {
		r := savedReason(reason)
		c.Reason = &r
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	c.OldSize, c.OldRoot = old.Size, b64(old.Root[:])
	now, cp, tp, err := v.ledger.ProveConsistency(ctx, old.Size)
	if err == nil {
		c.NewSize, c.NewRoot = cp.Size, b64(cp.Root[:])
		err = proof.CheckConsistency(old, cp, tp)
	}
	if reason, ok := proof.ReasonOf(err); ok {
		c.Reason = &reason
		return c, nil
	}
	if errors.Is(err, ledger.ErrNotFound) {
		// An empty ledger: everything saved was cut back.
		r := proof.NewReason(proof.HistoryCutBack, "size", "0", "old_size", fmt.Sprint(old.Size))
		c.Reason = &r
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	c.Consistent, c.Checkpoint = true, string(now)
	return c, nil
}

// savedReason is the reason r about the saved checkpoint.
func savedReason(r proof.Reason) proof.Reason {
	params := []string{"reason", string(r.Code)}
	for k, v := range r.Params {
		params = append(params, k, v)
	}
	return proof.NewReason(proof.SavedCheckpoint, params...)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
