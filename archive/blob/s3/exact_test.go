package s3

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/gongshi-archive/gongshi/archive/blob"
)

// The body of a streamed PUT delivers exactly the declared bytes, and content
// that runs long or short fails before its last byte would reach the server.
func TestExactReader(t *testing.T) {
	data := []byte(strings.Repeat("征收补偿方案", 1000)) // 18,000 bytes
	wraps := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"plain", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"data with EOF", iotest.DataErrReader},
		{"half reads", iotest.HalfReader},
	}
	cases := []struct {
		name     string
		content  []byte
		declared int64
		ok       bool
	}{
		{"exact", data, int64(len(data)), true},
		{"empty", nil, 0, true},
		{"short", data[:len(data)-1], int64(len(data)), false},
		{"long", data, int64(len(data) - 1), false},
	}
	for _, w := range wraps {
		for _, c := range cases {
			body, err := newExactReader(w.wrap(bytes.NewReader(c.content)), c.declared)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(body)
			switch {
			case c.ok && (err != nil || !bytes.Equal(got, c.content)):
				t.Errorf("%s, %s: read %d bytes, %v; want the %d bytes", w.name, c.name, len(got), err, len(c.content))
			case !c.ok && !errors.Is(err, blob.ErrChecksum):
				t.Errorf("%s, %s: %v, want ErrChecksum", w.name, c.name, err)
			case !c.ok && int64(len(got)) >= c.declared:
				t.Errorf("%s, %s: %d bytes went out before the failure; the last must not", w.name, c.name, len(got))
			case !c.ok && !errors.Is(body.failure(), blob.ErrChecksum):
				t.Errorf("%s, %s: failure() = %v, want ErrChecksum", w.name, c.name, body.failure())
			}
		}
	}
}

// A seekable source makes a seekable body (so minio-go retries a failed PUT),
// whose offsets count from where the content starts, and a rewind forgets an
// earlier failure.
func TestExactReaderRewind(t *testing.T) {
	src := bytes.NewReader([]byte("headerCONTENT"))
	if _, err := src.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	body, err := newExactReader(src, 7)
	if err != nil {
		t.Fatal(err)
	}
	sk, ok := body.(io.Seeker)
	if !ok {
		t.Fatalf("body over a seekable source is %T, not an io.Seeker", body)
	}
	first := make([]byte, 3)
	if _, err := io.ReadFull(body, first); err != nil || string(first) != "CON" {
		t.Fatalf("first read %q, %v", first, err)
	}
	if pos, err := sk.Seek(0, io.SeekStart); err != nil || pos != 0 {
		t.Fatalf("rewind: %d, %v", pos, err)
	}
	all, err := io.ReadAll(body)
	if err != nil || string(all) != "CONTENT" {
		t.Fatalf("after rewind read %q, %v; want CONTENT", all, err)
	}
	if _, err := sk.Seek(8, io.SeekStart); err == nil {
		t.Fatal("seek past the content's end accepted")
	}
	// A plain reader makes a body that does not pretend to seek.
	plain, _ := newExactReader(iotest.OneByteReader(strings.NewReader("x")), 1)
	if _, ok := plain.(io.Seeker); ok {
		t.Fatal("body over a plain reader claims to seek")
	}
}
