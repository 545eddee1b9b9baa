package ledger

import (
	"bytes"
	"context"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

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
	needle := []byte("\nsha256 " + h.String() + "\n")
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
