package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Put stores the content under key if no object has that key.
//
// Content whose size and SHA-256 are both declared (as ingest declares them),
// up to S3's 5 GiB limit on one PUT, is streamed in a single PUT that carries the
// declared SHA-256 as x-amz-checksum-sha256: the server hashes the whole body
// and refuses to store it unless it matches, so the check is end to end, the
// client need not hash it again (docs/benchmarks.md: ingest into MinIO), and
// nothing is held in memory. This needs a server that checks the header, as AWS
// S3 and MinIO do (the conformance suite's Checksum test fails on one that does
// not). A seekable source (a file) lets minio-go retry the PUT.
//
// Other content up to one part is read into memory, checked against opts.Size and
// opts.SHA256, and sent in one PUT with If-None-Match: * and its SHA-256 both as
// the signed payload hash and as x-amz-checksum-sha256, so the server checks it
// too. Larger content goes as a multipart upload driven here, one part in memory
// at a time: each part carries its SHA-256, the whole-content SHA-256 and size
// are checked before CompleteMultipartUpload, and the completion itself carries
// If-None-Match: *, which MinIO evaluates under its object lock, so that of many
// racing uploads exactly one completes. On any failure the upload is aborted and
// nothing becomes visible.
//
// minio-go's own PutObject is not used for large objects: it sends If-None-Match
// when it initiates a multipart upload but drops it from the completion
// (completeUploadOpts in v7.4.1), so two uploads that both start while the key is
// free both complete, the second as a new version over the first. Its streaming
// also completes before the caller's whole-content SHA-256 could be checked.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: put %s: %w", key, err)
	}
	inf, err := s.put(ctx, key, r, opts)
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: put %s: %w", key, err)
	}
	return inf, nil
}

func (s *Store) put(ctx context.Context, key string, r io.Reader, opts blob.PutOptions) (blob.Info, error) {
	if opts.Size < -1 {
		return blob.Info{}, fmt.Errorf("size %d: must be -1 (unknown) or more", opts.Size)
	}
	if opts.SHA256 != nil && len(opts.SHA256) != sha256.Size {
		return blob.Info{}, fmt.Errorf("SHA256 has %d bytes, want %d", len(opts.SHA256), sha256.Size)
	}
	if opts.Size > int64(maxParts)*int64(s.partSize) {
		return blob.Info{}, fmt.Errorf("size %d: larger than %d parts of %d bytes; raise the part size", opts.Size, maxParts, s.partSize)
	}
	po, err := s.putOptions(opts)
	if err != nil {
		return blob.Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	if opts.SHA256 != nil && opts.Size >= 0 && opts.Size <= maxSinglePut {
		return s.putStream(ctx, key, r, opts, po)
	}

	// A known small size reads into a buffer of exactly that size plus one byte,
	// to notice content that runs long; anything else into a part buffer.
	var buf []byte
	if opts.Size >= 0 && opts.Size < int64(s.partSize) {
		buf = make([]byte, opts.Size+1)
	} else {
		bp := s.getBuf()
		defer s.bufs.Put(bp)
		buf = *bp
	}
	n, rerr := io.ReadFull(r, buf)
	switch {
	case opts.Size >= 0 && int64(n) > opts.Size:
		return blob.Info{}, fmt.Errorf("%w: content is longer than the declared %d bytes", blob.ErrChecksum, opts.Size)
	case rerr == nil:
		return s.putMultipart(ctx, key, r, buf, opts, po)
	case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
		return s.putSingle(ctx, key, buf[:n], opts, po)
	default:
		return blob.Info{}, fmt.Errorf("reading content: %w", rerr)
	}
}

func (s *Store) getBuf() *[]byte {
	if bp, ok := s.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, s.partSize)
	return &b
}

// putOptions translates the blob options into the headers of the create request.
func (s *Store) putOptions(opts blob.PutOptions) (minio.PutObjectOptions, error) {
	po := minio.PutObjectOptions{ContentType: opts.ContentType}
	if opts.Mode != "" && !opts.Mode.Valid() {
		return po, fmt.Errorf("retention mode %q: must be %s or %s", opts.Mode, blob.Governance, blob.Compliance)
	}
	if !opts.RetainUntil.IsZero() {
		mode := opts.Mode
		if mode == "" {
			mode = s.mode
		}
		// S3 carries the date in whole seconds; round up so that the lock is never
		// shorter than asked. A date already past locks nothing, and S3 refuses it.
		until := opts.RetainUntil.UTC()
		if t := until.Truncate(time.Second); !t.Equal(until) {
			until = t.Add(time.Second)
		}
		if until.After(time.Now()) {
			po.Mode = minio.RetentionMode(mode)
			po.RetainUntilDate = until
		}
	}
	if opts.LegalHold {
		po.LegalHold = minio.LegalHoldEnabled
	}
	po.SetMatchETagExcept("*") // create-once: 412 when the key exists
	return po, nil
}

// putSingle sends content that fits in one part with a single PUT.
func (s *Store) putSingle(ctx context.Context, key string, data []byte, opts blob.PutOptions, po minio.PutObjectOptions) (blob.Info, error) {
	if opts.Size >= 0 && int64(len(data)) != opts.Size {
		return blob.Info{}, fmt.Errorf("%w: content has %d bytes, declared %d", blob.ErrChecksum, len(data), opts.Size)
	}
	sum := sha256.Sum256(data)
	if opts.SHA256 != nil && !bytes.Equal(sum[:], opts.SHA256) {
		return blob.Info{}, fmt.Errorf("%w: SHA-256 of the content is %x, declared %x", blob.ErrChecksum, sum, opts.SHA256)
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	// The server checks the body against x-amz-checksum-sha256, a signed header,
	// and stores it with the object. The payload itself goes unsigned
	// (DisableContentSha256): signing its hash too would make the server hash twice.
	po.DisableContentSha256 = true
	po.UserMetadata = map[string]string{"X-Amz-Checksum-Sha256": base64.StdEncoding.EncodeToString(sum[:])}
	_, err := s.core.PutObject(ctx, s.bucket, storedName(key), bytes.NewReader(data), int64(len(data)), "", "", po)
	if err != nil {
		return blob.Info{}, mapErr(err)
	}
	return s.created(key, int64(len(data))), nil
}

// maxSinglePut is the S3 limit on the size of an object sent in one PUT.
const maxSinglePut = 5 << 30

// putStream sends content of declared size and SHA-256 in one streamed PUT; the
// server checks the SHA-256 (see Put).
func (s *Store) putStream(ctx context.Context, key string, r io.Reader, opts blob.PutOptions, po minio.PutObjectOptions) (blob.Info, error) {
	po.DisableContentSha256 = true
	po.UserMetadata = map[string]string{"X-Amz-Checksum-Sha256": base64.StdEncoding.EncodeToString(opts.SHA256)}
	body, err := newExactReader(r, opts.Size)
	if err != nil {
		return blob.Info{}, err
	}
	_, err = s.core.PutObject(ctx, s.bucket, storedName(key), body, opts.Size, "", "", po)
	if err != nil {
		if berr := body.failure(); berr != nil {
			// The content broke its declaration (or could not be read): the
			// request was cut short and the server stored nothing.
			return blob.Info{}, berr
		}
		return blob.Info{}, mapErr(err)
	}
	return s.created(key, opts.Size), nil
}

// exactReader passes on exactly size bytes of r and fails, before the last of
// them reaches the request, if r has fewer or more: the HTTP client sends only
// the declared length and would not notice content that runs long. failure says
// what went wrong when the request fails because of it. The HTTP client reads it
// on its own goroutine, which may outlive the request, hence the lock.
type exactReader struct {
	mu   sync.Mutex
	r    io.Reader
	size int64
	left int64
	err  error
}

// seekableExactReader is an exactReader over a seekable source: minio-go can
// then rewind it and retry a request that failed on the way (a reset
// connection, a 503), as it cannot with a plain reader.
type seekableExactReader struct {
	*exactReader
	base int64 // where the content starts in the source
}

type exactBody interface {
	io.Reader
	failure() error
}

func newExactReader(r io.Reader, size int64) (exactBody, error) {
	e := &exactReader{r: r, size: size, left: size}
	sk, ok := r.(io.Seeker)
	if !ok {
		return e, nil
	}
	base, err := sk.Seek(0, io.SeekCurrent)
	if err != nil {
		return e, nil // not seekable after all (a pipe): no retries, but no error
	}
	return &seekableExactReader{exactReader: e, base: base}, nil
}

func (e *exactReader) failure() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

func (e *exactReader) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return 0, e.err
	}
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case e.left == 0:
		var one [1]byte
		if m, _ := io.ReadFull(e.r, one[:]); m > 0 {
			e.err = fmt.Errorf("%w: content is longer than the declared size", blob.ErrChecksum)
			return 0, e.err
		}
		return n, nil
	case err == io.EOF:
		e.err = fmt.Errorf("%w: content is shorter than the declared size (%d bytes missing)", blob.ErrChecksum, e.left)
		return 0, e.err
	case err != nil:
		e.err = fmt.Errorf("reading content: %w", err)
		return 0, e.err
	}
	return n, nil
}

// Seek moves within the content (offsets count from its start, not the
// source's) and forgets a failure, for a retry from the start.
func (e *seekableExactReader) Seek(offset int64, whence int) (int64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pos := offset
	switch whence {
	case io.SeekCurrent:
		pos += e.size - e.left
	case io.SeekEnd:
		pos += e.size
	}
	if pos < 0 || pos > e.size {
		return 0, fmt.Errorf("seek to %d: outside the content's %d bytes", pos, e.size)
	}
	if _, err := e.r.(io.Seeker).Seek(e.base+pos, io.SeekStart); err != nil {
		return 0, err
	}
	e.left, e.err = e.size-pos, nil
	return pos, nil
}

// created describes the object just made. S3 answers a PUT without the object's
// modification time, and asking for it would cost a round trip per object, a
// tenth of a small put; the local clock stands in (Stat gives the server's).
func (s *Store) created(key string, size int64) blob.Info {
	return info(key, size, time.Now())
}

// putMultipart uploads content larger than a part. first is the full first part,
// read from r into the part buffer.
func (s *Store) putMultipart(ctx context.Context, key string, r io.Reader, buf []byte, opts blob.PutOptions, po minio.PutObjectOptions) (_ blob.Info, err error) {
	initOpts := po
	initOpts.UserMetadata = map[string]string{"X-Amz-Checksum-Algorithm": "SHA256"}
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, storedName(key), initOpts)
	if err != nil {
		return blob.Info{}, mapErr(err)
	}
	completed := false
	defer func() {
		if !completed {
			// The caller's context may be what ended the upload: abort regardless.
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			if aerr := s.core.AbortMultipartUpload(actx, s.bucket, storedName(key), uploadID); aerr != nil {
				err = fmt.Errorf("%w (and aborting upload %s failed: %v)", err, uploadID, aerr)
			}
		}
	}()

	whole := sha256.New()
	var total int64
	var parts []minio.CompletePart
	n := len(buf)
	for part := 1; ; part++ {
		if part > maxParts {
			return blob.Info{}, fmt.Errorf("content is larger than %d parts of %d bytes; raise the part size", maxParts, s.partSize)
		}
		chunk := buf[:n]
		total += int64(n)
		if opts.Size >= 0 && total > opts.Size {
			return blob.Info{}, fmt.Errorf("%w: content is longer than the declared %d bytes", blob.ErrChecksum, opts.Size)
		}
		whole.Write(chunk)
		sum := sha256.Sum256(chunk)
		// The server checks the signed x-amz-checksum-sha256 header against the
		// part; signing the payload hash as well would make it hash twice.
		op, err := s.core.PutObjectPart(ctx, s.bucket, storedName(key), uploadID, part, bytes.NewReader(chunk), int64(n), minio.PutObjectPartOptions{
			DisableContentSha256: true,
			CustomHeader:         http.Header{"X-Amz-Checksum-Sha256": {base64.StdEncoding.EncodeToString(sum[:])}},
		})
		if err != nil {
			return blob.Info{}, fmt.Errorf("part %d: %w", part, mapErr(err))
		}
		parts = append(parts, minio.CompletePart{PartNumber: part, ETag: op.ETag, ChecksumSHA256: op.ChecksumSHA256})

		var rerr error
		n, rerr = io.ReadFull(r, buf)
		if rerr == io.EOF {
			break
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			return blob.Info{}, fmt.Errorf("reading content: %w", rerr)
		}
		if err := ctx.Err(); err != nil {
			return blob.Info{}, err
		}
	}

	if opts.Size >= 0 && total != opts.Size {
		return blob.Info{}, fmt.Errorf("%w: content has %d bytes, declared %d", blob.ErrChecksum, total, opts.Size)
	}
	if opts.SHA256 != nil {
		if sum := whole.Sum(nil); !bytes.Equal(sum, opts.SHA256) {
			return blob.Info{}, fmt.Errorf("%w: SHA-256 of the content is %x, declared %x", blob.ErrChecksum, sum, opts.SHA256)
		}
	}
	if err := ctx.Err(); err != nil {
		return blob.Info{}, err
	}
	// From here on the outcome must be definite: a completion cancelled half-way
	// could leave an object the caller was told was not stored.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	compOpts := minio.PutObjectOptions{}
	compOpts.SetMatchETagExcept("*")
	_, err = s.core.CompleteMultipartUpload(cctx, s.bucket, storedName(key), uploadID, parts, compOpts)
	if err != nil {
		err = mapErr(err)
		if errors.Is(err, blob.ErrExists) {
			// Another Put completed first. Parts of ours may linger: abort (deferred).
			return blob.Info{}, err
		}
		return blob.Info{}, fmt.Errorf("completing upload: %w", err)
	}
	completed = true
	return s.created(key, total), nil
}
