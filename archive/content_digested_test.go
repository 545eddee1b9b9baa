package archive

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestPutContentDigested(t *testing.T) {
	ctx := context.Background()
	a := newTestArchive(t, false)
	b := testContent()
	d, err := DigestReader(ctx, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Bytes that differ from those digested are refused by the store's SHA-256
	// check, and nothing is stored.
	other := bytes.Clone(b)
	other[0] ^= 1
	if err := a.PutContentDigested(ctx, d, bytes.NewReader(other)); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("changed bytes: %v, want ErrDigestMismatch", err)
	}
	if ok, _ := a.HasContent(ctx, d); ok {
		t.Fatal("changed bytes were stored")
	}
	if err := a.PutContentDigested(ctx, d, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	if ok, err := a.HasContent(ctx, d); !ok || err != nil {
		t.Fatalf("content not stored: %v", err)
	}
	// Deduplicated: a second put does not read r.
	if err := a.PutContentDigested(ctx, d, errReader{}); err != nil {
		t.Fatal(err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("must not be read") }
