package ingest

import (
	"bytes"
	"context"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/gongshi-archive/gongshi/ingest/pdftest"
)

// The signature report names the signer and issuer as their certificates do
// (Chinese names), the algorithm, the signing time and the coverage.
func TestInspectSignatureDetails(t *testing.T) {
	fx := getFixtures(t)
	in := NewInspector(InspectorOptions{Roots: fx.roots})
	for _, tc := range []struct {
		fixture string
		whole   bool
		verdict string
	}{
		{"signed", true, VerdictValid},
		{"incremental", false, VerdictValid},
		{"untrusted", true, VerdictUntrusted},
		{"tampered", true, VerdictInvalid},
		{"signed_after_expiry", true, VerdictUntrusted},
		{"sm2_signed", true, VerdictValid},
		{"sm2_tampered", true, VerdictInvalid},
		{"sm2_untrusted", true, VerdictUntrusted},
		{"sm2_forged_issuer", true, VerdictUntrusted},
		{"sm2_under_ecdsa", true, VerdictValid},
		{"ecdsa_under_sm2", true, VerdictValid},
		{"mixed_no_intermediate", true, VerdictUntrusted},
	} {
		ins, err := in.Inspect(context.Background(), fx.files[tc.fixture])
		if err != nil {
			t.Fatal(err)
		}
		if ins.PDF == nil || len(ins.PDF.Signatures) != 1 {
			t.Fatalf("%s: want one signature, got %+v", tc.fixture, ins.PDF)
		}
		s := ins.PDF.Signatures[0]
		if s.Verdict != tc.verdict || s.CoversWholeFile != tc.whole {
			t.Errorf("%s: verdict %s whole %v, want %s %v (%s)", tc.fixture, s.Verdict, s.CoversWholeFile, tc.verdict, tc.whole, s.Reason)
		}
		if tc.fixture == "sm2_signed" {
			if s.Signer != "长春市房屋征收经办中心" || s.Issuer != "国家政务服务平台SM2根证书" || s.Algorithm != "SM2-SM3" || !s.SigningTime.Equal(signingTime) {
				t.Errorf("sm2_signed: %+v", s)
			}
		}
		if tc.fixture == "signed" {
			if s.Signer != "长春市房屋征收经办中心" || s.Issuer != "吉林省电子政务根证书" || s.Algorithm != "ECDSA-SHA256" || !s.SigningTime.Equal(signingTime) {
				t.Errorf("signed: %+v", s)
			}
		}
	}
	// The same bytes under another inspector without roots: intact but untrusted.
	ins, err := NewInspector(InspectorOptions{}).Inspect(context.Background(), fx.files["signed"])
	if err != nil || ins.PDF.Signatures[0].Verdict != VerdictUntrusted {
		t.Fatalf("no roots: %v %+v", err, ins)
	}
}

// The format comes from the content, never from the name.
func TestSniff(t *testing.T) {
	for in, want := range map[string]string{
		"": FormatEmpty, "%PDF-1.7\n": FormatPDF, "junk\n%PDF-1.4": FormatPDF, "PK\x03\x04x": FormatZIP,
		"\x89PNG\r\n\x1a\nx": FormatPNG, "\xff\xd8\xff\xe0": FormatJPEG, "hello\n": FormatText, "\x00\x01\x02": FormatUnknown,
	} {
		if got := sniff([]byte(in)); got != want {
			t.Errorf("sniff(%q) = %s, want %s", in, got, want)
		}
	}
}

// Above DoubleCheckMax only pdfsign's verifier checks the signed digest; it still
// finds a tampered file and a broken signature.
func TestInspectSingleCheckForLargeFiles(t *testing.T) {
	fx := getFixtures(t)
	in := NewInspector(InspectorOptions{Roots: fx.roots, DoubleCheckMax: 1})
	for name, want := range map[string]string{"signed": VerdictValid, "tampered": VerdictInvalid, "broken_cms": VerdictInvalid, "untrusted": VerdictUntrusted} {
		ins, err := in.Inspect(context.Background(), fx.files[name])
		if err != nil || len(ins.PDF.Signatures) != 1 || ins.PDF.Signatures[0].Verdict != want {
			t.Errorf("%s: %v %+v, want %s", name, err, ins.PDF, want)
		}
	}
}

// Active content inside object streams is found: pdfcpu parses an object of
// an object stream only when something dereferences it, so the walk runs
// after validation and parses the objects validation did not reach. Here a
// page, written into an object stream, opens with JavaScript.
func TestActiveContentInObjectStreams(t *testing.T) {
	if err := setupPDFCPU(); err != nil {
		t.Fatal(err)
	}
	page := "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R " +
		"/AA << /O << /S /JavaScript /JS (app.alert\\('gongshi'\\);) >> >> " +
		"/Resources << /Font << /F1 3 0 R >> /XObject << /X1 6 0 R >> >> >>"
	doc, err := pdftest.ReplaceObject(pdftest.Document(pdftest.Options{}), 8, page)
	if err != nil {
		t.Fatal(err)
	}
	conf := model.NewDefaultConfiguration()
	conf.WriteObjectStream, conf.WriteXRefStream = true, true
	var out bytes.Buffer
	if err := api.Optimize(bytes.NewReader(doc), &out, conf); err != nil {
		t.Fatal(err)
	}
	pctx, err := api.ReadContext(bytes.NewReader(out.Bytes()), pdfcpuConfig())
	if err != nil {
		t.Fatal(err)
	}
	lazy := 0
	for _, e := range pctx.XRefTable.Table {
		if _, ok := e.Object.(types.LazyObjectStreamObject); ok {
			lazy++
		}
	}
	if lazy == 0 {
		t.Fatal("pdfcpu wrote no object into an object stream")
	}
	ins := inspectBytes(t, NewInspector(InspectorOptions{}), out.Bytes())
	if !ins.PDF.Has(ActiveJavaScript) {
		t.Errorf("JavaScript of a page in an object stream: not found (%+v)", ins.PDF)
	}
}
