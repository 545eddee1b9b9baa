package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/emmansun/gmsm/sm3"
)

// Hash is a 32-byte digest (SHA-256 or SM3). It encodes as 64 lowercase hex digits, in
// text and in JSON, and decodes only from that form, so that a digest has exactly one
// spelling in stored records and in content keys.
type Hash [32]byte

// String returns the digest as lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero bytes (no digest was set).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) {
	b := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(b, h[:])
	return b, nil
}

// UnmarshalText decodes 64 lowercase hex digits.
func (h *Hash) UnmarshalText(b []byte) error {
	p, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}

// ErrBadHash reports a digest that is not 64 lowercase hex digits.
var ErrBadHash = errors.New("digest must be 64 lowercase hex digits")

// ParseHash parses 64 lowercase hex digits. Upper case is refused rather than folded
// because digests are also key segments, and one digest must map to one key.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("%w: %q has %d characters", ErrBadHash, s, len(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return h, fmt.Errorf("%w: %q", ErrBadHash, s)
		}
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("%w: %q: %v", ErrBadHash, s, err)
	}
	return h, nil
}

// Digests are the fixity values of one content object: SHA-256 (its storage address and
// what S3 verifies), SM3 (GB/T 32905, required by the Chinese archival standards) and
// the exact size in bytes. In JSON the digests are lowercase hex.
type Digests struct {
	SHA256 Hash  `json:"sha256"`
	SM3    Hash  `json:"sm3"`
	Size   int64 `json:"size"`
}

// SHA256Hex returns the SHA-256 as lowercase hex.
func (d Digests) SHA256Hex() string { return d.SHA256.String() }

// SM3Hex returns the SM3 as lowercase hex.
func (d Digests) SM3Hex() string { return d.SM3.String() }

// IsZero reports whether no digest was set.
func (d Digests) IsZero() bool { return d == Digests{} }

// parallelMin is the smallest chunk worth hashing on two goroutines. Below it the cost of
// handing a chunk to another goroutine and waiting for it (microseconds, more when the
// other core has to be woken) is no longer small next to the hashing itself (SM3 runs at
// roughly 300-450 MiB/s, so 64 KiB takes 150-200 µs).
const parallelMin = 64 << 10

// bufSize is how much a Digester gathers from small writes before hashing. io.Copy
// writes 32 KiB at a time; gathering 1 MiB means one hand-over per MiB instead of one
// per 32 KiB, which costs a copy (a few percent) but saves more in wake-ups.
const bufSize = 1 << 20

// Digester computes SHA-256, SM3 and the size of everything written to it, in one pass.
// Each chunk is hashed by SHA-256 and SM3 on two goroutines at once, so the pair costs
// little more than SM3 alone on a machine with two cores; writes smaller than 1 MiB are
// gathered into a buffer first. A Digester is not safe for concurrent use.
type Digester struct {
	sha  hash.Hash
	sm3  hash.Hash
	size int64
	buf  []byte // pending small writes, not yet hashed
}

// NewDigester returns a Digester with nothing written.
func NewDigester() *Digester {
	return &Digester{sha: sha256.New(), sm3: sm3.New()}
}

// Write hashes p. It never fails.
func (d *Digester) Write(p []byte) (int, error) {
	n := len(p)
	d.size += int64(n)
	if len(d.buf) > 0 || n < bufSize {
		// Fill the buffer; append grows it only as far as the data needs, so that
		// digesting a small file does not allocate a whole MiB.
		k := min(bufSize-len(d.buf), len(p))
		d.buf = append(d.buf, p[:k]...)
		p = p[k:]
		if len(d.buf) < bufSize {
			return n, nil
		}
		d.hash(d.buf)
		d.buf = d.buf[:0]
	}
	if len(p) >= bufSize {
		d.hash(p)
	} else if len(p) > 0 {
		d.buf = append(d.buf, p...)
	}
	return n, nil
}

// hash feeds p to both hashes, in parallel when p is large enough to pay for it.
// It returns only when both are done, because p belongs to the caller.
func (d *Digester) hash(p []byte) {
	if len(p) < parallelMin {
		d.sha.Write(p)
		d.sm3.Write(p)
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { d.sha.Write(p) })
	d.sm3.Write(p)
	wg.Wait()
}

// Sum returns the digests of everything written so far. Writing may continue after it.
func (d *Digester) Sum() Digests {
	if len(d.buf) > 0 {
		d.hash(d.buf)
		d.buf = d.buf[:0]
	}
	var out Digests
	d.sha.Sum(out.SHA256[:0])
	d.sm3.Sum(out.SM3[:0])
	out.Size = d.size
	return out
}

// readChunk is the read size of DigestReader: large enough that each chunk is hashed in
// parallel, small enough to check ctx often.
const readChunk = 1 << 20

// DigestReader reads r to its end and returns its digests. It stops with ctx's error
// when ctx is done.
func DigestReader(ctx context.Context, r io.Reader) (Digests, error) {
	d := NewDigester()
	if _, err := copyContext(ctx, d, r); err != nil {
		return Digests{}, fmt.Errorf("archive: digest: %w", err)
	}
	return d.Sum(), nil
}

// copyContext is io.Copy with a check of ctx between chunks.
func copyContext(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, readChunk)
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return total, werr
			}
			total += int64(n)
		}
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// TeeReader passes reads through from an underlying reader and digests every byte that
// passes, so that a consumer (a blob store's Put) and the digests see one read of the
// stream.
type TeeReader struct {
	r io.Reader
	d *Digester
}

// NewTeeReader returns a TeeReader reading from r.
func NewTeeReader(r io.Reader) *TeeReader {
	return &TeeReader{r: r, d: NewDigester()}
}

// Read reads from the underlying reader and digests what it returns.
func (t *TeeReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.d.Write(p[:n])
	}
	return n, err
}

// Sum returns the digests of the bytes read so far.
func (t *TeeReader) Sum() Digests { return t.d.Sum() }
