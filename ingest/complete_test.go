package ingest

import (
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// The scan of a file's bytes finds the same whatever the sizes of the writes
// the digest pass makes, a key or an array split between two writes included.
func TestWholeScanSplits(t *testing.T) {
	fx := getFixtures(t)
	cases := map[string]string{ // fixture → a word of its problem, "" for none
		"signed": "", "incremental": "", "unsigned": "", "encrypted": "", "thousands": "",
		"truncated": "does not end with", "no_eof": "does not end with", "cut_after_signature": "reaches byte",
		"byte_range_past_end": "reaches byte", "appended_junk": "are not part of the PDF",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for name, want := range cases {
		b, err := os.ReadFile(fx.files[name])
		if err != nil {
			t.Fatal(err)
		}
		whole := newWholeScan(int64(len(b)))
		whole.Write(b)
		base := whole.problems()
		if got := strings.Join(base, "\n"); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: problems %q, want %q", name, base, want)
		}
		for _, chunk := range []int{1, 2, 3, 9, 10, 11, 255, 256, 257, 1023, 1024, 1025, 32 << 10, -1} {
			s := newWholeScan(int64(len(b)))
			for rest := b; len(rest) > 0; {
				n := chunk
				if n < 0 {
					n = 1 + rng.IntN(300)
				}
				n = min(n, len(rest))
				s.Write(rest[:n])
				rest = rest[n:]
			}
			if got := s.problems(); !reflect.DeepEqual(got, base) {
				t.Errorf("%s in writes of %d bytes: %q, in one write: %q", name, chunk, got, base)
			}
		}
	}
}

func TestWholeScanEnd(t *testing.T) {
	for _, tc := range []struct{ tail, want string }{
		{"trailer\n<< >>\nstartxref\n10\n%%EOF\n", ""},
		{"trailer\n<< >>\nstartxref\n10\n%%EOF\r\n\x00\x00", ""}, // NUL is PDF white space
		{"trailer\n<< >>\nstartxref\n10\n%%EOF", ""},
		{"trailer\n<< >>\nstartxref\n10\n%%EO", "does not end with"},
		{"trailer\n<< >>\nstartxref\n99999\n%%EOF\n", "past the end of the file"},
		{"trailer\n<< >>\n%%EOF\n", "not preceded by startxref"},
		{"startxref\n10\n%%EOF\n" + strings.Repeat(" ", tailSize), "does not end with"}, // white space past the last 1024 bytes
		{"startxref\n10\n%%EOF\njunk", "5 bytes after the last end-of-file marker"},
	} {
		b := []byte("%PDF-1.7\n" + strings.Repeat("x", 100) + tc.tail)
		s := newWholeScan(int64(len(b)))
		s.Write(b)
		got := strings.Join(s.problems(), "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.tail, got, tc.want)
		}
	}
}

// BenchmarkWholeScan: the digest pass of a 64 MiB PDF-like file in 32 KiB
// writes (as io.Copy makes them), with and without the scan for whether the
// file is whole, and the scan alone, side by side:
//
//	go test -run '^$' -bench WholeScan -benchtime 10x ./ingest
func BenchmarkWholeScan(b *testing.B) {
	data := make([]byte, 64<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	// A /ByteRange every MiB, as in a file with many signatures.
	for off := 0; off+64 < len(data); off += 1 << 20 {
		copy(data[off:], "/ByteRange [0 100 200 300]")
	}
	pass := func(b *testing.B, digest, scan bool) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := archive.NewDigester()
			var w io.Writer
			switch {
			case digest && scan:
				w = io.MultiWriter(d, newWholeScan(int64(len(data))))
			case digest:
				w = d
			default:
				w = newWholeScan(int64(len(data)))
			}
			for p := data; len(p) > 0; p = p[min(len(p), 32<<10):] {
				w.Write(p[:min(len(p), 32<<10)])
			}
			d.Sum()
		}
	}
	b.Run("digest", func(b *testing.B) { pass(b, true, false) })
	b.Run("digest+scan", func(b *testing.B) { pass(b, true, true) })
	b.Run("scan", func(b *testing.B) { pass(b, false, true) })
}
