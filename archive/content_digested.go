package archive

import (
	"context"
	"io"
)

// PutContentDigested stores the content read from r, whose SHA-256, SM3 and size
// the caller computed together in one earlier read of the same bytes (ingest
// digests a local file, then hands the file to the store). Like PutContentKnown
// it deduplicates, and the backend checks the SHA-256 and size as it stores and
// stores nothing on a mismatch; unlike it, the SM3 is not computed a second time.
// That is sound because the SM3 and the SHA-256 came from one pass over one byte
// stream: bytes that match the SHA-256 are those bytes, so they match the SM3.
// It halves the CPU cost of storing a large file, where SM3 is the bound.
func (a *Archive) PutContentDigested(ctx context.Context, d Digests, r io.Reader) error {
	return a.putKnown(ctx, d, r, false)
}
