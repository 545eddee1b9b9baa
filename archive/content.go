package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// statFirstSize is the content size from which a put first looks whether the
// content is stored already.
const statFirstSize = 1 << 20

// ContentKey is the key of the content object with SHA-256 h:
// blobs/sha256/<first two hex digits>/<64 hex digits>. The two-digit fan-out keeps
// directories of the filesystem backend small.
func ContentKey(h Hash) string {
	x := h.String()
	return "blobs/sha256/" + x[:2] + "/" + x
}

// PutContent stores the content read from r, deduplicated by its SHA-256, and returns
// its digests. size is the exact length when known, or -1; a reader that ends early or
// runs long is ErrDigestMismatch, and nothing is stored.
//
// The key depends on the digest, which is known only after the last byte, and an
// immutable store has no rename, so the stream is spooled to a temporary file in
// Options.TempDir while it is digested, then put with its SHA-256 for the backend to
// verify. When the caller already has the digests (ingest reads a local file once to
// digest and check it), PutContentKnown avoids the spool.
//
// Content is stored at once but made durable with the record that names it
// (CreateRecord and CorrectRecord Sync the store before they return): content that
// no record names is not part of the archive, and a power failure may take it back.
// A caller that stores content for any other purpose calls blob.Sync on the store.
func (a *Archive) PutContent(ctx context.Context, r io.Reader, size int64) (Digests, error) {
	f, err := os.CreateTemp(a.tempDir, "gongshi-spool-*")
	if err != nil {
		return Digests{}, fmt.Errorf("archive: put content: spool: %w", err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	d := NewDigester()
	src := r
	if size >= 0 {
		src = io.LimitReader(r, size+1) // one byte more tells a long reader
	}
	n, err := copyContext(ctx, io.MultiWriter(f, d), src)
	if err != nil {
		return Digests{}, fmt.Errorf("archive: put content: spool: %w", err)
	}
	if size >= 0 && n != size {
		return Digests{}, fmt.Errorf("archive: put content: read %d bytes, declared %d: %w", n, size, ErrDigestMismatch)
	}
	sum := d.Sum()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return Digests{}, fmt.Errorf("archive: put content %s: spool: %w", sum.SHA256, err)
	}
	// The spool's digests were computed here, so only the backend's SHA-256 check is
	// needed against a spool that changed on disk.
	if err := a.putKnown(ctx, sum, f, false); err != nil {
		return Digests{}, err
	}
	return sum, nil
}

// PutContentKnown stores the content read from r, whose digests the caller computed as
// d. When an object with d.SHA256 is already stored and has d.Size bytes it is the
// same content, r is not read, and the call succeeds (deduplication). Otherwise the
// backend checks the SHA-256 and size as it stores, and the SM3 is checked here on the
// same read; any mismatch is ErrDigestMismatch. (A mismatch of SM3 alone is found
// after the object is stored: the object is then correct, the caller's SM3 is not.)
func (a *Archive) PutContentKnown(ctx context.Context, d Digests, r io.Reader) error {
	return a.putKnown(ctx, d, r, true)
}

func (a *Archive) putKnown(ctx context.Context, d Digests, r io.Reader, verify bool) error {
	key := ContentKey(d.SHA256)
	if d.Size < 0 {
		return fmt.Errorf("archive: put content %s: negative size %d: %w", d.SHA256, d.Size, ErrDigestMismatch)
	}
	// Large content is looked for first, so that a duplicate is not sent again.
	// Small content is sent straight away: create-once refuses a duplicate anyway,
	// and the look would cost a round trip per document on S3.
	if d.Size >= statFirstSize {
		switch err := a.checkStored(ctx, key, d); {
		case err == nil:
			a.noteStored(d)
			return nil
		case !errors.Is(err, blob.ErrNotFound):
			return fmt.Errorf("archive: put content %s: %w", d.SHA256, err)
		}
	}
	var tee *TeeReader
	if verify {
		tee = NewTeeReader(r)
		r = tee
	}
	// Small content is deferred: made durable with the record that names it (see
	// journal), one flush for all. Large content flushes itself at once, while
	// the next document is digested: the flush is worth its cost on so many bytes
	// (deferred, 10 × 200 MB filed at 0.81–0.88 of digest speed; not, 0.88–0.93).
	_, err := a.store.Put(ctx, key, r, blob.PutOptions{Size: d.Size, SHA256: d.SHA256[:], Deferred: d.Size < statFirstSize})
	switch {
	case errors.Is(err, blob.ErrExists):
		// Stored before (or by another writer between our look and our put).
		if err := a.checkStored(ctx, key, d); err != nil {
			return fmt.Errorf("archive: put content %s: %w", d.SHA256, err)
		}
		a.noteStored(d)
		return nil
	case errors.Is(err, blob.ErrChecksum):
		return fmt.Errorf("archive: put content %s: %w: %w", d.SHA256, ErrDigestMismatch, err)
	case err != nil:
		return fmt.Errorf("archive: put content %s: %w", d.SHA256, err)
	}
	if verify {
		if got := tee.Sum(); got != d {
			return fmt.Errorf("archive: put content %s: stored, but the content's digests are sha256 %s sm3 %s size %d, not those declared (sm3 %s size %d): %w",
				d.SHA256, got.SHA256, got.SM3, got.Size, d.SM3, d.Size, ErrDigestMismatch)
		}
	}
	a.noteStored(d)
	return nil
}

// recentWindow is how long the archive trusts its own knowledge that content is
// stored. Filing stores the content and then the record, moments apart; checking
// the content again in between would cost a round trip per document on S3. A
// window, not forever: content can be disposed of, years later, by retention.
const recentWindow = time.Minute

// noteStored remembers that content d is stored, as of now.
func (a *Archive) noteStored(d Digests) {
	a.recent.Store(d.SHA256, storedAt{size: d.Size, at: a.now()})
}

// storedRecently reports whether this archive stored or found content d within
// the recent window.
func (a *Archive) storedRecently(d Digests) bool {
	v, ok := a.recent.Load(d.SHA256)
	if !ok {
		return false
	}
	s := v.(storedAt)
	if s.size != d.Size || a.now().Sub(s.at) > recentWindow {
		a.recent.Delete(d.SHA256)
		return false
	}
	return true
}

type storedAt struct {
	size int64
	at   time.Time
}

// checkStored returns nil when the object under key exists with d's size, the
// store's ErrNotFound when it does not exist, and ErrDigestMismatch when its size
// differs: content-addressed objects are verified when stored, so a wrong size means
// damage or a caller's wrong digests, never a legitimate other object.
func (a *Archive) checkStored(ctx context.Context, key string, d Digests) error {
	info, err := a.store.Stat(ctx, key)
	if err != nil {
		return err
	}
	if info.Size != d.Size {
		return fmt.Errorf("stored object has %d bytes, declared %d: %w", info.Size, d.Size, ErrDigestMismatch)
	}
	return nil
}

// HasContent reports whether content with digests d is stored (with d's size).
func (a *Archive) HasContent(ctx context.Context, d Digests) (bool, error) {
	switch err := a.checkStored(ctx, ContentKey(d.SHA256), d); {
	case err == nil:
		return true, nil
	case errors.Is(err, blob.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("archive: content %s: %w", d.SHA256, err)
	}
}

// OpenContent opens the content object with SHA-256 h for reading; the caller closes
// it. It returns ErrNotFound when there is none.
func (a *Archive) OpenContent(ctx context.Context, h Hash) (io.ReadCloser, error) {
	rc, err := a.store.Get(ctx, ContentKey(h))
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("archive: content %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: content %s: %w", h, err)
	}
	return rc, nil
}
