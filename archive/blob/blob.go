package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Backends wrap them with the operation and key
// (fmt.Errorf("blob/fs: put %s: %w", key, ErrExists)); callers test with errors.Is.
var (
	// ErrExists: Put found the key already present. The stored object is unchanged.
	ErrExists = errors.New("object already exists")
	// ErrNotFound: no object under the key.
	ErrNotFound = errors.New("object not found")
	// ErrLocked: Delete was refused because a retention date lies in the future or a
	// legal hold is set. The object is unchanged.
	ErrLocked = errors.New("object is locked by retention or legal hold")
	// ErrInvalidKey: the key does not follow the key rules of ValidateKey.
	ErrInvalidKey = errors.New("invalid key")
	// ErrChecksum: the bytes received differ from PutOptions.SHA256 or PutOptions.Size.
	// Nothing was stored.
	ErrChecksum = errors.New("content does not match the declared checksum or size")
)

// Mode is the strength of a retention lock.
type Mode string

const (
	// Governance: a privileged operator of the storage system could lift the lock
	// outside Gongshi (S3 governance mode). Gongshi itself never does.
	Governance Mode = "GOVERNANCE"
	// Compliance: nobody can shorten the lock or delete the object before it ends,
	// not even the storage system's root account (S3 compliance mode).
	Compliance Mode = "COMPLIANCE"
)

// Valid reports whether m is one of the defined modes.
func (m Mode) Valid() bool { return m == Governance || m == Compliance }

// PutOptions describe an object being created.
type PutOptions struct {
	// Size is the exact length of the content, or -1 when unknown. A known size lets
	// backends stream without buffering; a reader that ends early or runs long is
	// rejected with ErrChecksum.
	Size int64
	// SHA256, when not nil, is the SHA-256 of the content as the caller computed it.
	// The backend (or its server) checks it and stores nothing on a mismatch
	// (ErrChecksum).
	SHA256 []byte
	// RetainUntil, when not zero, locks the object against deletion until then.
	RetainUntil time.Time
	// Mode is the retention mode to use with RetainUntil. Empty means the backend's
	// configured default.
	Mode Mode
	// LegalHold sets a legal hold at creation.
	LegalHold bool
	// ContentType is advisory (served to HTTP clients); empty means
	// application/octet-stream.
	ContentType string
	// Deferred lets a store that implements Syncer return before the object is
	// durable: it is visible, and create-once is settled, but a power failure
	// may take it back until the next Sync returns. What a power failure leaves
	// of deferred objects is any subset of them, each whole: never an object
	// with part of its content. A caller that sets Deferred must call Sync (see
	// the Sync function) before anything durable depends on the object. Stores
	// without Syncer ignore it: their puts are durable on return.
	Deferred bool
}

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Retention is the lock state of an object.
type Retention struct {
	// Until is the end of the retention period; zero when none was set.
	Until time.Time
	// Mode is the retention mode; empty when Until is zero.
	Mode Mode
	// LegalHold is true while a legal hold is set.
	LegalHold bool
}

// Locked reports whether the object may not be deleted at time now.
func (r Retention) Locked(now time.Time) bool {
	return r.LegalHold || now.Before(r.Until)
}

// Putter creates objects.
type Putter interface {
	// Put stores the content of r under key if, and only if, no object has that key.
	// It is atomic: readers see either no object or the complete one, never a prefix.
	// When the key is taken it returns ErrExists and leaves the stored object as it
	// was. Of many concurrent Puts of one key, from any number of processes, exactly
	// one succeeds. When ctx is cancelled or r fails, no object becomes visible.
	// When Put returns nil the object is durable, unless opts.Deferred asked to
	// leave that to Syncer.Sync.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Info, error)
}

// Getter reads objects.
type Getter interface {
	// Get opens the object for streaming. The caller closes the reader. It returns
	// ErrNotFound when there is no such object.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Stat describes the object without reading it, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
}

// Lister enumerates objects.
type Lister interface {
	// List calls fn once for each object whose key starts with prefix and sorts
	// after the key after (all of them when after is ""), in ascending byte order of
	// the keys, from the calling goroutine. It streams: memory does not grow with the
	// number of keys. An error from fn stops the listing and is returned as is.
	List(ctx context.Context, prefix, after string, fn func(Info) error) error
}

// Deleter removes objects.
type Deleter interface {
	// Delete removes the object. It returns ErrLocked, and changes nothing, while a
	// retention date lies in the future or a legal hold is set; ErrNotFound when there
	// is no such object.
	Delete(ctx context.Context, key string) error
}

// Locker manages retention and legal holds.
type Locker interface {
	// Retention reports the lock state of an object, or ErrNotFound.
	Retention(ctx context.Context, key string) (Retention, error)
	// SetLegalHold sets (on=true) or clears (on=false) the legal hold of an object.
	// Setting a hold that is set, or clearing one that is not, is not an error.
	SetLegalHold(ctx context.Context, key string, on bool) error
	// ExtendRetention makes the object's retention end no earlier than until:
	// it sets until when the object has no retention date or an earlier one, in
	// the object's own mode (the store's default when it has none), and leaves a
	// later date as it is. A lock only grows: asking for less than the object
	// has is not an error, and nothing can shorten it. It returns ErrNotFound
	// when there is no such object. A store that implements Syncer may make the
	// change durable only at the next Sync, like a deferred put: a caller that
	// relies on it surviving a power failure calls Sync.
	ExtendRetention(ctx context.Context, key string, until time.Time) error
}

// Store is what every storage backend implements. Implementations are safe for
// concurrent use.
type Store interface {
	Putter
	Getter
	Lister
	Deleter
	Locker
	// Close releases the backend's resources.
	Close() error
}

// Syncer is an optional capability of stores whose durability costs a flush per
// object (a file system's fsync): they make puts with PutOptions.Deferred durable
// in bulk. Filing a document writes several small objects that need only be
// durable before the ledger entry that names them; one Sync for all of them
// instead of two fsyncs each is what makes the filesystem store fast on small
// documents (docs/benchmarks.md).
type Syncer interface {
	// Sync makes durable every object visible in the store when Sync is called,
	// deferred puts of this and of other processes included: a caller that found
	// an object another writer put (ErrExists) relies on it. After a failed Sync
	// the store cannot promise durability, and later Syncs fail too.
	Sync(ctx context.Context) error
}

// Sync calls s.Sync when s is a Syncer; other stores are durable on return from
// Put and need nothing. A store that wraps another and passes Deferred on must
// implement Syncer and forward it.
func Sync(ctx context.Context, s any) error {
	if sy, ok := s.(Syncer); ok {
		return sy.Sync(ctx)
	}
	return nil
}

// Versioned is an optional capability of stores that keep every version written
// under a key, as an S3 bucket with object lock does (object lock turns versioning
// on). Gongshi writes a key once, and its Delete removes every version, so a
// key's versions beyond the first were written around Gongshi, with the bucket's
// own credentials: a raw PUT adds a newer version even over a locked one (the lock
// protects the version, not the name), and a raw DELETE adds a delete marker. A
// Versioned store's Get, Stat, Retention, SetLegalHold and ExtendRetention keep
// to the version Gongshi created, the oldest one, so such writes change nothing
// that Gongshi reads; its List still names a key by its newest version (and not
// at all behind a delete marker). Overwrites names the keys that have such
// writes, for the audit to report.
type Versioned interface {
	// Overwrites calls fn, in key order, for each key under prefix that has more
	// than the one version Gongshi created: newer versions or delete markers.
	Overwrites(ctx context.Context, prefix string, fn func(Overwrite) error) error
}

// Overwrite is a key with writes made around Gongshi (see Versioned).
type Overwrite struct {
	Key string
	// Newer counts the versions written after the original, DeleteMarkers the
	// delete markers.
	Newer, DeleteMarkers int
	// Latest is when the newest of those writes was made.
	Latest time.Time
}

// Describer is an optional capability: a human description of where the store
// keeps its data, for logs and error messages ("fs:/srv/gongshi", "s3://host/bucket").
type Describer interface {
	Describe() string
}

// Describe returns s's description, or its Go type when it has none.
func Describe(s Store) string {
	if d, ok := s.(Describer); ok {
		return d.Describe()
	}
	return "store"
}
