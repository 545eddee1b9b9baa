package archive

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenRecord is a correction with every field set, including characters that a
// default JSON encoder would escape.
func goldenRecord() Record {
	r := testRecord()
	r.ID = "k5ti3bzs2fkb6aj4xwqfqpfo2e"
	r.Version = 2
	r.Title = "关于<东天街>片区房屋征收的决定 & 公告"
	r.Disclosure = Public
	r.Retention = Permanent
	r.Household = "东天街12号3单元201"
	r.Signatures = []byte(`{ "signers": [ {"name":"长春市南关区人民政府", "alg":"SM2", "valid": true} ], "checked_at":"2024-06-01T10:00:00Z", "count": 1 }`)
	r.Supersedes = &Supersedes{Version: 1, Reason: "文号录入错误"}
	r.FiledAt = time.Date(2024, 6, 1, 18, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	return r
}

func goldenProject() Project {
	p := testProject()
	p.Version = 1
	p.CreatedAt = time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	p.UpdatedAt = p.CreatedAt
	return p
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestCanonicalGolden(t *testing.T) {
	rec, err := EncodeRecord(goldenRecord())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "record.golden.json", rec)
	min := testRecord()
	min.ID, min.Version, min.FiledAt = "aaaaaaaaaaaaaaaaaaaaaaaaaa", 1, testNow()
	minimal, err := EncodeRecord(min)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "record-minimal.golden.json", minimal)
	proj, err := EncodeProject(goldenProject())
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "project.golden.json", proj)

	for _, b := range [][]byte{rec, minimal, proj} {
		if !bytes.HasSuffix(b, []byte("}\n")) || bytes.HasSuffix(b, []byte("\n\n")) {
			t.Error("want exactly one trailing newline")
		}
		if bytes.Contains(b, []byte(`\u`)) {
			t.Errorf("escaped characters in %s", b)
		}
	}
	if !bytes.Contains(rec, []byte(`"filed_at": "2024-06-01T10:00:00.123Z"`)) {
		t.Error("filed_at not UTC with milliseconds")
	}
	if !bytes.HasPrefix(rec, []byte("{\n  \"schema\": 1,\n")) {
		t.Error("schema is not the first field")
	}
}

// TestCanonicalDeterministic: encoding does not depend on map iteration order, the
// time zone of a timestamp, or the spelling of embedded JSON.
func TestCanonicalDeterministic(t *testing.T) {
	p := goldenProject()
	first, _ := EncodeProject(p)
	for range 20 {
		q := p
		q.Dates = map[string]Date{}
		for k, v := range p.Dates { // a fresh map, a fresh iteration order
			q.Dates[k] = v
		}
		q.CreatedAt = p.CreatedAt.In(time.FixedZone("X", -5*3600))
		b, _ := EncodeProject(q)
		if !bytes.Equal(b, first) {
			t.Fatalf("encoding changed:\n%s\n%s", b, first)
		}
	}
	r1, r2 := goldenRecord(), goldenRecord()
	r2.Signatures = []byte(`{"count":1,"checked_at":"2024-06-01T10:00:00Z","signers":[{"valid":true,"alg":"SM2","name":"长春市南关区人民政府"}]}`)
	b1, _ := EncodeRecord(r1)
	b2, _ := EncodeRecord(r2)
	if !bytes.Equal(b1, b2) {
		t.Errorf("embedded JSON not canonical:\n%s\n%s", b1, b2)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	for _, r := range []Record{goldenRecord(), testRecord()} {
		b, err := EncodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		want := r
		want.FiledAt = normTime(r.FiledAt)
		want.Signatures, _ = canonicalRaw(r.Signatures)
		if !reflect.DeepEqual(back, want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", back, want)
		}
	}
	p := goldenProject()
	b, _ := EncodeProject(p)
	back, err := DecodeProject(b)
	if err != nil || !reflect.DeepEqual(back, p) {
		t.Errorf("project round trip: %+v, %v", back, err)
	}
}

func TestDecodeStrict(t *testing.T) {
	good, _ := EncodeRecord(goldenRecord())
	tests := []struct {
		name string
		edit func(string) string
		want error
	}{
		{"newer schema", func(s string) string { return strings.Replace(s, `"schema": 1`, `"schema": 2`, 1) }, ErrSchema},
		{"no schema", func(s string) string { return strings.Replace(s, `"schema": 1,`, ``, 1) }, ErrSchema},
		{"unknown field", func(s string) string { return strings.Replace(s, `"schema": 1,`, `"schema": 1, "colour": "red",`, 1) }, nil},
		{"trailing data", func(s string) string { return s + "{}" }, nil},
		{"time without milliseconds", func(s string) string { return strings.Replace(s, ".123Z", "Z", 1) }, nil},
		{"time with offset", func(s string) string { return strings.Replace(s, ".123Z", ".123+08:00", 1) }, nil},
		{"upper-case digest", func(s string) string { return strings.Replace(s, `"sm3": "`, `"sm3": "A`, 1) }, nil},
		{"short date", func(s string) string { return strings.Replace(s, "2024-03-15", "2024-3-15", 1) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRecord([]byte(tt.edit(string(good))))
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// Abstract and keywords round-trip, and a record without them keeps the bytes and
// the id it had before the fields existed (both are omitted when empty).
func TestRecordAbstractKeywords(t *testing.T) {
	r := testRecord()
	before, err := EncodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	idBefore, _ := RecordID(r)
	r.Keywords = []string{}
	if b, _ := EncodeRecord(r); string(b) != string(before) {
		t.Errorf("an empty keyword list changed the encoding:\n%s", b)
	}
	if id, _ := RecordID(r); id != idBefore {
		t.Errorf("an empty keyword list changed the id: %s, want %s", id, idBefore)
	}
	r.Abstract, r.Keywords = "对东天街片区<房屋>实施征收", []string{"征收", "东天街"}
	b, err := EncodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"abstract": "对东天街片区<房屋>实施征收"`) || !strings.Contains(string(b), `"keywords": [`) {
		t.Errorf("encoding lacks the abstract or keywords:\n%s", b)
	}
	got, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Abstract != r.Abstract || !slices.Equal(got.Keywords, r.Keywords) {
		t.Errorf("round trip: %q %q", got.Abstract, got.Keywords)
	}
	if id, _ := RecordID(r); id == idBefore {
		t.Error("the abstract is part of the filing's identity, but the id did not change")
	}
}
