package staff

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// Secrets (session cookies, API tokens) are 256 random bits written in lower-case
// base32 without padding: no character that a URL, a cookie or a shell line
// treats specially. The store keeps only their SHA-256 (a secret of 256 random
// bits needs no slow hash: nobody can guess it, whatever the hash costs).

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

const secretChars = 52 // 32 bytes

// newSecret returns a fresh secret.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(b32.EncodeToString(b))
}

// validSecret reports whether s is spelled as newSecret writes.
func validSecret(s string) bool {
	if len(s) != secretChars {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// newID returns prefix followed by n random base32 characters.
func newID(prefix string, n int) string {
	b := make([]byte, (n*5+7)/8)
	rand.Read(b)
	return prefix + strings.ToLower(b32.EncodeToString(b))[:n]
}

func validID(s, prefix string, n int) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != n {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// Account and token ids.
const (
	accountPrefix, accountIDLen = "u", 12
	tokenPrefix, tokenIDLen     = "t", 8
)

func newAccountID() string         { return newID(accountPrefix, accountIDLen) }
func newTokenID() string           { return newID(tokenPrefix, tokenIDLen) }
func validAccountID(s string) bool { return validID(s, accountPrefix, accountIDLen) }
func validTokenID(s string) bool   { return validID(s, tokenPrefix, tokenIDLen) }

// digest is the SHA-256 of a secret.
func digest(secret string) archive.Hash { return sha256.Sum256([]byte(secret)) }

// sameDigest compares two digests in constant time.
func sameDigest(a, b archive.Hash) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

// sessionID is the stored name of a session: the hash of its secret, so that
// whoever reads the store (or the public ledger) cannot use a session.
func sessionID(secret string) string {
	h := digest("gongshi session " + secret)
	return "s" + strings.ToLower(b32.EncodeToString(h[:]))[:26]
}

// tokenPrefixText begins every API token, so that a secret scanner (and a person)
// can tell one from other strings.
const tokenPrefixText = "gst_"

// formatToken is the text of an API token: gst_<account>_<token id>_<secret>.
func formatToken(account, id, secret string) string {
	return tokenPrefixText + account + "_" + id + "_" + secret
}

// parseToken splits an API token; ok false when it is not spelled as one.
func parseToken(s string) (account, id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(s, tokenPrefixText)
	if !ok {
		return "", "", "", false
	}
	parts := strings.Split(rest, "_")
	if len(parts) != 3 || !validAccountID(parts[0]) || !validTokenID(parts[1]) || !validSecret(parts[2]) {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

// passwordAlphabet has no characters that look alike (0/o, 1/l/i).
const passwordAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"

// TemporaryPassword is a password an administrator hands over (on paper, by
// phone) for the first login or after a reset: 16 characters in four groups,
// about 79 bits, without look-alike characters. The account must change it
// (MustChange).
func TemporaryPassword() string {
	var s strings.Builder
	buf := make([]byte, 1)
	for n := 0; n < 16; {
		rand.Read(buf)
		// Bytes past the last whole multiple of the alphabet are skipped, so that
		// every character is as likely.
		if int(buf[0]) >= 256/len(passwordAlphabet)*len(passwordAlphabet) {
			continue
		}
		if n > 0 && n%4 == 0 {
			s.WriteByte('-')
		}
		s.WriteByte(passwordAlphabet[int(buf[0])%len(passwordAlphabet)])
		n++
	}
	return s.String()
}
