package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emmansun/gmsm/sm3"
)

func TestDigestKnownAnswers(t *testing.T) {
	tests := []struct {
		name, in, sha, sm3 string
	}{
		{"empty", "",
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"},
		{"abc (GB/T 32905 A.1)", "abc",
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"abcd×16 (GB/T 32905 A.2)", strings.Repeat("abcd", 16),
			"", // checked against crypto/sha256 below
			"debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DigestReader(context.Background(), strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.sha
			if want == "" {
				s := sha256.Sum256([]byte(tt.in))
				want = Hash(s).String()
			}
			if d.SHA256Hex() != want {
				t.Errorf("SHA-256 = %s, want %s", d.SHA256Hex(), want)
			}
			if d.SM3Hex() != tt.sm3 {
				t.Errorf("SM3 = %s, want %s", d.SM3Hex(), tt.sm3)
			}
			if d.Size != int64(len(tt.in)) {
				t.Errorf("Size = %d, want %d", d.Size, len(tt.in))
			}
		})
	}
}

// oneShot is the reference: both digests over the whole input in one call each.
func oneShot(b []byte) Digests {
	return Digests{SHA256: sha256.Sum256(b), SM3: sm3.Sum(b), Size: int64(len(b))}
}

// TestDigesterChunking writes inputs of sizes around the 64 KiB buffer and parallel
// threshold in random chunk patterns: the result never depends on how it was cut.
func TestDigesterChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 63, parallelMin - 1, parallelMin, parallelMin + 1, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 17} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		want := oneShot(data)
		for trial := range 8 {
			d := NewDigester()
			rest := data
			for len(rest) > 0 {
				var n int
				switch trial % 4 {
				case 0:
					n = len(rest) // one write
				case 1:
					n = 1 + rng.IntN(100) // small writes, buffered
				case 2:
					n = 1 + rng.IntN(3*bufSize) // mixed
				default:
					n = bufSize // exactly the buffer
				}
				n = min(n, len(rest))
				if k, err := d.Write(rest[:n]); k != n || err != nil {
					t.Fatalf("Write = %d, %v", k, err)
				}
				rest = rest[n:]
				if trial == 7 {
					d.Sum() // Sum in the middle must not disturb the result
				}
			}
			if got := d.Sum(); got != want {
				t.Errorf("size %d trial %d: got %+v, want %+v", size, trial, got, want)
			}
		}
	}
}

// TestTeeReaderSeesSameBytes: what the consumer reads through the tee is exactly the
// input, and the tee's digests are those of the input, whatever the read pattern.
func TestTeeReaderSeesSameBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 2*bufSize+123)
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	readers := map[string]func(io.Reader) io.Reader{
		"plain":    func(r io.Reader) io.Reader { return r },
		"one-byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data-err": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			tee := NewTeeReader(wrap(bytes.NewReader(data)))
			got, err := io.ReadAll(tee)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatal("consumer saw different bytes")
			}
			if sum := tee.Sum(); sum != oneShot(data) {
				t.Errorf("tee digests %+v, want %+v", sum, oneShot(data))
			}
		})
	}
}

func TestDigestReaderStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := DigestReader(ctx, strings.NewReader("abc"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestDigestReaderPassesReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := DigestReader(context.Background(), iotest.ErrReader(boom))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestDigestsJSON(t *testing.T) {
	d := oneShot([]byte("abc"))
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","sm3":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0","size":3}`
	if string(b) != want {
		t.Fatalf("JSON = %s\nwant   %s", b, want)
	}
	var back Digests
	if err := json.Unmarshal(b, &back); err != nil || back != d {
		t.Fatalf("round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{
		strings.ToUpper(d.SHA256Hex()), // upper case: two spellings of one key
		d.SHA256Hex()[:62],             // short
		"zz" + d.SHA256Hex()[2:],       // not hex
	} {
		if _, err := ParseHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("ParseHash(%q) = %v, want ErrBadHash", bad, err)
		}
	}
}

// BenchmarkDigest compares the Digester (SHA-256 and SM3 together) with each hash
// alone on 64 MiB. The goal: "both" at 90% or more of the speed of "sm3" on two cores.
func BenchmarkDigest(b *testing.B) {
	data := make([]byte, 64<<20)
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	b.Run("both", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, err := DigestReader(context.Background(), bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("both-32KiB-writes", func(b *testing.B) { // what io.Copy into a Digester does
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := NewDigester()
			for p := data; len(p) > 0; p = p[min(len(p), 32<<10):] {
				d.Write(p[:min(len(p), 32<<10)])
			}
			d.Sum()
		}
	})
	b.Run("sha256", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			h := sha256.New()
			h.Write(data)
			h.Sum(nil)
		}
	})
	b.Run("sm3", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			h := sm3.New()
			h.Write(data)
			h.Sum(nil)
		}
	})
}
