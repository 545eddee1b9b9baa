package archive

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob/fs"
)

func TestPublicCopy(t *testing.T) {
	ctx := context.Background()
	st, err := fs.Open(t.TempDir(), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := New(st, Options{Now: func() time.Time { return time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC) }})
	for _, code := range []string{"CC-2026-001", "JL-2026-003"} {
		if _, err := a.CreateProject(ctx, Project{Code: code, Name: "项目" + code, City: "长春市"}); err != nil {
			t.Fatal(err)
		}
	}
	file := func(r Record, content string) (Record, error) {
		d, err := a.PutContent(ctx, strings.NewReader(content), int64(len(content)))
		if err != nil {
			t.Fatal(err)
		}
		r.Content, r.Format, r.FileName, r.Date, r.Title, r.Issuer = d, "pdf", "x.pdf", D(2026, 3, 1), r.Title+"调查结果", "长春市房屋征收经办中心"
		if r.Household == "" {
			r.Household = "A-1"
		}
		return a.CreateRecord(ctx, r)
	}
	orig, err := file(Record{Project: "CC-2026-001", Type: "survey_result"}, "original")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := file(Record{Project: "CC-2026-001", Type: "survey_result", PublicCopyOf: orig.ID}, "copy")
	if err != nil {
		t.Fatalf("a public copy of an area record: %v", err)
	}
	if cp.Disclosure != Public || CheckPublishable(cp) != nil {
		t.Fatalf("the copy is %q, publishable: %v", cp.Disclosure, CheckPublishable(cp))
	}
	got, err := a.Record(ctx, cp.ID)
	if err != nil || got.PublicCopyOf != orig.ID {
		t.Fatalf("stored copy: %+v %v", got.PublicCopyOf, err)
	}
	if cp.ID == orig.ID {
		t.Fatal("the copy has the original's id")
	}
	for name, tc := range map[string]struct {
		r    Record
		want error
	}{
		"missing original": {Record{Project: "CC-2026-001", Type: "survey_result", PublicCopyOf: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Title: "1"}, ErrNotFound},
		"other project":    {Record{Project: "JL-2026-003", Type: "survey_result", PublicCopyOf: orig.ID, Title: "2"}, ErrInvalid},
		"copy of a copy":   {Record{Project: "CC-2026-001", Type: "survey_result", PublicCopyOf: cp.ID, Title: "3"}, ErrInvalid},
		"not public":       {Record{Project: "CC-2026-001", Type: "survey_result", PublicCopyOf: orig.ID, Disclosure: Area, Title: "4"}, ErrInvalid},
		"malformed id":     {Record{Project: "CC-2026-001", Type: "survey_result", PublicCopyOf: "NOT-AN-ID", Title: "5"}, ErrInvalid},
	} {
		if _, err := file(tc.r, "content "+name); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}
