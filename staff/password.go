package staff

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with Argon2id (RFC 9106) and stored as a PHC string,
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt, base64>$<hash, base64>
//
// which carries its own parameters: raising them later changes new hashes only,
// and every stored hash still verifies. The default is RFC 9106's second
// recommended option (§4: 64 MiB, three passes) with two lanes, the cores this
// kind of server has. A hash takes about 64 MiB for a fraction of a second, so
// the Hasher lets at most Concurrency of them run at once: a burst of logins
// waits its turn instead of taking the server's memory (1 GiB for sixteen
// attempts at once). Comparison is constant-time (crypto/subtle).

// Params are the cost of a password hash.
type Params struct {
	// Memory in KiB, Time in passes, Threads in lanes.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams: RFC 9106 §4, second recommended option, with two lanes.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2}

// saltLen and keyLen are RFC 9106's recommendations (128-bit salt, 256-bit tag).
const (
	saltLen = 16
	keyLen  = 32
)

// Password rules: long enough to resist guessing with the rate limits, short
// enough that a hash request cannot be made expensive by its length.
const (
	MinPassword = 10
	MaxPassword = 256
)

// ErrBadPassword: a password does not match (or an account cannot log in; the
// login answers the same either way).
var ErrBadPassword = errors.New("wrong login or password")

// Hasher hashes and checks passwords at bounded concurrency.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a hasher with params p (zero: DefaultParams) that runs at
// most concurrency hashes at once (at least 1).
func NewHasher(p Params, concurrency int) *Hasher {
	if p == (Params{}) {
		p = DefaultParams
	}
	return &Hasher{params: p, slots: make(chan struct{}, max(concurrency, 1))}
}

// CheckPasswordRule says what is wrong with a new password, or nil.
func CheckPasswordRule(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return errors.New("密码 (password): not valid UTF-8")
	case n < MinPassword:
		return fmt.Errorf("密码 (password): at least %d characters", MinPassword)
	case len(pw) > MaxPassword:
		return fmt.Errorf("密码 (password): at most %d bytes", MaxPassword)
	}
	return nil
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of pw, a password a person chose (CheckPasswordRule),
// with a fresh random salt.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := CheckPasswordRule(pw); err != nil {
		return "", err
	}
	return h.HashSecret(ctx, pw)
}

// HashSecret is Hash for a secret nobody chose (a household's query code, made
// at random): no rule but its length (at most MaxPassword bytes). Verify checks
// it as any other.
func (h *Hasher) HashSecret(ctx context.Context, pw string) (string, error) {
	if pw == "" || len(pw) > MaxPassword {
		return "", fmt.Errorf("secret: 1 to %d bytes", MaxPassword)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$%s$%s$%s", argon2.Version, p, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// phc is a parsed PHC string.
type phc struct {
	p         Params
	salt, key []byte
}

// limits of a stored hash's parameters: a forged account version must not make
// one login cost gigabytes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 16
	maxThreads = 16
)

func parsePHC(s string) (phc, error) {
	bad := func(what string) (phc, error) { return phc{}, fmt.Errorf("password hash: %s", what) }
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("version " + parts[2])
	}
	p, err := ParseParams(parts[3])
	if err != nil {
		return phc{}, fmt.Errorf("password hash: %w", err)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return bad("salt or hash")
	}
	return phc{p: p, salt: salt, key: key}, nil
}

// ParseParams reads parameters as a PHC string writes them: m=KiB,t=passes,p=lanes
// (all three, each once, within bounds: at most 1 GiB, 16 passes, 16 lanes).
func ParseParams(s string) (Params, error) {
	var p Params
	bad := func(what string) (Params, error) {
		return Params{}, fmt.Errorf("argon2id parameters %q: %s (want m=KiB,t=passes,p=lanes, e.g. m=65536,t=3,p=2)", s, what)
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || n == 0 {
			return bad("parameter " + kv)
		}
		switch {
		case k == "m" && p.Memory == 0:
			p.Memory = uint32(n)
		case k == "t" && p.Time == 0:
			p.Time = uint32(n)
		case k == "p" && p.Threads == 0 && n <= maxThreads:
			p.Threads = uint8(n)
		default:
			return bad("parameter " + kv)
		}
	}
	if p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > maxMemory || p.Time > maxTime || p.Memory < 8*uint32(p.Threads) {
		return bad("out of range")
	}
	return p, nil
}

// String is p as ParseParams reads it.
func (p Params) String() string { return fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) }

// Verify reports whether pw matches the PHC string stored: nil, ErrBadPassword,
// or an error for a stored hash that cannot be read.
func (h *Hasher) Verify(ctx context.Context, stored, pw string) error {
	ph, err := parsePHC(stored)
	if err != nil {
		return err
	}
	if len(pw) > MaxPassword {
		return ErrBadPassword
	}
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	got := argon2.IDKey([]byte(pw), ph.salt, ph.p.Time, ph.p.Memory, ph.p.Threads, uint32(len(ph.key)))
	if subtle.ConstantTimeCompare(got, ph.key) != 1 {
		return ErrBadPassword
	}
	return nil
}

// Burn spends the time of one verification without a stored hash, so that a
// login for an account that does not exist takes as long as a wrong password.
func (h *Hasher) Burn(ctx context.Context, pw string) {
	if h.acquire(ctx) != nil {
		return
	}
	defer h.release()
	p := h.params
	argon2.IDKey([]byte(pw), make([]byte, saltLen), p.Time, p.Memory, p.Threads, keyLen)
}
