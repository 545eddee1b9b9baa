package testenv

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// S3Server is an S3 server with object lock for tests (MinIO, started by
// scripts/test), reached over plain http with root credentials.
type S3Server struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
}

// Environment variables read by S3.
const (
	EnvS3Endpoint  = "GONGSHI_TEST_S3_ENDPOINT"
	EnvS3AccessKey = "GONGSHI_TEST_S3_ACCESS_KEY"
	EnvS3SecretKey = "GONGSHI_TEST_S3_SECRET_KEY"
)

// CI reports whether the tests run in CI (env CI=true or 1).
func CI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// S3 returns the test S3 server named by GONGSHI_TEST_S3_ENDPOINT,
// GONGSHI_TEST_S3_ACCESS_KEY and GONGSHI_TEST_S3_SECRET_KEY. When they are unset
// it skips the test (fails it in CI). When they are set but nothing answers at the
// endpoint, it fails the test: the environment promised a server.
func S3(t testing.TB) S3Server {
	t.Helper()
	s := S3Server{
		Endpoint:  os.Getenv(EnvS3Endpoint),
		AccessKey: os.Getenv(EnvS3AccessKey),
		SecretKey: os.Getenv(EnvS3SecretKey),
	}
	if s.Endpoint == "" || s.AccessKey == "" || s.SecretKey == "" {
		msg := "no S3 test server: set " + EnvS3Endpoint + ", " + EnvS3AccessKey + " and " +
			EnvS3SecretKey + " (scripts/test starts MinIO and sets them)"
		if CI() {
			t.Fatal(msg + "; CI=true, so this is a failure, not a skip")
		}
		t.Skip(msg)
	}
	conn, err := net.DialTimeout("tcp", s.Endpoint, 3*time.Second)
	if err != nil {
		t.Fatalf("S3 test server %s=%s does not answer: %v", EnvS3Endpoint, s.Endpoint, err)
	}
	conn.Close()
	return s
}

// Browser is headless Chromium with axe-core for the browser tests, as
// scripts/test sets them up (scripts/browser.sh).
type Browser struct {
	// Chromium is the browser's executable.
	Chromium string
	// Axe is the path of axe.min.js, injected into pages to check them.
	Axe string
	// Artifacts is the directory where screenshots are saved.
	Artifacts string
}

// Environment variables read by Chromium.
const (
	EnvChromium  = "GONGSHI_TEST_CHROMIUM"
	EnvAxe       = "GONGSHI_TEST_AXE"
	EnvArtifacts = "GONGSHI_TEST_ARTIFACTS"
)

// Chromium returns the test browser named by GONGSHI_TEST_CHROMIUM and
// GONGSHI_TEST_AXE; it skips the test when they are unset (fails it in CI).
func Chromium(t testing.TB) Browser {
	t.Helper()
	b := Browser{Chromium: os.Getenv(EnvChromium), Axe: os.Getenv(EnvAxe), Artifacts: os.Getenv(EnvArtifacts)}
	if b.Chromium == "" || b.Axe == "" {
		msg := "no browser: set " + EnvChromium + " and " + EnvAxe + " (scripts/test installs chromium and axe-core and sets them)"
		if CI() {
			t.Fatal(msg + "; CI=true, so this is a failure, not a skip")
		}
		t.Skip(msg)
	}
	for _, p := range []string{b.Chromium, b.Axe} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("browser test setup: %v", err)
		}
	}
	if b.Artifacts == "" {
		b.Artifacts = t.TempDir()
	}
	return b
}
