package staff

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 1)
	a, err := h.Hash(ctx, "长城永不倒 2026!")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash(ctx, "长城永不倒 2026!")
	if a == b {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if err := h.Verify(ctx, a, "长城永不倒 2026!"); err != nil {
		t.Fatalf("right password: %v", err)
	}
	for _, pw := range []string{"长城永不倒 2026", "", "长城永不倒 2026!!", strings.Repeat("x", 300)} {
		if err := h.Verify(ctx, a, pw); !errors.Is(err, ErrBadPassword) {
			t.Errorf("%q: %v", pw, err)
		}
	}
	// The default parameters are RFC 9106's second recommendation.
	d, err := NewHasher(Params{}, 1).Hash(ctx, "0123456789")
	if err != nil || !strings.HasPrefix(d, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("default hash %q %v", d, err)
	}
	// A stored hash that asks for absurd costs is refused, not computed.
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=4194304,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1000,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=255$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=16$m=64,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$AAAAAAAAAAAAAAAAAAAAAA",
	} {
		if err := h.Verify(ctx, bad, "0123456789"); err == nil || errors.Is(err, ErrBadPassword) {
			t.Errorf("stored %q: %v, want an error about the hash", bad, err)
		}
	}
}

// A cancelled request does not wait for a hashing slot.
func TestHasherWaitsForSlots(t *testing.T) {
	h := NewHasher(testParams, 1)
	h.slots <- struct{}{} // the one slot is taken
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "0123456789"); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=0,t=0,p=0$$")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePHC(s)
		if err == nil && (p.p.Memory > maxMemory || p.p.Time > maxTime || p.p.Threads > maxThreads || p.p.Threads == 0) {
			t.Fatalf("accepted %q with %+v", s, p.p)
		}
	})
}

// A secret nobody chose (a query code) has no password rule, but Verify checks
// it the same way.
func TestHashSecret(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(testParams, 1)
	code := "K7M3-PX9A"
	if _, err := h.Hash(ctx, code); err == nil {
		t.Fatal("a 9-character password passed the password rule")
	}
	s, err := h.HashSecret(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(ctx, s, code); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := h.Verify(ctx, s, "K7M3-PX9B"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := h.HashSecret(ctx, ""); err == nil {
		t.Fatal("an empty secret was hashed")
	}
}
