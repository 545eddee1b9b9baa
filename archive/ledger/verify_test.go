package ledger

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestEntryText(t *testing.T) {
	e := event(1)
	text, err := FormatEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	want := "gongshi ledger entry v1\nkind file\nrecord " + e.RecordID + "\nversion 1\nsha256 " + e.Content.SHA256.String() +
		"\nsm3 " + e.Content.SM3.String() + "\nsize 1001\nrecord-sha256 " + e.RecordDigest.String() + "\ntime 2024-06-01T10:00:01.000Z\n"
	if string(text) != want {
		t.Fatalf("entry text:\n%s\nwant\n%s", text, want)
	}
	back, err := ParseEntry(text)
	if err != nil || back != e {
		t.Fatalf("parse: %+v, %v", back, err)
	}
	for name, bad := range map[string]string{
		"upper-case hex":     strings.Replace(want, e.Content.SHA256.String(), strings.ToUpper(e.Content.SHA256.String()), 1),
		"no final newline":   strings.TrimSuffix(want, "\n"),
		"version with zero":  strings.Replace(want, "version 1", "version 01", 1),
		"unknown kind":       strings.Replace(want, "kind file", "kind rename", 1),
		"lines reordered":    strings.Replace(want, "kind file\nrecord "+e.RecordID, "record "+e.RecordID+"\nkind file", 1),
		"time in a zone":     strings.Replace(want, "10:00:01.000Z", "18:00:01.000+08:00", 1),
		"an extra line":      want + "name 张三\n",
		"another header":     strings.Replace(want, "v1", "v2", 1),
		"personal data line": strings.Replace(want, "size 1001\n", "size 1001\nhousehold 12-3-401\n", 1),
	} {
		if _, err := ParseEntry([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	noKind := e
	noKind.Kind = "rename"
	if _, err := FormatEntry(noKind); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown kind formatted: %v", err)
	}
}

// The tile paths are those of C2SP tlog-tiles (its worked example: x001/x234/067).
func TestTileKeys(t *testing.T) {
	for _, tc := range []struct {
		tile tlog.Tile
		want string
	}{
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "ledger/tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 112}, "ledger/tile/0/x001/x234/067.p/112"},
		{tlog.Tile{H: 8, L: 2, N: 0, W: 1}, "ledger/tile/2/000.p/1"},
	} {
		if got := tileKey(tc.tile); got != tc.want {
			t.Errorf("tileKey(%+v) = %s, want %s", tc.tile, got, tc.want)
		}
	}
	if k := batchKey(1234567); k != "ledger/batch/0000000001234/0000000001234567" {
		t.Errorf("batchKey = %s", k)
	}
	if n, ok := parseIndexKey(batchKey(1234567), batchPrefix); !ok || n != 1234567 {
		t.Errorf("parseIndexKey: %d, %v", n, ok)
	}
	if _, ok := parseIndexKey("ledger/batch/0000000000001/0000000001234567", batchPrefix); ok {
		t.Error("a key in the wrong directory parsed")
	}
}

func TestCheckpointText(t *testing.T) {
	cp := Checkpoint{Origin: "gongshi.example/ledger", Size: 70000, Root: tlog.Hash{1, 2, 3}}
	text := cp.Text()
	if !strings.HasPrefix(text, "gongshi.example/ledger\n70000\nAQID") || strings.Count(text, "\n") != 3 {
		t.Fatalf("text %q", text)
	}
	back, err := ParseCheckpoint(text + "extension line\n")
	if err != nil || back != cp {
		t.Fatalf("parse: %+v, %v", back, err)
	}
	for _, bad := range []string{"o\n070000\nAQID\n", "o p\n1\n" + strings.SplitN(text, "\n", 3)[2], "o\n1\nnot base64\n", "o\n1\n"} {
		if _, err := ParseCheckpoint(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCheckpoint(%q): %v", bad, err)
		}
	}
}

// Every way a receipt can be wrong is a "not verified" with its reason.
func TestVerifyReceiptFailures(t *testing.T) {
	key := testKey(t, "gongshi.example/test")
	// A small log in memory: 5 entries, a receipt for entry 3.
	var entries [][]byte
	for i := 0; i < 5; i++ {
		e, _ := FormatEntry(event(i))
		entries = append(entries, e)
	}
	good := receiptInMemory(t, key, entries, 3)
	e3 := event(3)
	if _, err := VerifyReceipt(good, key.Verifier, &e3.Content); err != nil {
		t.Fatalf("good receipt: %v", err)
	}
	cases := map[string]struct {
		edit func(r *Receipt, file *archive.Digests)
		why  string
	}{
		"other file":  {func(r *Receipt, f *archive.Digests) { f.SHA256[5] ^= 1 }, "SHA-256"},
		"sm3 differs": {func(r *Receipt, f *archive.Digests) { f.SM3[0] ^= 1 }, "SM3"},
		"size":        {func(r *Receipt, f *archive.Digests) { f.Size++ }, "bytes"},
		"entry swapped": {func(r *Receipt, f *archive.Digests) {
			r.Entry = string(entries[2])
			*f = event(2).Content
		}, "inclusion proof"},
		"index moved":     {func(r *Receipt, f *archive.Digests) { r.Index = 2 }, "inclusion proof"},
		"proof altered":   {func(r *Receipt, f *archive.Digests) { r.Proof[0][0] ^= 1 }, "inclusion proof"},
		"beyond the tree": {func(r *Receipt, f *archive.Digests) { r.Index = 9 }, "not in the checkpoint"},
		"signature broken": {func(r *Receipt, f *archive.Digests) {
			r.Checkpoint = strings.Replace(r.Checkpoint, "\n5\n", "\n6\n", 1)
		}, "altered"},
		"record differs": {func(r *Receipt, f *archive.Digests) { r.Record = "{}" }, "record"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := good
			r.Proof = append([]tlog.Hash(nil), good.Proof...)
			file := e3.Content
			tc.edit(&r, &file)
			_, err := VerifyReceipt(r, key.Verifier, &file)
			if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("got %v, want not verified because of %q", err, tc.why)
			}
		})
	}
}

// receiptInMemory builds the receipt of entries[n] in the tree of all entries,
// signed with key, without a store.
func receiptInMemory(t *testing.T, key Key, entries [][]byte, n int64) Receipt {
	t.Helper()
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, r)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, hs...)
	}
	size := int64(len(entries))
	root, _ := tlog.TreeHash(size, r)
	proof, err := tlog.ProveRecord(size, n, r)
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{key: key}
	signed, err := signCheckpoint(l, Checkpoint{Origin: key.Verifier.Name(), Size: size, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	return Receipt{Format: ReceiptFormat, Index: n, Entry: string(entries[n]), Proof: proof, Checkpoint: string(signed)}
}
