package archive

import (
	"bytes"
	"strings"
	"testing"
)

// The four-property report is stored canonically beside the signature report and
// is not part of the record's identity.
func TestRecordReportCanonical(t *testing.T) {
	r := goldenRecord()
	r.Report = []byte(`{ "verdict": "accepted", "checks": [ {"property":"真实性", "outcome":"pass"} ] }`)
	b, err := EncodeRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	compact := strings.Join(strings.Fields(string(b)), "")
	want := `"report":{"checks":[{"outcome":"pass","property":"真实性"}],"verdict":"accepted"}`
	if !strings.Contains(compact, want) {
		t.Fatalf("encoded record lacks %s:\n%s", want, b)
	}
	back, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := EncodeRecord(back)
	if !bytes.Equal(b, b2) {
		t.Fatalf("not stable:\n%s\n%s", b, b2)
	}
	id1, _ := RecordID(r)
	r.Report = nil
	id2, _ := RecordID(r)
	if id1 != id2 {
		t.Fatal("the report changed the record id")
	}
	r.Report = []byte(`{"broken"`)
	if _, err := EncodeRecord(r); err == nil {
		t.Fatal("invalid report JSON encoded")
	}
}
