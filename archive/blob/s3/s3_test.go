package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/archive/blob/blobtest"
	"github.com/gongshi-archive/gongshi/internal/testenv"
)

func TestConformance(t *testing.T) {
	srv := testenv.S3(t)
	h := blobtest.Harness{
		New: func(t *testing.T) blob.Store { return newStore(t, srv, nil) },
	}
	blobtest.Run(t, h)
}

// newStore opens a store on a fresh bucket with a random name, in governance mode,
// and removes the bucket and everything in it when the test ends. edit may change
// the configuration before Open.
func newStore(t testing.TB, srv testenv.S3Server, edit func(*Config)) *Store {
	t.Helper()
	cfg := Config{
		Endpoint:  srv.Endpoint,
		Bucket:    randomBucket(),
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Insecure:  true,
		Mode:      blob.Governance,
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, rawClient(t, srv), cfg.Bucket) })
	return s
}

func randomBucket() string {
	var b [8]byte
	rand.Read(b[:])
	return "gongshi-test-" + hex.EncodeToString(b[:])
}

func rawClient(t testing.TB, srv testenv.S3Server) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// removeBucket removes every version in the bucket, lifting legal holds and
// bypassing governance retention, then the bucket. Compliance-locked versions
// cannot be removed: the bucket then stays, and the test server's data directory
// goes with the server.
func removeBucket(t testing.TB, c *minio.Client, bucket string) {
	t.Helper()
	ctx := context.Background()
	off := minio.LegalHoldDisabled
	kept := 0
	for oi := range c.ListObjectsIter(ctx, bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			if minio.ToErrorResponse(oi.Err).Code != "NoSuchBucket" {
				t.Logf("cleanup %s: list: %v", bucket, oi.Err)
			}
			return
		}
		if !oi.IsDeleteMarker {
			_ = c.PutObjectLegalHold(ctx, bucket, oi.Key, minio.PutObjectLegalHoldOptions{VersionID: oi.VersionID, Status: &off})
		}
		err := c.RemoveObject(ctx, bucket, oi.Key, minio.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true})
		if err != nil {
			kept++
		}
	}
	// Abandoned multipart uploads would also keep the bucket alive.
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err == nil {
			_ = c.RemoveIncompleteUpload(ctx, bucket, u.Key)
		}
	}
	if kept > 0 {
		return // compliance-locked versions; expected in TestComplianceSurvivesBypass
	}
	if err := c.RemoveBucket(ctx, bucket); err != nil {
		t.Logf("cleanup: remove bucket %s: %v", bucket, err)
	}
}

func sum256(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// currentVersion returns the version id of the key's current version.
func currentVersion(t *testing.T, c *minio.Client, bucket, key string) string {
	t.Helper()
	oi, err := c.StatObject(context.Background(), bucket, storedName(key), minio.StatObjectOptions{})
	if err != nil {
		t.Fatalf("raw stat %s: %v", key, err)
	}
	if oi.VersionID == "" {
		t.Fatalf("raw stat %s: no version id; is the bucket versioned?", key)
	}
	return oi.VersionID
}

// The server itself, not only this package, refuses to remove a locked version.
func TestRawDeleteRefused(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, nil)
	c := rawClient(t, srv)
	ctx := context.Background()
	put := func(key string, opts blob.PutOptions) {
		t.Helper()
		if _, err := s.Put(ctx, key, strings.NewReader(key), opts); err != nil {
			t.Fatal(err)
		}
	}
	put("retained", blob.PutOptions{Size: 8, RetainUntil: time.Now().Add(time.Hour)})
	put("held", blob.PutOptions{Size: 4, LegalHold: true})
	for _, key := range []string{"retained", "held"} {
		v := currentVersion(t, c, s.bucket, key)
		err := c.RemoveObject(ctx, s.bucket, storedName(key), minio.RemoveObjectOptions{VersionID: v})
		if err == nil {
			t.Fatalf("%s: raw remove of the locked version succeeded", key)
		}
		if !errors.Is(mapErr(err), blob.ErrLocked) {
			t.Errorf("%s: raw remove refused with %v, which does not map to ErrLocked", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrLocked) {
			t.Errorf("%s: delete: %v, want ErrLocked", key, err)
		}
		if _, err := s.Stat(ctx, key); err != nil {
			t.Fatalf("%s: gone after refused removes: %v", key, err)
		}
	}
	// A delete without a version id only adds a delete marker; that is why
	// Delete never issues one. Reads keep to the version Gongshi created, which
	// is still there; only the listing, which names keys by their newest
	// version, loses the key; and Overwrites names it.
	if err := c.RemoveObject(ctx, s.bucket, storedName("held"), minio.RemoveObjectOptions{}); err != nil {
		t.Fatalf("raw remove without version: %v", err)
	}
	if info, err := s.Stat(ctx, "held"); err != nil || info.Size != 4 {
		t.Errorf("stat behind a delete marker: %+v, %v; want the original", info, err)
	}
	if got := getString(t, s, "held"); got != "held" {
		t.Errorf("get behind a delete marker: %q, want the original", got)
	}
	if r, err := s.Retention(ctx, "held"); err != nil || !r.LegalHold {
		t.Errorf("retention behind a delete marker: %+v, %v; want the original's hold", r, err)
	}
	if err := s.Delete(ctx, "held"); !errors.Is(err, blob.ErrLocked) {
		t.Errorf("delete behind a delete marker: %v, want ErrLocked", err)
	}
	if keys := listKeys(t, s, ""); strings.Join(keys, " ") != "retained" {
		t.Errorf("list behind a delete marker: %q, want only retained", keys)
	}
	if ow := overwrites(t, s, ""); len(ow) != 1 || ow[0].Key != "held" || ow[0].DeleteMarkers != 1 || ow[0].Newer != 0 {
		t.Errorf("overwrites = %+v, want held with one delete marker", ow)
	}
	// Once the hold is lifted, Delete removes the original and the marker.
	if err := s.SetLegalHold(ctx, "held", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "held"); err != nil {
		t.Fatalf("delete after the hold is lifted: %v", err)
	}
	if _, err := s.Stat(ctx, "held"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("stat after delete: %v, want ErrNotFound", err)
	}
	if ow := overwrites(t, s, ""); len(ow) != 0 {
		t.Errorf("overwrites after delete = %+v, want none", ow)
	}
}

// A raw PUT over a locked object adds a newer version (the lock protects the
// version, not the name): readers keep to the original, which cannot be
// removed, and Overwrites reports the key.
func TestRawPutOverLocked(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, nil)
	c := rawClient(t, srv)
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	if _, err := s.Put(ctx, "ledger/batch/x", strings.NewReader("original"), blob.PutOptions{Size: 8, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	orig := currentVersion(t, c, s.bucket, "ledger/batch/x")
	// Read once, so that the store remembers the version, then overwrite: the
	// remembered version and a fresh listing must agree.
	if got := getString(t, s, "ledger/batch/x"); got != "original" {
		t.Fatalf("before: %q", got)
	}
	forged := "forged!!!"
	if _, err := c.PutObject(ctx, s.bucket, storedName("ledger/batch/x"), strings.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("raw put over a locked object: %v (the server should accept it as a newer version)", err)
	}
	if v := currentVersion(t, c, s.bucket, "ledger/batch/x"); v == orig {
		t.Fatal("the raw put did not make a newer version")
	}
	fresh, err := Open(ctx, Config{Endpoint: srv.Endpoint, Bucket: s.bucket, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Insecure: true, Mode: blob.Governance})
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*Store{"remembering": s, "fresh": fresh} {
		if got := getString(t, st, "ledger/batch/x"); got != "original" {
			t.Errorf("%s store reads %q, want the original", name, got)
		}
		if info, err := st.Stat(ctx, "ledger/batch/x"); err != nil || info.Size != 8 {
			t.Errorf("%s store stats %+v, %v; want the original's 8 bytes", name, info, err)
		}
		if r, err := st.Retention(ctx, "ledger/batch/x"); err != nil || r.Until.Before(until) {
			t.Errorf("%s store: retention %+v, %v; want the original's", name, r, err)
		}
	}
	// The original cannot be removed, not even through the raw API.
	if err := c.RemoveObject(ctx, s.bucket, storedName("ledger/batch/x"), minio.RemoveObjectOptions{VersionID: orig}); err == nil {
		t.Fatal("raw remove of the locked original succeeded")
	}
	if err := s.Delete(ctx, "ledger/batch/x"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete: %v, want ErrLocked", err)
	}
	ow := overwrites(t, s, "ledger/")
	if len(ow) != 1 || ow[0].Key != "ledger/batch/x" || ow[0].Newer != 1 || ow[0].DeleteMarkers != 0 || ow[0].Latest.IsZero() {
		t.Fatalf("overwrites = %+v, want ledger/batch/x with one newer version", ow)
	}
	if ow := overwrites(t, s, "blobs/"); len(ow) != 0 {
		t.Fatalf("overwrites under another prefix = %+v", ow)
	}
	// Extending the lock extends the original's.
	later := until.Add(time.Hour).Truncate(time.Second)
	if err := s.ExtendRetention(ctx, "ledger/batch/x", later); err != nil {
		t.Fatal(err)
	}
	mode, got, err := c.GetObjectRetention(ctx, s.bucket, storedName("ledger/batch/x"), orig)
	if err != nil || got == nil || !got.Equal(later) || mode == nil || *mode != minio.Governance {
		t.Fatalf("original's retention after extend: %v %v %v; want governance until %v", mode, got, err, later)
	}
}

func getString(t *testing.T, s *Store, key string) string {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func overwrites(t *testing.T, s *Store, prefix string) []blob.Overwrite {
	t.Helper()
	var out []blob.Overwrite
	if err := s.Overwrites(context.Background(), prefix, func(o blob.Overwrite) error {
		out = append(out, o)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func listKeys(t *testing.T, s *Store, prefix string) []string {
	t.Helper()
	var keys []string
	if err := s.List(context.Background(), prefix, "", func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// Delete must refuse, and change nothing, when an older, hidden version of the key
// is locked. A put over a delete marker is accepted by the server (create-once
// sees no current object), but reads keep to the original.
func TestDeleteRefusesLockedOlderVersion(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, nil)
	c := rawClient(t, srv)
	ctx := context.Background()
	if _, err := s.Put(ctx, "k", strings.NewReader("old"), blob.PutOptions{Size: 3, LegalHold: true}); err != nil {
		t.Fatal(err)
	}
	// Hide it behind a delete marker (outside Gongshi), then create the key again.
	if err := c.RemoveObject(ctx, s.bucket, storedName("k"), minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k", strings.NewReader("new"), blob.PutOptions{Size: 3}); err != nil {
		t.Fatalf("put over a delete marker: %v", err)
	}
	if err := s.Delete(ctx, "k"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete: %v, want ErrLocked", err)
	}
	if got := getString(t, s, "k"); got != "old" {
		t.Fatalf("after refused delete: %q, want the original, old", got)
	}
	if ow := overwrites(t, s, ""); len(ow) != 1 || ow[0].Newer != 1 || ow[0].DeleteMarkers != 1 {
		t.Fatalf("overwrites = %+v, want k with a newer version and a delete marker", ow)
	}
}

// A compliance-mode object outlives even a governance bypass.
func TestComplianceSurvivesBypass(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.Mode = blob.Compliance })
	c := rawClient(t, srv)
	ctx := context.Background()
	// Short, so that the test server does not keep much locked data.
	until := time.Now().Add(3 * time.Second)
	if _, err := s.Put(ctx, "sealed", strings.NewReader("sealed"), blob.PutOptions{Size: 6, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retention(ctx, "sealed")
	if err != nil || r.Mode != blob.Compliance || r.Until.Before(until) {
		t.Fatalf("retention = %+v, %v; want compliance until at least %v", r, err, until)
	}
	v := currentVersion(t, c, s.bucket, "sealed")
	err = c.RemoveObject(ctx, s.bucket, storedName("sealed"), minio.RemoveObjectOptions{VersionID: v, GovernanceBypass: true})
	if err == nil {
		t.Fatal("governance bypass removed a compliance-locked version")
	}
	if _, err := s.Stat(ctx, "sealed"); err != nil {
		t.Fatalf("gone after refused bypass: %v", err)
	}
	// Once the retention ends, Delete works and the bucket can be cleaned up.
	time.Sleep(time.Until(r.Until) + 1500*time.Millisecond)
	if err := s.Delete(ctx, "sealed"); err != nil {
		t.Fatalf("delete after compliance retention ended: %v", err)
	}
}

func TestOpenBucketWithoutObjectLock(t *testing.T) {
	srv := testenv.S3(t)
	c := rawClient(t, srv)
	bucket := randomBucket()
	if err := c.MakeBucket(context.Background(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeBucket(t, c, bucket) })
	_, err := Open(context.Background(), Config{Endpoint: srv.Endpoint, Bucket: bucket,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Insecure: true})
	if err == nil {
		t.Fatal("open of a bucket without object lock succeeded")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "no object lock configuration") || !strings.Contains(err.Error(), bucket) {
		t.Errorf("error does not say what is wrong with which bucket: %v", err)
	}
}

func TestOpenCreatesLockedBucket(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, nil)
	c := rawClient(t, srv)
	enabled, _, _, _, err := c.GetObjectLockConfig(context.Background(), s.bucket)
	if err != nil || enabled != "Enabled" {
		t.Fatalf("object lock of the created bucket: %q, %v", enabled, err)
	}
	// Opening an existing locked bucket works too.
	s2, err := Open(context.Background(), Config{Endpoint: srv.Endpoint, Bucket: s.bucket,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Insecure: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if got, want := s2.Describe(), "s3://"+srv.Endpoint+"/"+s.bucket; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
}

func TestOpenUnreachable(t *testing.T) {
	// A port that was free a moment ago: nothing listens there.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	start := time.Now()
	_, err = Open(context.Background(), Config{Endpoint: addr, Bucket: "gongshi", AccessKey: "a",
		SecretKey: "b", Insecure: true})
	took := time.Since(start)
	if err == nil {
		t.Fatal("open of an unreachable endpoint succeeded")
	}
	t.Logf("error after %v: %v", took.Round(time.Millisecond), err)
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach http://"+addr) || !strings.Contains(msg, "--s3-endpoint") || strings.Contains(msg, "\n") {
		t.Errorf("error is not the one clear line expected: %q", msg)
	}
	if took > 3*time.Second {
		t.Errorf("took %v to report an unreachable endpoint", took)
	}
}

func TestOpenWrongCredentials(t *testing.T) {
	srv := testenv.S3(t)
	cases := []struct {
		name, access, secret, want string
	}{
		{"wrong secret", srv.AccessKey, srv.SecretKey + "x", "--s3-secret-key"},
		{"unknown access key", "nobody-" + srv.AccessKey, srv.SecretKey, "--s3-access-key"},
	}
	for _, c := range cases {
		start := time.Now()
		_, err := Open(context.Background(), Config{Endpoint: srv.Endpoint, Bucket: randomBucket(),
			AccessKey: c.access, SecretKey: c.secret, Insecure: true})
		if err == nil {
			t.Fatalf("%s: open succeeded", c.name)
		}
		t.Logf("%s: error after %v: %v", c.name, time.Since(start).Round(time.Millisecond), err)
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error does not point at %s: %v", c.name, c.want, err)
		}
	}
}

func TestOpenTLSAgainstPlainServer(t *testing.T) {
	srv := testenv.S3(t)
	_, err := Open(context.Background(), Config{Endpoint: srv.Endpoint, Bucket: randomBucket(),
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err == nil || !strings.Contains(err.Error(), "--s3-insecure") {
		t.Fatalf("https against a plain http server: %v; want a hint at --s3-insecure", err)
	}
	t.Logf("error: %v", err)
}

// A server whose certificate is not trusted: the error says TLS failed.
func TestOpenUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Open(context.Background(), Config{Endpoint: srv.Listener.Addr().String(), Bucket: randomBucket(),
		AccessKey: "access", SecretKey: "secret-key"})
	if err == nil || !strings.Contains(err.Error(), "TLS failed") {
		t.Fatalf("https to an untrusted certificate: %v; want the hint that TLS failed", err)
	}
	t.Logf("error: %v", err)
}

func TestConfigErrors(t *testing.T) {
	good := Config{Endpoint: "127.0.0.1:9000", Bucket: "gongshi", AccessKey: "a", SecretKey: "b"}
	cases := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.Endpoint = "" }, "endpoint is empty"},
		{func(c *Config) { c.Endpoint = "http://127.0.0.1:9000" }, "without scheme"},
		{func(c *Config) { c.Endpoint = "127.0.0.1:9000/bucket" }, "without path"},
		{func(c *Config) { c.Bucket = "" }, "bucket is empty"},
		{func(c *Config) { c.Bucket = "Bad_Bucket" }, "bucket name"},
		{func(c *Config) { c.SecretKey = "" }, "secret key"},
		{func(c *Config) { c.Mode = "STRICT" }, "retention mode"},
		{func(c *Config) { c.PartSize = 1 << 20 }, "part size"},
	}
	for _, tc := range cases {
		cfg := good
		tc.edit(&cfg)
		_, err := Open(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %+v: error %v, want one containing %q", cfg, err, tc.want)
		}
	}
	cfg := good
	if err := cfg.check(); err != nil || cfg.Mode != blob.Compliance || cfg.PartSize != DefaultPartSize {
		t.Errorf("defaults: %v, mode %q, part size %d; want compliance and %d", err, cfg.Mode, cfg.PartSize, DefaultPartSize)
	}
}

// Wrong SHA-256 or size stores nothing, neither as a single PUT nor as a multipart
// upload, and leaves no incomplete upload behind.
func TestChecksumStoresNothing(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.PartSize = MinPartSize })
	c := rawClient(t, srv)
	ctx := context.Background()
	for _, size := range []int{100 << 10, 2*MinPartSize + 12345} {
		data := randomBytes(size)
		wrong := sum256(append([]byte("x"), data...))
		for _, known := range []bool{true, false} {
			opts := blob.PutOptions{Size: -1, SHA256: wrong}
			if known {
				opts.Size = int64(size)
			}
			key := fmt.Sprintf("sum/%d-%v", size, known)
			_, err := s.Put(ctx, key, bytes.NewReader(data), opts)
			if !errors.Is(err, blob.ErrChecksum) {
				t.Fatalf("%s: %v, want ErrChecksum", key, err)
			}
			nothingStored(t, c, s, key)
			// And the right content then goes in.
			opts.SHA256 = sum256(data)
			if _, err := s.Put(ctx, key, bytes.NewReader(data), opts); err != nil {
				t.Fatalf("%s: put with the right sum: %v", key, err)
			}
		}
	}
	// Content that runs long or short is refused as well: as a multipart upload
	// (no SHA-256 declared) and as a streamed PUT (SHA-256 declared, the right
	// one for the declared size, so that only the length is wrong).
	data := randomBytes(2*MinPartSize + 1)
	for _, declared := range []int64{2 * MinPartSize, 3 * MinPartSize} {
		for _, withSum := range []bool{false, true} {
			key := fmt.Sprintf("size/%d-%v", declared, withSum)
			opts := blob.PutOptions{Size: declared}
			if withSum {
				opts.SHA256 = sum256(data[:min(int(declared), len(data))])
			}
			if _, err := s.Put(ctx, key, bytes.NewReader(data), opts); !errors.Is(err, blob.ErrChecksum) {
				t.Errorf("%s: %v, want ErrChecksum", key, err)
			}
			nothingStored(t, c, s, key)
		}
	}
}

// nothingStored checks that the bucket has nothing at all for key: no version, no
// delete marker, no incomplete upload.
func nothingStored(t *testing.T, c *minio.Client, s *Store, key string) {
	t.Helper()
	ctx := context.Background()
	for oi := range c.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true, Recursive: true}) {
		t.Errorf("%s: found %+v after a refused put", key, oi)
	}
	for u := range c.ListIncompleteUploads(ctx, s.bucket, key, true) {
		t.Errorf("%s: incomplete upload %+v left behind", key, u)
	}
}

// Of many racing large uploads of one key (streamed PUTs and multipart uploads)
// exactly one wins, and the stored
// object is the winner's, whole.
func TestCreateOnceRaceMultipart(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.PartSize = MinPartSize })
	c := rawClient(t, srv)
	const racers = 6
	for round := range 2 {
		key := fmt.Sprintf("race/%d", round)
		contents := make([][]byte, racers)
		for i := range contents {
			contents[i] = randomBytes(2*MinPartSize + 1000*i)
		}
		errs := make([]error, racers)
		done := make(chan int)
		start := make(chan struct{})
		for i := range racers {
			go func() {
				<-start
				size := int64(len(contents[i]))
				if i%2 == 1 {
					size = -1
				}
				_, errs[i] = s.Put(context.Background(), key, bytes.NewReader(contents[i]),
					blob.PutOptions{Size: size, SHA256: sum256(contents[i])})
				done <- i
			}()
		}
		close(start)
		for range racers {
			<-done
		}
		winner := blobtest.OneWinner(t, fmt.Sprintf("round %d", round), errs)
		rc, err := s.Get(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, contents[winner]) {
			t.Fatalf("round %d: stored %d bytes (%v), not the winner's %d", round, len(got), err, len(contents[winner]))
		}
		n := 0
		for oi := range c.ListObjectsIter(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
			if oi.Err == nil {
				n++
			}
		}
		if n != 1 {
			t.Errorf("round %d: %d versions of the key, want 1", round, n)
		}
		for u := range c.ListIncompleteUploads(context.Background(), s.bucket, key, true) {
			t.Errorf("round %d: incomplete upload left behind: %+v", round, u)
		}
	}
}

// Sizes around the part size take the single-PUT path, a one-part upload or a
// multipart upload; each reads back whole, with known and unknown size.
func TestPartBoundaries(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.PartSize = MinPartSize })
	ctx := context.Background()
	for _, size := range []int{MinPartSize - 1, MinPartSize, MinPartSize + 1, 2 * MinPartSize} {
		data := randomBytes(size)
		for _, known := range []bool{true, false} {
			key := fmt.Sprintf("b/%d-%v", size, known)
			opts := blob.PutOptions{Size: -1, SHA256: sum256(data)}
			if known {
				opts.Size = int64(size)
			}
			inf, err := s.Put(ctx, key, bytes.NewReader(data), opts)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			st, err := s.Stat(ctx, key)
			if err != nil || st.Key != inf.Key || !st.ModTime.Equal(inf.ModTime) || st.Size != int64(size) || inf.Size != int64(size) {
				t.Fatalf("%s: stat %+v, %v; put said %+v", key, st, err, inf)
			}
			rc, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s: read back %d bytes, %v", key, len(got), err)
			}
		}
	}
}

// A cancelled multipart upload is aborted: no parts stay behind on the server.
func TestCancelAbortsUpload(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.PartSize = MinPartSize })
	c := rawClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(bytes.NewReader(randomBytes(3*MinPartSize)), readerFunc(func(p []byte) (int, error) {
		cancel()
		return copy(p, make([]byte, len(p))), nil
	}))
	_, err := s.Put(ctx, "cancelled", r, blob.PutOptions{Size: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("put: %v, want context.Canceled", err)
	}
	for u := range c.ListIncompleteUploads(context.Background(), s.bucket, "", true) {
		t.Errorf("incomplete upload left behind: %+v", u)
	}
	for oi := range c.ListObjectsIter(context.Background(), s.bucket, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
		t.Errorf("found %+v after a cancelled put", oi)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// Retention and legal hold set at Put reach the server for multipart uploads too.
func TestLockOptionsMultipart(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, func(c *Config) { c.PartSize = MinPartSize })
	ctx := context.Background()
	data := randomBytes(MinPartSize + 1)
	until := time.Now().Add(time.Hour).Truncate(time.Second)
	if _, err := s.Put(ctx, "big", bytes.NewReader(data), blob.PutOptions{Size: -1, RetainUntil: until, LegalHold: true}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retention(ctx, "big")
	if err != nil || !r.Until.Equal(until) || r.Mode != blob.Governance || !r.LegalHold {
		t.Fatalf("retention = %+v, %v; want governance until %v with hold", r, err, until)
	}
	if err := s.Delete(ctx, "big"); !errors.Is(err, blob.ErrLocked) {
		t.Fatalf("delete: %v, want ErrLocked", err)
	}
}

// A retention date with a fraction of a second is rounded up, never down.
func TestRetentionRoundsUp(t *testing.T) {
	srv := testenv.S3(t)
	s := newStore(t, srv, nil)
	ctx := context.Background()
	until := time.Now().Add(time.Hour).Truncate(time.Second).Add(300 * time.Millisecond)
	if _, err := s.Put(ctx, "r", strings.NewReader("r"), blob.PutOptions{Size: 1, RetainUntil: until}); err != nil {
		t.Fatal(err)
	}
	r, err := s.Retention(ctx, "r")
	if err != nil || !r.Until.Equal(until.Truncate(time.Second).Add(time.Second)) {
		t.Fatalf("retention = %+v, %v; want until %v rounded up", r, err, until)
	}
}

// BenchmarkPut is the shared put benchmark, with the sizes the fs backend uses, so
// the two compare side by side: go test -run '^$' -bench 'Put$' ./archive/blob/...
func BenchmarkPut(b *testing.B) {
	srv := testenv.S3(b)
	blobtest.BenchmarkPut(b, func(b *testing.B) blob.Store { return newStore(b, srv, nil) },
		100_000, 100_000_000)
}
