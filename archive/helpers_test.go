package archive

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob/fs"
)

// testNow is the fixed clock of the tests: 2024-06-01 18:00 in Beijing.
func testNow() time.Time { return time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC) }

// testContent is a document's bytes; its digests are what records refer to.
func testContent() []byte {
	return []byte("%PDF-1.7\n% 关于东天街片区房屋征收的决定\n%%EOF\n")
}

func testProject() Project {
	return Project{
		Code:        "CQ-2024-01",
		Name:        "南关区东天街片区旧城区改建项目",
		City:        "长春市",
		District:    "南关区",
		Department:  "长春市南关区房屋征收经办中心",
		Implementer: "长春市南关区东天街道办事处",
		Category:    CategoryOldCityRenewal,
		Dates: map[string]Date{
			"decision":     D(2024, time.March, 15),
			"announcement": D(2024, time.March, 18),
		},
		Households: 312,
	}
}

// testRecord is a valid decision of testProject over testContent.
func testRecord() Record {
	return Record{
		Project:      "CQ-2024-01",
		Type:         "decision",
		Title:        "关于南关区东天街片区房屋征收的决定",
		DocNumber:    "长征补〔2024〕12号",
		Issuer:       "长春市南关区人民政府",
		Date:         D(2024, time.March, 15),
		ArchivalCode: "Z109-ZS·2024-Y-CQ01-0007",
		Pages:        12,
		Format:       "pdf",
		FileName:     "征收决定.pdf",
		Content:      oneShot(testContent()),
	}
}

// newTestArchive returns an Archive over a fresh filesystem store, with the test clock
// and the project of testProject already created when withProject is true.
func newTestArchive(t *testing.T, withProject bool) *Archive {
	t.Helper()
	st, err := fs.Open(t.TempDir(), fs.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := New(st, Options{Now: testNow, TempDir: t.TempDir()})
	if withProject {
		ctx := context.Background()
		if _, err := a.CreateProject(ctx, testProject()); err != nil {
			t.Fatal(err)
		}
		if _, err := a.PutContent(ctx, bytes.NewReader(testContent()), int64(len(testContent()))); err != nil {
			t.Fatal(err)
		}
	}
	return a
}
