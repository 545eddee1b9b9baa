package ledger

import (
	"bytes"
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// Receipt returns the receipt of the entry loc against the latest checkpoint.
func (l *Log) Receipt(ctx context.Context, loc Located) (Receipt, error) {
	signed, cp, err := l.Latest(ctx)
	if err != nil {
		return Receipt{}, err
	}
	in, err := l.inclusion(ctx, cp, loc)
	if err != nil {
		return Receipt{}, err
	}
	return Receipt{Format: ReceiptFormat, Index: in.Index, Entry: in.Entry, Proof: in.Proof, Checkpoint: string(signed)}, nil
}

// Include returns the entry loc with its inclusion proof under the checkpoint
// of r, a receipt of this log: a second entry proved under the same tree, as
// the project version's entry in a record's receipt is. An entry beyond that
// checkpoint is ErrNotFound.
func (l *Log) Include(ctx context.Context, r Receipt, loc Located) (*proof.Inclusion, error) {
	cp, err := OpenCheckpoint([]byte(r.Checkpoint), l.key.Verifier)
	if err != nil {
		return nil, fmt.Errorf("ledger: inclusion of %d: %w", loc.Index, err)
	}
	return l.inclusion(ctx, cp, loc)
}

// inclusion reads the entry loc and proves it in the tree of cp.
func (l *Log) inclusion(ctx context.Context, cp Checkpoint, loc Located) (*proof.Inclusion, error) {
	if loc.Index >= cp.Size {
		return nil, fmt.Errorf("ledger: receipt of %d: %w (the log has %d entries)", loc.Index, ErrNotFound, cp.Size)
	}
	entries, err := l.readBatch(ctx, loc.batch)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt of %d: %w", loc.Index, err)
	}
	k := loc.Index - loc.batch
	if k < 0 || k >= int64(len(entries)) {
		return nil, fmt.Errorf("ledger: receipt of %d: %w: not in batch %d", loc.Index, ErrCorrupt, loc.batch)
	}
	p, err := tlog.ProveRecord(cp.Size, loc.Index, l.hashReader(ctx, tlog.Tree{N: cp.Size, Hash: cp.Root}))
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt of %d: %w", loc.Index, err)
	}
	return &proof.Inclusion{Index: loc.Index, Entry: string(entries[k]), Proof: p}, nil
}

// Found is an entry found by reading the log.
type Found struct {
	Located
	// Entry is the entry's text.
	Entry []byte
}

// FindContent reads every entry of the log and returns those that name the
// content with SHA-256 h, in log order. It is the authoritative answer to
// "which record versions have this content", for when a derived lookup (a
// content marker, a by-record key) is missing or forged; its cost grows with
// the log (every batch is read), so it is never the first way to look, and a
// caller that serves anonymous requests bounds how often it runs.
func (l *Log) FindContent(ctx context.Context, h archive.Hash) ([]Found, error) {
	// Both forms of entry: "sha256 <hex>" (v1), "content-sha256 <hex>" (v2).
	needle := []byte("sha256 " + h.String() + "\n")
	var out []Found
	err := l.entries(ctx, func(loc Located, e []byte) error {
		if !bytes.Contains(e, needle) {
			return nil
		}
		pe, err := proof.ParseEntry(e)
		if err != nil {
			return nil // not an entry this reader understands: it names nothing
		}
		if d, ok := pe.Content(); !ok || d.SHA256 != proof.Hash(h) {
			return nil
		}
		loc.Kind = archive.EventKind(pe.Kind())
		out = append(out, Found{Located: loc, Entry: bytes.Clone(e)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
