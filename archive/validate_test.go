package archive

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// problemFields returns the fields of the problems in err, in order, or nil.
func problemFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v does not match ErrInvalid", err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Field)
	}
	return out
}

func TestValidateRecord(t *testing.T) {
	c := DefaultCatalogue()
	tests := []struct {
		name   string
		change func(r *Record)
		want   []string // fields with problems, in order; nil = valid
	}{
		{"valid", func(r *Record) {}, nil},
		{"valid with explicit defaults", func(r *Record) { r.Disclosure, r.Retention = Public, Permanent }, nil},
		{"valid without department in 档号", func(r *Record) { r.ArchivalCode = "Z109-ZS·2024-Y-0007" }, nil},
		{"valid more closed than type", func(r *Record) { r.Disclosure = Restricted }, nil},
		{"valid 文号 in square brackets", func(r *Record) { r.DocNumber = "长征补[2024]12号" }, nil},
		{"valid 文号 in round brackets", func(r *Record) { r.DocNumber = "长征补（2024）12号" }, nil},
		{"valid decree number", func(r *Record) { r.Type, r.DocNumber, r.ArchivalCode = "policy", "国务院令第590号", "" }, nil},
		{"valid court case number", func(r *Record) {
			r.Type, r.DocNumber, r.ArchivalCode = "enforcement", "（2024）吉0102行审12号", ""
		}, nil},
		{"valid date tomorrow", func(r *Record) {
			r.Date, r.DocNumber, r.ArchivalCode = D(2024, time.June, 2), "", ""
			r.Type = "policy"
		}, nil},
		{"valid household record", func(r *Record) {
			r.Type, r.Household, r.DocNumber, r.ArchivalCode = "agreement", "东天街12号3单元201", "", ""
		}, nil},

		{"valid abstract and keywords", func(r *Record) {
			r.Abstract, r.Keywords = "对东天街片区房屋实施征收，附补偿方案。", []string{"征收决定", "东天街"}
		}, nil},
		{"bad keywords", func(r *Record) {
			r.Keywords = []string{"征收，补偿", "", "东天街", "东天街", strings.Repeat("字", 41)}
		}, []string{"keywords[0]", "keywords[1]", "keywords[3]", "keywords[4]"}},
		{"too many keywords", func(r *Record) {
			for i := range 21 {
				r.Keywords = append(r.Keywords, fmt.Sprint("词", i))
			}
		}, []string{"keywords"}},
		{"abstract with a control character", func(r *Record) { r.Abstract = "第一段\n第二段" }, []string{"abstract"}},

		{"everything missing", func(r *Record) { *r = Record{} },
			[]string{"project", "type", "title", "date", "format", "file_name", "content"}},
		{"mandatory fields of the type", func(r *Record) { r.DocNumber, r.Issuer = "", "" },
			[]string{"doc_number", "issuer"}},
		{"household type needs household", func(r *Record) { r.Type, r.DocNumber, r.ArchivalCode = "agreement", "", "" },
			[]string{"household"}},
		{"household class needs household", func(r *Record) { r.Disclosure = Household },
			[]string{"household"}},
		{"bad project code", func(r *Record) { r.Project = "cq 2024" }, []string{"project"}},
		{"unknown type", func(r *Record) { r.Type = "memo" }, []string{"type"}},
		{"unknown disclosure", func(r *Record) { r.Disclosure = "secret" }, []string{"disclosure"}},
		{"more open than type", func(r *Record) { r.Type, r.Disclosure = "funding_proof", Public },
			[]string{"disclosure"}},
		{"on request type made area", func(r *Record) { r.Type, r.Disclosure = "risk_assessment", Area },
			[]string{"disclosure"}},
		{"unknown retention", func(r *Record) { r.Retention = "D5" }, []string{"retention"}},
		{"title with newline and spaces", func(r *Record) { r.Title = " 决定\n" }, []string{"title", "title"}},
		{"title too long", func(r *Record) { r.Title = strings.Repeat("征", 501) }, []string{"title"}},
		{"date before 1949-10-01", func(r *Record) { r.Date, r.DocNumber, r.ArchivalCode = D(1949, 9, 30), "", ""; r.Type = "policy" },
			[]string{"date"}},
		{"date the day after tomorrow", func(r *Record) { r.Date, r.DocNumber, r.ArchivalCode = D(2024, 6, 3), "", ""; r.Type = "policy" },
			[]string{"date"}},
		{"date not in the calendar", func(r *Record) { r.Date = Date{Year: 2024, Month: 2, Day: 30} }, []string{"date"}},
		{"文号 free text", func(r *Record) { r.DocNumber = "第12号文件" }, []string{"doc_number"}},
		{"文号 unpaired brackets", func(r *Record) { r.DocNumber = "长征补〔2024]12号" }, []string{"doc_number"}},
		{"文号 with 第", func(r *Record) { r.DocNumber = "长征补〔2024〕第12号" }, []string{"doc_number"}},
		{"文号 with leading zero", func(r *Record) { r.DocNumber = "长征补〔2024〕012号" }, []string{"doc_number"}},
		{"文号 year differs from date", func(r *Record) { r.DocNumber = "长征补〔2023〕12号" }, []string{"doc_number"}},
		{"文号 full-width digits", func(r *Record) { r.DocNumber = "长征补〔２０２４〕12号" }, []string{"doc_number"}},
		{"档号 katakana dot", func(r *Record) { r.ArchivalCode = "Z109-ZS・2024-Y-CQ01-0007" }, []string{"archival_code"}},
		{"档号 bullet", func(r *Record) { r.ArchivalCode = "Z109-ZS•2024-Y-CQ01-0007" }, []string{"archival_code"}},
		{"档号 lower case", func(r *Record) { r.ArchivalCode = "z109-zs·2024-y-cq01-0007" }, []string{"archival_code"}},
		{"档号 malformed", func(r *Record) { r.ArchivalCode = "Z109/ZS/2024/7" }, []string{"archival_code"}},
		{"档号 three-digit item", func(r *Record) { r.ArchivalCode = "Z109-ZS·2024-Y-CQ01-007" }, []string{"archival_code"}},
		{"档号 item zero", func(r *Record) { r.ArchivalCode = "Z109-ZS·2024-Y-CQ01-0000" }, []string{"archival_code"}},
		{"档号 year differs from date", func(r *Record) { r.ArchivalCode = "Z109-ZS·2023-Y-CQ01-0007" }, []string{"archival_code"}},
		{"档号 retention differs from type", func(r *Record) { r.ArchivalCode = "Z109-ZS·2024-D30-CQ01-0007" }, []string{"archival_code"}},
		{"档号 retention follows an override", func(r *Record) {
			r.ArchivalCode, r.Retention = "Z109-ZS·2024-D30-CQ01-0007", Years30
		}, nil},
		{"negative pages", func(r *Record) { r.Pages = -1 }, []string{"pages"}},
		{"format not allowed", func(r *Record) { r.Format = "docx" }, []string{"format"}},
		{"file name with directory", func(r *Record) { r.FileName = "../决定.pdf" }, []string{"file_name"}},
		{"file name too long", func(r *Record) { r.FileName = strings.Repeat("征", 90) + ".pdf" }, []string{"file_name"}},
		{"content without SM3", func(r *Record) { r.Content.SM3 = Hash{} }, []string{"content"}},
		{"empty content", func(r *Record) { r.Content.Size = 0 }, []string{"content.size"}},
		{"signatures not JSON", func(r *Record) { r.Signatures = []byte("{oops") }, []string{"signatures"}},
		{"bad id", func(r *Record) { r.ID = "ABC" }, []string{"id"}},
		{"correction without reason", func(r *Record) { r.Version, r.Supersedes = 2, &Supersedes{Version: 1} },
			[]string{"supersedes.reason"}},
		{"correction of the wrong version", func(r *Record) { r.Version, r.Supersedes = 3, &Supersedes{Version: 1, Reason: "typo"} },
			[]string{"supersedes"}},
		{"version 2 without supersedes", func(r *Record) { r.Version = 2 }, []string{"supersedes"}},
		{"all problems at once", func(r *Record) {
			r.Title, r.Format, r.DocNumber, r.ArchivalCode, r.Pages = "", "", "乱写", "乱写", -5
		}, []string{"title", "doc_number", "archival_code", "pages", "format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRecord()
			tt.change(&r)
			err := c.ValidateRecord(r, testNow())
			if got := problemFields(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems in %v, want %v\n%v", got, tt.want, err)
			}
		})
	}
}

// TestValidationMessages: messages are English and name the Chinese label.
func TestValidationMessages(t *testing.T) {
	r := testRecord()
	r.DocNumber = "长征补〔2023〕12号"
	r.ArchivalCode = "Z109-ZS・2024-Y-CQ01-0007"
	err := DefaultCatalogue().ValidateRecord(r, testNow())
	for _, want := range []string{
		"文号 (doc_number): year 2023 differs",
		`档号 (archival_code): "Z109-ZS・2024-Y-CQ01-0007": write it as "Z109-ZS·2024-Y-CQ01-0007"`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestValidateProject(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *Project)
		want   []string
	}{
		{"valid", func(p *Project) {}, nil},
		{"minimal", func(p *Project) { *p = Project{Code: "A1", Name: "项目", City: "长春市", Department: "征收办"} }, nil},
		{"empty", func(p *Project) { *p = Project{} }, []string{"code", "name", "city"}},
		{"unknown category", func(p *Project) { p.Category = "beautification" }, []string{"category"}},
		{"bad date name and future date", func(p *Project) {
			p.Dates = map[string]Date{"Signing End": D(2024, 7, 1), "decision": D(2035, 1, 1), "signing_end": D(2024, 9, 30)}
		}, []string{"dates.Signing End", "dates.decision"}},
		{"negative households", func(p *Project) { p.Households = -1 }, []string{"households"}},
		{"version 1 supersedes nothing", func(p *Project) { p.Version, p.Supersedes = 1, &Supersedes{Version: 1, Reason: "x"} },
			[]string{"supersedes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProject()
			tt.change(&p)
			if got := problemFields(t, ValidateProject(p, testNow())); !slices.Equal(got, tt.want) {
				t.Errorf("problems in %v, want %v", got, tt.want)
			}
		})
	}
}

func TestValidateProjectCode(t *testing.T) {
	for code, ok := range map[string]bool{
		"CQ-2024-01": true, "A1": true, "NG2024": true, strings.Repeat("A", 32): true,
		"": false, "A": false, strings.Repeat("A", 33): false, "cq-2024": false,
		"-CQ": false, "CQ-": false, "CQ--1": false, "CQ_1": false, "CQ 1": false,
		"长春-1": false, "CQ/1": false, "CQ.1": false,
	} {
		err := ValidateProjectCode(code)
		if (err == nil) != ok {
			t.Errorf("ValidateProjectCode(%q) = %v, want ok=%v", code, err, ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateProjectCode(%q) = %v, not ErrInvalid", code, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Z109-ZS・2024-Y-CQ01-0007": "Z109-ZS·2024-Y-CQ01-0007",
		"z109-zs.2024-y-cq01-0007": "Z109-ZS·2024-Y-CQ01-0007",
		"Ｚ109－ZS•2024—Y-CQ01-0007": "Z109-ZS·2024-Y-CQ01-0007",
	} {
		if got := NormalizeArchivalCode(in); got != want {
			t.Errorf("NormalizeArchivalCode(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"长征补[2024]12号": "长征补〔2024〕12号",
		"长征补（２０２４）12号": "长征补〔2024〕12号",
		"国务院令第590号":    "国务院令第590号",
		"长征补〔2024]12号": "长征补〔2024]12号", // unpaired: left for the validator to report
	} {
		if got := NormalizeDocNumber(in); got != want {
			t.Errorf("NormalizeDocNumber(%q) = %q, want %q", in, got, want)
		}
	}
	a, err := ParseArchivalCode("Z109-ZS·2024-Y-CQ01-0007")
	if err != nil || a != (ArchivalCode{"Z109", "ZS", 2024, Permanent, "CQ01", 7}) || a.String() != "Z109-ZS·2024-Y-CQ01-0007" {
		t.Errorf("ParseArchivalCode = %+v, %v", a, err)
	}
	// A refused code says why in its fields, not only in its words.
	for in, canonical := range map[string]string{
		"Z109-ZS・2024-Y-CQ01-0007": "Z109-ZS·2024-Y-CQ01-0007", // katakana middle dot
		"z109-zs·2024-y-cq01-0007": "Z109-ZS·2024-Y-CQ01-0007",
		"Z109-2024-0007":           "",
	} {
		_, err := ParseArchivalCode(in)
		var bad *ArchivalCodeError
		if !errors.As(err, &bad) || bad.Code != in || bad.Canonical != canonical {
			t.Errorf("ParseArchivalCode(%q) = %#v, want an *ArchivalCodeError with Canonical %q", in, err, canonical)
		}
	}
}

func TestDates(t *testing.T) {
	for _, s := range []string{"2024-3-15", "2024-02-30", "20240315", "2024-13-01", "+024-01-01", "2024-01-0a"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	// Beijing is 8 hours ahead: 2024-06-01 20:00 UTC is already June 2nd there.
	if got := DateOf(time.Date(2024, 6, 1, 20, 0, 0, 0, time.UTC)); got != D(2024, 6, 2) {
		t.Errorf("DateOf = %s, want 2024-06-02", got)
	}
	if got := D(2024, 2, 28).AddDays(2); got != D(2024, 3, 1) {
		t.Errorf("AddDays = %s", got)
	}
}

func TestCategoryLabels(t *testing.T) {
	seen := map[string]Category{}
	for _, c := range Categories() {
		l := c.Label()
		if l == string(c) || l == "" {
			t.Errorf("category %s has no Chinese label", c)
		}
		if prev, dup := seen[l]; dup {
			t.Errorf("categories %s and %s share the label %s", prev, c, l)
		}
		seen[l] = c
	}
	if got := Category("unknown").Label(); got != "unknown" {
		t.Errorf("label of an unknown category = %q, want the code itself", got)
	}
}

// TestProblemRequired: a missing mandatory field is marked Required, a wrong value
// is not, whatever words the value holds (ingest classifies by the mark).
func TestProblemRequired(t *testing.T) {
	c := DefaultCatalogue()
	tests := []struct {
		name     string
		change   func(r *Record)
		required []string // fields marked Required, in order
		wrong    []string // fields not marked
	}{
		{"everything missing", func(r *Record) { *r = Record{} },
			[]string{"project", "type", "title", "date", "format", "file_name", "content"}, nil},
		{"mandatory fields of the type", func(r *Record) { r.DocNumber, r.Issuer = "", "" },
			[]string{"doc_number", "issuer"}, nil},
		{"household class needs household", func(r *Record) { r.Disclosure = Household },
			[]string{"household"}, nil},
		{"values that speak of requirement", func(r *Record) {
			r.Project, r.Type = "cq required for", "memo required when"
		}, nil, []string{"project", "type"}},
		{"correction without reason", func(r *Record) { r.Version, r.Supersedes = 2, &Supersedes{Version: 1} },
			nil, []string{"supersedes.reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testRecord()
			tt.change(&r)
			var ve *ValidationError
			if !errors.As(c.ValidateRecord(r, testNow()), &ve) {
				t.Fatal("no problems")
			}
			var required, wrong []string
			for _, p := range ve.Problems {
				if p.Required {
					required = append(required, p.Field)
				} else {
					wrong = append(wrong, p.Field)
				}
			}
			if !slices.Equal(required, tt.required) || !slices.Equal(wrong, tt.wrong) {
				t.Errorf("required %v, wrong values %v; want %v, %v\n%v", required, wrong, tt.required, tt.wrong, ve)
			}
		})
	}
}
