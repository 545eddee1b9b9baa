package blob

import (
	"fmt"
	"strings"
)

// MaxKeyLen is the longest key accepted, in bytes.
const MaxKeyLen = 512

// maxSegmentLen leaves room under the 255-byte name limit of common filesystems
// for the suffixes a backend may add.
const maxSegmentLen = 200

// ValidateKey checks the key rules that every backend enforces, so that a key that
// works on one backend works on all: 1 to MaxKeyLen bytes of ASCII letters, digits,
// '-', '_' and '.', in segments separated by single '/'; no segment is empty, "."
// or "..", and no segment is longer than 200 bytes. Keys are built by the archive
// from digests and identifiers, never from user-supplied file names, so the rules
// can be strict.
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %q: length must be 1 to %d bytes", ErrInvalidKey, key, MaxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%w: %q: empty segment", ErrInvalidKey, key)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w: %q: segment %q", ErrInvalidKey, key, seg)
		case len(seg) > maxSegmentLen:
			return fmt.Errorf("%w: %q: segment longer than %d bytes", ErrInvalidKey, key, maxSegmentLen)
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return fmt.Errorf("%w: %q: byte %q not allowed", ErrInvalidKey, key, seg[i])
			}
		}
	}
	return nil
}

// ValidatePrefix checks a List prefix: empty, or a key, or a key followed by '/'.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	p := strings.TrimSuffix(prefix, "/")
	if err := ValidateKey(p); err != nil {
		return fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return nil
}

func keyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '-' || c == '_' || c == '.'
}
