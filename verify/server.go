package verify

import (
	"golang.org/x/mod/sumdb/note"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// Receipts verifies the file with digests d against receipts a server handed
// out for it (the portal's GET /api/v1/verify/sha256/HEX, what 'gongshi verify
// --server' asks), each one offline with the verifier key: the server is not
// trusted, only the key is. No receipt is "no record has this content" — what
// the server says of a file nobody filed, or of one the caller may not see. A
// receipt that is not in its form is an error wrapping proof.ErrMalformed.
func Receipts(rs []proof.Receipt, key note.Verifier, d archive.Digests) (*Result, error) {
	res := newResult(d, key, true)
	file := ledger.ProofDigests(&d)
	for _, r := range rs {
		m, err := match(r, key, file)
		if err != nil {
			return nil, err
		}
		res.Matches = append(res.Matches, m)
	}
	res.decide()
	return res, nil
}
