package archive

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeRecord: decoding arbitrary bytes never panics, and whatever decodes
// re-encodes to canonical bytes that decode to the same record and re-encode to the
// same bytes. The seed corpus in testdata/fuzz/FuzzDecodeRecord runs with every
// go test.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range []Record{goldenRecord(), testRecord()} {
		b, err := EncodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":1,"id":"x","signatures":null,"date":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRecord(b)
		if err != nil {
			return
		}
		c, err := EncodeRecord(r)
		if err != nil {
			t.Fatalf("decoded but does not encode: %v\n%+v", err, r)
		}
		r2, err := DecodeRecord(c)
		if err != nil {
			t.Fatalf("canonical form does not decode: %v\n%s", err, c)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", r, r2)
		}
		c2, err := EncodeRecord(r2)
		if err != nil || !bytes.Equal(c, c2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, c, c2)
		}
	})
}
