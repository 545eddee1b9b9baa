package s3

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

var (
	_ blob.Store     = (*Store)(nil)
	_ blob.Describer = (*Store)(nil)
	_ blob.Versioned = (*Store)(nil)
)

const (
	// DefaultPartSize is the multipart part size when Config.PartSize is zero. Each
	// Put in flight holds one buffer of this size, whatever the object's size.
	DefaultPartSize = 16 << 20
	// MinPartSize and MaxPartSize are the S3 limits on a part.
	MinPartSize = 5 << 20
	MaxPartSize = 5 << 30
	// maxParts is the S3 limit on the number of parts of one object.
	maxParts = 10000

	// dialTimeout bounds the reachability check of Open.
	dialTimeout = 5 * time.Second
	// openTimeout bounds the bucket checks of Open.
	openTimeout = 20 * time.Second
	// cleanupTimeout bounds an abort or removal made after the caller's context ended.
	cleanupTimeout = time.Minute
	// maxPins bounds the versions remembered (see original): about 100 bytes
	// each. When full, the memory is cleared and refilled as keys are read.
	maxPins = 1 << 16
)

// Config says where the bucket is and how to write to it.
type Config struct {
	// Endpoint is host:port (or just host) of the S3 server, without scheme or path.
	Endpoint string
	// Bucket is created, with object locking on, when it does not exist.
	Bucket string
	// AccessKey and SecretKey are the S3 credentials.
	AccessKey, SecretKey string
	// Region is the bucket's region; empty lets the client find out.
	Region string
	// Insecure selects plain http instead of https.
	Insecure bool
	// Mode is the retention mode used when PutOptions.Mode is empty. Empty means
	// blob.Compliance, what a production archive runs; tests use blob.Governance so
	// that they can clean up.
	Mode blob.Mode
	// PartSize is the multipart part size and, for content of unknown size or
	// SHA-256, the largest object sent in a single PUT; 0 means DefaultPartSize.
	// Memory per Put in flight is at most one part.
	PartSize uint64
}

func (c *Config) check() error {
	switch {
	case c.Endpoint == "":
		return errors.New("s3: endpoint is empty: give host:port of the S3 server (--s3-endpoint)")
	case strings.Contains(c.Endpoint, "://"):
		return fmt.Errorf("s3: endpoint must be host:port without scheme, got %q (use --s3-insecure for plain http)", c.Endpoint)
	case strings.ContainsAny(c.Endpoint, "/?# "):
		return fmt.Errorf("s3: endpoint must be host:port without path, got %q", c.Endpoint)
	}
	if _, port, err := net.SplitHostPort(c.Endpoint); err == nil && port == "" {
		return fmt.Errorf("s3: endpoint %q has an empty port", c.Endpoint)
	}
	if c.Bucket == "" {
		return errors.New("s3: bucket is empty (--s3-bucket)")
	}
	if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
		return fmt.Errorf("s3: bucket name %q: %v", c.Bucket, err)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return errors.New("s3: access key and secret key are both required (--s3-access-key, --s3-secret-key)")
	}
	if c.Mode == "" {
		c.Mode = blob.Compliance
	}
	if !c.Mode.Valid() {
		return fmt.Errorf("s3: retention mode %q: must be %s or %s", c.Mode, blob.Governance, blob.Compliance)
	}
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.PartSize < MinPartSize || c.PartSize > MaxPartSize {
		return fmt.Errorf("s3: part size %d: must be between %d (5 MiB) and %d (5 GiB)", c.PartSize, MinPartSize, MaxPartSize)
	}
	return nil
}

func (c *Config) url() string {
	if c.Insecure {
		return "http://" + c.Endpoint
	}
	return "https://" + c.Endpoint
}

// nameSuffix ends the S3 object name of every key. MinIO keeps an object "a" as a
// directory "a/" on its drives, and its listings then skip every object under
// "a/"; with the suffix, the object is "a!" and the objects under "a/" stay
// visible. '!' cannot occur in a key (blob.ValidateKey) and sorts below every
// byte that can, '/' included, so the object names sort exactly as their keys do.
const nameSuffix = "!"

// storedName is the S3 object name of key.
func storedName(key string) string { return key + nameSuffix }

// keyOf is the key of an S3 object name, and false for a name that is not one
// of Gongshi's.
func keyOf(name string) (string, bool) {
	key, ok := strings.CutSuffix(name, nameSuffix)
	if !ok || blob.ValidateKey(key) != nil {
		return "", false
	}
	return key, true
}

// Store is a blob.Store in one S3 bucket with object lock.
type Store struct {
	client    *minio.Client
	transport *http.Transport
	core      minio.Core
	bucket    string
	endpoint  string
	mode      blob.Mode
	partSize  int
	bufs      sync.Pool // *[]byte of partSize
	// pins remembers the version Gongshi created of keys read lately (key →
	// pin), so that a read costs one request, not a listing of versions and a
	// request. It is only a shortcut: a remembered version that is gone (its key
	// deleted, perhaps made again, by another process) is not found, and the
	// key's versions are then listed again.
	pins  sync.Map
	npins atomic.Int64
}

// pin is the version of a key that Gongshi created.
type pin struct {
	id   string
	size int64
	mod  time.Time
}

// Open connects to the server, checks that it answers and accepts the credentials,
// and checks that the bucket has object locking on, creating the bucket when it
// does not exist. Its errors are one line that says what to fix.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	transport, err := minio.DefaultTransport(!cfg.Insecure)
	if err != nil {
		return nil, fmt.Errorf("s3: transport: %v", err)
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Transport: transport,
		Secure:    !cfg.Insecure,
		Region:    cfg.Region,
		// Needed for SHA-256 checksums on uploads (docs/architecture.md, "Facts").
		TrailingHeaders: true,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: endpoint %q: %v", cfg.Endpoint, err)
	}
	s := &Store{
		client:    client,
		transport: transport,
		core:      minio.Core{Client: client},
		bucket:    cfg.Bucket,
		endpoint:  cfg.Endpoint,
		mode:      cfg.Mode,
		partSize:  int(cfg.PartSize),
	}
	if err := s.reachable(ctx, &cfg); err != nil {
		return nil, err
	}
	if err := s.checkBucket(ctx, &cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// reachable dials the endpoint once, so that a wrong address or a stopped server
// is reported at once instead of after the client's retries.
func (s *Store) reachable(ctx context.Context, cfg *Config) error {
	addr := cfg.Endpoint
	if _, _, err := net.SplitHostPort(addr); err != nil {
		if cfg.Insecure {
			addr = net.JoinHostPort(addr, "80")
		} else {
			addr = net.JoinHostPort(addr, "443")
		}
	}
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return fmt.Errorf("s3: cannot reach %s: %v — check --s3-endpoint and that the server is running", cfg.url(), err)
	}
	conn.Close()
	return nil
}

// checkBucket asks for the bucket's object lock configuration: the first request
// that needs valid credentials, and the property Gongshi cannot do without.
func (s *Store) checkBucket(ctx context.Context, cfg *Config) error {
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	where := fmt.Sprintf("bucket %q at %s", cfg.Bucket, cfg.url())
	for attempt := 0; ; attempt++ {
		enabled, _, _, _, err := s.client.GetObjectLockConfig(ctx, cfg.Bucket)
		if err == nil {
			if enabled != "Enabled" {
				return fmt.Errorf("s3: %s has object lock %q, not Enabled: Gongshi needs a bucket made with object locking on; use another bucket or let Gongshi create one", where, enabled)
			}
			return nil
		}
		resp := minio.ToErrorResponse(err)
		switch resp.Code {
		case "NoSuchBucket":
			if attempt > 0 {
				return fmt.Errorf("s3: %s: created but still not found: %v", where, err)
			}
			err := s.client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region, ObjectLocking: true})
			if err != nil {
				code := minio.ToErrorResponse(err).Code
				if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
					return fmt.Errorf("s3: creating %s with object locking: %v", where, describeErr(err))
				}
			}
			continue // check what is there now, whoever made it
		case "ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound", "NoSuchObjectLockConfiguration":
			return fmt.Errorf("s3: %s exists but has no object lock configuration: Gongshi needs a bucket made with object locking on; use another bucket name (Gongshi creates it with locking) or enable object lock on this one", where)
		}
		return fmt.Errorf("s3: %s: %s", where, describeErr(err))
	}
}

// describeErr turns the errors a misconfigured client meets into one line with a hint.
func describeErr(err error) string {
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "InvalidAccessKeyId":
		return "the server does not know the access key (InvalidAccessKeyId): check --s3-access-key"
	case "SignatureDoesNotMatch":
		return "the server rejected the secret key (SignatureDoesNotMatch): check --s3-secret-key"
	case "AccessDenied":
		return "access denied: the credentials lack permission for this bucket (" + resp.Message + ")"
	case "InvalidBucketName":
		return "invalid bucket name: " + resp.Message
	}
	msg := err.Error()
	// net/http says this one in words only (it replaces the tls.RecordHeaderError
	// of an http answer with errors.New): there is no type to test.
	if strings.Contains(msg, "HTTP response to HTTPS client") {
		return msg + " — the server speaks plain http: add --s3-insecure"
	}
	if tlsFailed(err) {
		return msg + " — TLS failed: check the server certificate, or --s3-insecure if the server speaks plain http"
	}
	if resp.Code != "" {
		return fmt.Sprintf("%s (%s)", msg, resp.Code)
	}
	return msg
}

// tlsFailed says whether the TLS handshake failed: a certificate that does not
// verify (untrusted, expired, for another host), an alert from the server, or an
// answer that is not TLS at all.
func tlsFailed(err error) bool {
	var (
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		header tls.RecordHeaderError
	)
	return errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &header)
}

// Describe returns "s3://endpoint/bucket".
func (s *Store) Describe() string { return "s3://" + s.endpoint + "/" + s.bucket }

// Close releases idle connections. The Store must not be used afterwards.
func (s *Store) Close() error {
	s.transport.CloseIdleConnections()
	return nil
}

// Get opens the version of the object that Gongshi created (see
// blob.Versioned) for streaming. The request is made before Get returns, so that
// a missing object is reported here as blob.ErrNotFound.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, fmt.Errorf("blob/s3: get %s: %w", key, err)
	}
	var out io.ReadCloser
	err := s.withOriginal(ctx, key, func(p pin, _ bool) error {
		obj, err := s.client.GetObject(ctx, s.bucket, storedName(key), minio.GetObjectOptions{VersionID: p.id})
		if err == nil {
			// GetObject is lazy: Stat makes the request and surfaces a missing version.
			if _, err = obj.Stat(); err != nil {
				obj.Close()
			}
		}
		if err != nil {
			return mapErr(err)
		}
		out = obj
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("blob/s3: get %s: %w", key, err)
	}
	return out, nil
}

// Stat describes the version of the object that Gongshi created, without
// reading it.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: stat %s: %w", key, err)
	}
	var out blob.Info
	err := s.withOriginal(ctx, key, func(p pin, listed bool) error {
		if listed {
			out = info(key, p.size, p.mod) // the listing of versions just said so
			return nil
		}
		oi, err := s.client.StatObject(ctx, s.bucket, storedName(key), minio.StatObjectOptions{VersionID: p.id})
		if err != nil {
			return mapErr(err)
		}
		out = info(key, oi.Size, oi.LastModified)
		return nil
	})
	if err != nil {
		return blob.Info{}, fmt.Errorf("blob/s3: stat %s: %w", key, err)
	}
	return out, nil
}

// withOriginal calls fn with the version of key that Gongshi created: the
// oldest version that is not a delete marker (blob.Versioned), remembered or
// found by listing the key's versions (listed is then true). When a remembered
// version is not found, the key's versions are listed again and fn is called
// once more.
func (s *Store) withOriginal(ctx context.Context, key string, fn func(p pin, listed bool) error) error {
	if v, ok := s.pins.Load(key); ok {
		err := fn(v.(pin), false)
		if !errors.Is(err, blob.ErrNotFound) {
			return err
		}
		s.pins.Delete(key)
	}
	p, err := s.original(ctx, key)
	if err != nil {
		return err
	}
	if s.npins.Add(1) > maxPins {
		s.pins.Clear()
		s.npins.Store(1)
	}
	s.pins.Store(key, p)
	return fn(p, true)
}

// original lists the versions of key and returns the oldest that is not a
// delete marker, or blob.ErrNotFound when there is none.
func (s *Store) original(ctx context.Context, key string) (pin, error) {
	vs, err := s.versions(ctx, key)
	if err != nil {
		return pin{}, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].IsDeleteMarker {
			return pin{id: vs[i].VersionID, size: vs[i].Size, mod: vs[i].LastModified}, nil
		}
	}
	return pin{}, blob.ErrNotFound
}

// info builds a blob.Info. ModTime is cut to whole seconds because that is all the
// Last-Modified header of HEAD and GET carries, so that Put, Stat and List agree.
func info(key string, size int64, mod time.Time) blob.Info {
	return blob.Info{Key: key, Size: size, ModTime: mod.Truncate(time.Second).UTC()}
}

// List calls fn for each object under prefix after the key after, in ascending
// byte order (the S3 listing order for ASCII keys).
func (s *Store) List(ctx context.Context, prefix, after string, fn func(blob.Info) error) error {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("blob/s3: list %s: %w", prefix, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the client's paging when fn stops us early
	opts := minio.ListObjectsOptions{Prefix: prefix, Recursive: true}
	if after != "" {
		// storedName preserves order, so this skips exactly the keys up to after.
		opts.StartAfter = storedName(after)
	}
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if oi.Err != nil {
			return fmt.Errorf("blob/s3: list %s: %w", prefix, mapErr(oi.Err))
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blob/s3: list %s: %w", prefix, err)
		}
		key, ok := keyOf(oi.Key)
		if !ok || key <= after || !strings.HasPrefix(key, prefix) {
			continue // not Gongshi's, or a server that ignores StartAfter or Prefix
		}
		if err := fn(info(key, oi.Size, oi.LastModified)); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob/s3: list %s: %w", prefix, err)
	}
	return nil
}

// Retention reports the retention and legal hold of the version of the object
// that Gongshi created.
func (s *Store) Retention(ctx context.Context, key string) (blob.Retention, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.Retention{}, fmt.Errorf("blob/s3: retention %s: %w", key, err)
	}
	var ret blob.Retention
	err := s.withOriginal(ctx, key, func(p pin, _ bool) error {
		var err error
		ret, err = s.retention(ctx, key, p.id)
		return err
	})
	if err != nil {
		return blob.Retention{}, fmt.Errorf("blob/s3: retention %s: %w", key, err)
	}
	return ret, nil
}

func (s *Store) retention(ctx context.Context, key, versionID string) (blob.Retention, error) {
	var ret blob.Retention
	mode, until, err := s.client.GetObjectRetention(ctx, s.bucket, storedName(key), versionID)
	switch {
	case err == nil:
		if until != nil && !until.IsZero() {
			ret.Until = until.UTC()
			if mode != nil {
				ret.Mode = blob.Mode(*mode)
			}
		}
	case noLockConfig(err):
	default:
		return blob.Retention{}, mapErr(err)
	}
	hold, err := s.client.GetObjectLegalHold(ctx, s.bucket, storedName(key), minio.GetObjectLegalHoldOptions{VersionID: versionID})
	switch {
	case err == nil:
		ret.LegalHold = hold != nil && *hold == minio.LegalHoldEnabled
	case noLockConfig(err):
	default:
		return blob.Retention{}, mapErr(err)
	}
	return ret, nil
}

// SetLegalHold sets or clears the legal hold of the version of the object that
// Gongshi created.
func (s *Store) SetLegalHold(ctx context.Context, key string, on bool) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/s3: legal hold %s: %w", key, err)
	}
	status := minio.LegalHoldDisabled
	if on {
		status = minio.LegalHoldEnabled
	}
	err := s.withOriginal(ctx, key, func(p pin, _ bool) error {
		err := s.client.PutObjectLegalHold(ctx, s.bucket, storedName(key), minio.PutObjectLegalHoldOptions{VersionID: p.id, Status: &status})
		if err != nil {
			return mapErr(err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("blob/s3: legal hold %s: %w", key, err)
	}
	return nil
}

// ExtendRetention implements blob.Locker on the version of the object that
// Gongshi created: it reads the version's retention and sets the later date in
// the same mode (the store's when it has none). The server itself refuses to
// shorten a retention; this never asks it to. The change is durable on return.
func (s *Store) ExtendRetention(ctx context.Context, key string, until time.Time) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/s3: extend retention %s: %w", key, err)
	}
	// S3 carries the date in whole seconds: round up, never down.
	until = until.UTC()
	if t := until.Truncate(time.Second); !t.Equal(until) {
		until = t.Add(time.Second)
	}
	if !until.After(time.Now()) {
		return nil // a date already past locks nothing, and S3 refuses it
	}
	err := s.withOriginal(ctx, key, func(p pin, _ bool) error {
		cur, err := s.retention(ctx, key, p.id)
		if err != nil {
			return err
		}
		if !cur.Until.Before(until) {
			return nil
		}
		mode := minio.RetentionMode(s.mode)
		if cur.Mode != "" {
			mode = minio.RetentionMode(cur.Mode)
		}
		err = s.client.PutObjectRetention(ctx, s.bucket, storedName(key), minio.PutObjectRetentionOptions{
			VersionID: p.id, Mode: &mode, RetainUntilDate: &until})
		if err != nil {
			// Another writer may have extended it further meanwhile, and the
			// server refuses to shorten that: then there is nothing to do.
			if now, rerr := s.retention(ctx, key, p.id); rerr == nil && !now.Until.Before(until) {
				return nil
			}
			return mapErr(err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("blob/s3: extend retention %s: %w", key, err)
	}
	return nil
}

// Overwrites implements blob.Versioned: one listing of every version under
// prefix, in key order, each key's versions newest first.
func (s *Store) Overwrites(ctx context.Context, prefix string, fn func(blob.Overwrite) error) error {
	if err := blob.ValidatePrefix(prefix); err != nil {
		return fmt.Errorf("blob/s3: overwrites %s: %w", prefix, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var cur blob.Overwrite
	objects := 0
	flush := func() error {
		if cur.Key == "" {
			return nil
		}
		if objects > 0 {
			cur.Newer = objects - 1
		} else {
			cur.Newer = 0
		}
		if cur.Newer == 0 && cur.DeleteMarkers == 0 {
			return nil
		}
		return fn(cur)
	}
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true, WithVersions: true}) {
		if oi.Err != nil {
			return fmt.Errorf("blob/s3: overwrites %s: %w", prefix, mapErr(oi.Err))
		}
		key, ok := keyOf(oi.Key)
		if !ok || !strings.HasPrefix(key, prefix) {
			continue
		}
		if key != cur.Key {
			if err := flush(); err != nil {
				return err
			}
			cur, objects = blob.Overwrite{Key: key, Latest: oi.LastModified.UTC()}, 0
		}
		if oi.IsDeleteMarker {
			cur.DeleteMarkers++
		} else {
			objects++
		}
		if oi.LastModified.After(cur.Latest) {
			cur.Latest = oi.LastModified.UTC()
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob/s3: overwrites %s: %w", prefix, err)
	}
	return flush()
}

// Delete removes every version of the key, oldest first, after checking that none
// is under retention or legal hold. The bucket is versioned (object lock turns
// versioning on), so a delete without a version id would only add a delete marker
// and "succeed" on a locked object. The server refuses to remove a locked version
// whatever this code believes, and that refusal is reported as blob.ErrLocked too.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("blob/s3: delete %s: %w", key, err)
	}
	if err := s.delete(ctx, key); err != nil {
		return fmt.Errorf("blob/s3: delete %s: %w", key, err)
	}
	return nil
}

func (s *Store) delete(ctx context.Context, key string) error {
	s.pins.Delete(key)
	versions, err := s.versions(ctx, key)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(versions, func(v minio.ObjectInfo) bool { return !v.IsDeleteMarker }) {
		return blob.ErrNotFound // nothing but delete markers: Get finds nothing either
	}
	now := time.Now()
	for _, v := range versions {
		if v.IsDeleteMarker {
			continue
		}
		ret, err := s.retention(ctx, key, v.VersionID)
		if errors.Is(err, blob.ErrNotFound) {
			continue // removed meanwhile
		}
		if err != nil {
			return err
		}
		if ret.Locked(now) {
			if v.IsLatest {
				return blob.ErrLocked
			}
			return fmt.Errorf("%w (an older version %s)", blob.ErrLocked, v.VersionID)
		}
	}
	// Oldest first: removing the current version first would let an older one
	// become current, visible to readers.
	for i := len(versions) - 1; i >= 0; i-- {
		err := s.client.RemoveObject(ctx, s.bucket, storedName(key), minio.RemoveObjectOptions{VersionID: versions[i].VersionID})
		if err != nil {
			err = mapErr(err)
			if errors.Is(err, blob.ErrNotFound) {
				continue
			}
			return err
		}
	}
	return nil
}

// versions lists every version and delete marker of exactly key, newest first.
func (s *Store) versions(ctx context.Context, key string) ([]minio.ObjectInfo, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out []minio.ObjectInfo
	name := storedName(key)
	opts := minio.ListObjectsOptions{Prefix: name, WithVersions: true, Recursive: true}
	for oi := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if oi.Err != nil {
			return nil, mapErr(oi.Err)
		}
		if oi.Key != name {
			break // no other stored name starts with name; defensive
		}
		out = append(out, oi)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// noLockConfig reports the answer for an object that has no retention or no legal
// hold set.
func noLockConfig(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError":
		return true
	}
	return false
}

// mapErr maps S3 error responses onto the blob sentinel errors, keeping the
// server's message. Other errors pass unchanged.
func mapErr(err error) error {
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.Code == "NoSuchVersion":
		return fmt.Errorf("%w (%s)", blob.ErrNotFound, resp.Code)
	case resp.Code == "" && resp.StatusCode == http.StatusNotFound:
		return blob.ErrNotFound
	case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed:
		return blob.ErrExists
	case resp.Code == "ObjectLocked" || strings.Contains(resp.Message, "WORM") ||
		resp.Code == "AccessDenied" && strings.Contains(strings.ToLower(resp.Message), "object lock"):
		return fmt.Errorf("%w: the server refused: %s", blob.ErrLocked, resp.Message)
	case resp.Code == "XAmzContentSHA256Mismatch" || resp.Code == "BadDigest" ||
		resp.Code == "XAmzContentChecksumMismatch" || resp.Code == "InvalidDigest" ||
		resp.Code == "IncompleteBody":
		return fmt.Errorf("%w: the server refused: %s (%s)", blob.ErrChecksum, resp.Message, resp.Code)
	case resp.Code != "":
		return fmt.Errorf("%w (%s)", err, resp.Code)
	}
	return err
}
