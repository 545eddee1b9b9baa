package archive

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	c := DefaultCatalogue()
	types := c.Types()
	if len(types) != 28 {
		t.Errorf("%d types, want the 28 of catalogue.json", len(types))
	}
	// Spot checks of the table (docs/architecture.md, "The domain").
	want := map[string]struct {
		d Disclosure
		r RetentionCode
	}{
		"policy":            {Public, Years30},
		"decision":          {Public, Permanent},
		"risk_assessment":   {OnRequest, Permanent},
		"funding_proof":     {Restricted, Permanent},
		"appraisal_report":  {Household, Permanent},
		"survey_result":     {Area, Permanent},
		"site_chart":        {Public, Years10},
		"petition":          {Restricted, Years30},
		"misconduct_record": {Public, Years30},
		"destruction_list":  {Restricted, Permanent},
	}
	for code, w := range want {
		dt, ok := c.Type(code)
		if !ok {
			t.Errorf("type %s missing", code)
			continue
		}
		if dt.Disclosure != w.d || dt.Retention != w.r {
			t.Errorf("type %s: %s/%s, want %s/%s", code, dt.Disclosure, dt.Retention, w.d, w.r)
		}
	}
	if _, ok := c.Type("nonsense"); ok {
		t.Error("unknown type found")
	}
	// Copies: changing what Types returned must not change the catalogue.
	types[0].Mandatory = append(types[0].Mandatory, "pages")
	types[0].Code = "changed"
	if dt, _ := c.Type("policy"); len(dt.Mandatory) != 1 {
		t.Errorf("catalogue changed through a returned copy: %v", dt.Mandatory)
	}
}

func TestLoadCatalogueOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalogue.json")
	override := `{"schema":1,"formats":["pdf","ofd"],
"steps":[{"code":"all","name_zh":"全部","name_en":"All"}],
"types":[{"code":"notice","name_zh":"通知","name_en":"Notice","step":"all","disclosure":"public","retention":"D10","mandatory":["doc_number"]}]}`
	if err := os.WriteFile(path, []byte(override), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCatalogue(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Types()) != 1 || len(c.Formats()) != 2 {
		t.Fatalf("override not loaded: %v %v", c.Types(), c.Formats())
	}
	if _, ok := c.Type("decision"); ok {
		t.Error("an override replaces the built-in catalogue, it does not merge")
	}
	if _, err := LoadCatalogue(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseCatalogueReportsEveryProblem(t *testing.T) {
	bad := `{"schema":2,"formats":[],
"steps":[{"code":"s","name_zh":"步","name_en":"Step"},{"code":"s","name_zh":"步","name_en":"Step"}],
"types":[
 {"code":"Bad Code","name_zh":"甲","name_en":"A","step":"s","disclosure":"public","retention":"Y","mandatory":[]},
 {"code":"b","name_zh":"乙","name_en":"B","step":"nostep","disclosure":"everyone","retention":"D5","mandatory":["colour"]},
 {"code":"b","name_zh":"","name_en":"B","step":"s","disclosure":"area","retention":"Y","mandatory":[]}]}`
	_, err := ParseCatalogue([]byte(bad))
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want a *ValidationError", err)
	}
	for _, want := range []string{"schema 2", "no allowed formats", "repeated", "lowercase", "unknown step", "unknown disclosure", "unknown retention", `"colour"`, "name_zh"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := ParseCatalogue([]byte(`{"schema":1,"typo":true}`)); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestSynonyms(t *testing.T) {
	g := DefaultSynonyms()
	if len(g) < 5 {
		t.Fatalf("%d built-in groups", len(g))
	}
	found := false
	for _, grp := range g {
		if slices.Contains(grp, "拆迁") && slices.Contains(grp, "征收") {
			found = true
		}
	}
	if !found {
		t.Error("no group holds 拆迁 and 征收")
	}
	// A bad file is refused with the line and what to do about it.
	for _, bad := range []struct{ text, want string }{
		{"征收\n", `line 1: "征收" alone is no group: put two words or more`},
		{"# ok\n征收 拆迁\n\n回迁\n", `line 4: "回迁" alone`},
		{"征收 拆迁\n\xb2\xf0\xc7\xa8 \xd5\xf7\xca\xd5\n", "line 2: not valid UTF-8: save the file as UTF-8"}, // GB18030
		{"征收 " + strings.Repeat("字", 21), "line 1: \"" + strings.Repeat("字", 21) + "\" is longer than 20 characters"},
		{"征收 chaiqian", `line 1: "chaiqian" has 'c', not a Chinese character`},
		{"征收,拆迁 动迁", `line 1: "征收,拆迁" has ',', not a Chinese character: a word is Chinese characters only, separated from the next by spaces`},
	} {
		_, err := ParseSynonyms(bad.text)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: %v, want %q", bad.text, err, bad.want)
		}
	}
	got, err := ParseSynonyms("# comment\r\n\r\n 棚改  棚户区改造 # trailing\r\n")
	if err != nil || len(got) != 1 || !slices.Equal(got[0], []string{"棚改", "棚户区改造"}) {
		t.Errorf("got %q, %v", got, err)
	}
}
