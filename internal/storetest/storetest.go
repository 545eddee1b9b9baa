package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/fs"
	"github.com/gongshi-archive/gongshi/archive/blob/s3"
	"github.com/gongshi-archive/gongshi/internal/testenv"
)

// Raw reaches the bytes of a store behind its back.
type Raw interface {
	// Overwrite replaces the object under key with data, as a failing disk or
	// an intruder with the storage's credentials would. On the filesystem the
	// file is written in place. On S3 every version of the key is removed (as
	// the bucket's administrator can while no lock protects it) and data is put:
	// readers then get data. Over a locked version, which nobody can remove,
	// data only becomes a newer version, and readers keep to the original
	// (blob.Versioned).
	Overwrite(t testing.TB, key string, data []byte)
	// Remove makes the object under key disappear: on S3 every version is
	// removed, or, when a lock refuses that, a delete marker is added.
	Remove(t testing.TB, key string)
}

// Backend is one kind of store.
type Backend struct {
	Name string
	// Open returns a fresh, empty store (closed and removed when the test ends)
	// and raw access to it. It skips the test when the backend is not available.
	Open func(t testing.TB, now func() time.Time) (blob.Store, Raw)
}

// Backends returns the filesystem backend and the S3 backend.
func Backends() []Backend {
	return []Backend{
		{Name: "fs", Open: func(t testing.TB, now func() time.Time) (blob.Store, Raw) {
			root := t.TempDir()
			st, err := fs.Open(root, fs.Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, FS(root)
		}},
		{Name: "s3", Open: func(t testing.TB, now func() time.Time) (blob.Store, Raw) {
			srv := testenv.S3(t)
			bucket := RandomBucket()
			st, err := s3.Open(context.Background(), s3.Config{Endpoint: srv.Endpoint, Bucket: bucket,
				AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Insecure: true, Mode: blob.Governance})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st, S3(t, srv, bucket)
		}},
	}
}

// RandomBucket returns a fresh bucket name.
func RandomBucket() string {
	var b [6]byte
	rand.Read(b[:])
	return "gongshi-test-" + hex.EncodeToString(b[:])
}

// FS returns raw access to the filesystem store rooted at root.
func FS(root string) Raw { return fsRaw(root) }

type fsRaw string

// path knows the filesystem store's layout (archive/blob/fs): objects/<key>@.
func (r fsRaw) path(key string) string {
	return filepath.Join(string(r), "objects", filepath.FromSlash(key)+"@")
}

func (r fsRaw) Overwrite(t testing.TB, key string, data []byte) {
	t.Helper()
	p := r.path(key)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("overwrite %s: %v", key, err)
	}
	// Write in place, as a failing disk or an intruder with file access would:
	// the file keeps its inode and extended attributes.
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatalf("overwrite %s: %v", key, err)
	}
}

func (r fsRaw) Remove(t testing.TB, key string) {
	t.Helper()
	if err := os.Remove(r.path(key)); err != nil {
		t.Fatalf("remove %s: %v", key, err)
	}
}

// S3 returns raw access to bucket on the test server.
func S3(t testing.TB, srv testenv.S3Server, bucket string) Raw {
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return s3Raw{c: c, bucket: bucket}
}

type s3Raw struct {
	c      *minio.Client
	bucket string
}

// name knows the S3 store's naming (archive/blob/s3): the key and '!'.
func (r s3Raw) name(key string) string { return key + "!" }

func (r s3Raw) Overwrite(t testing.TB, key string, data []byte) {
	t.Helper()
	r.removeVersions(key)
	_, err := r.c.PutObject(context.Background(), r.bucket, r.name(key), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("overwrite %s: %v", key, err)
	}
}

func (r s3Raw) Remove(t testing.TB, key string) {
	t.Helper()
	if r.removeVersions(key) {
		return
	}
	if err := r.c.RemoveObject(context.Background(), r.bucket, r.name(key), minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("remove %s: %v", key, err)
	}
}

// AddVersion puts data under key as a newer version, keeping the older ones (a
// raw PUT with the bucket's credentials, as blob.Versioned describes).
func (r s3Raw) AddVersion(t testing.TB, key string, data []byte) {
	t.Helper()
	_, err := r.c.PutObject(context.Background(), r.bucket, r.name(key), bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("add a version of %s: %v", key, err)
	}
}

// TryDelete tries to delete every version of key through the raw S3 API, as
// an intruder with the bucket's credentials would (with governance bypass),
// and returns the first refusal: a version under compliance retention, a
// legal hold, or governance retention without the bypass permission.
func (r s3Raw) TryDelete(key string) error {
	ctx := context.Background()
	var first error
	for oi := range r.c.ListObjectsIter(ctx, r.bucket, minio.ListObjectsOptions{Prefix: r.name(key), WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			return oi.Err
		}
		if oi.Key != r.name(key) {
			continue
		}
		if err := r.c.RemoveObject(ctx, r.bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true}); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Versions is the raw access of a store that keeps every version of a key.
type Versions interface {
	AddVersion(t testing.TB, key string, data []byte)
	TryDelete(key string) error
}

// removeVersions removes every version of key, bypassing governance retention,
// and reports whether none is left. A version under compliance retention or a
// legal hold stays.
func (r s3Raw) removeVersions(key string) bool {
	ctx := context.Background()
	left := false
	for oi := range r.c.ListObjectsIter(ctx, r.bucket, minio.ListObjectsOptions{Prefix: r.name(key), WithVersions: true, Recursive: true}) {
		if oi.Err != nil || oi.Key != r.name(key) {
			continue
		}
		if err := r.c.RemoveObject(ctx, r.bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true}); err != nil {
			left = true
		}
	}
	return !left
}

// Copy makes dst hold what src holds under prefix, behind dst's back: keys that
// dst lacks are put, keys it has are overwritten. It is how a test plays an
// intruder who rewrites history wholesale.
func Copy(t testing.TB, src blob.Store, dst blob.Store, raw Raw, prefix string) {
	t.Helper()
	ctx := context.Background()
	var keys []string
	if err := src.List(ctx, prefix, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		rc, err := src.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dst.Put(ctx, k, bytes.NewReader(buf.Bytes()), blob.PutOptions{Size: int64(buf.Len())}); err != nil {
			raw.Overwrite(t, k, buf.Bytes())
		}
	}
}

// Read returns the bytes stored under key, failing the test when they cannot be
// read.
func Read(t testing.TB, st blob.Getter, key string) []byte {
	t.Helper()
	rc, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return buf.Bytes()
}
