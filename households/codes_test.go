package households

import (
	"bytes"
	"crypto/rand"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

// A code is issued once, reusable, stored only as its hash; a new code replaces
// the old one (with a reason); a revoked code lets nobody in; a code works only
// for its own household and project.
func TestQueryCodes(t *testing.T) {
	f := newFixture(t)
	f.register()
	code, c1, err := f.s.IssueCode(f.ctx, project, "0001", archive.AccountActor("u-1"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != CodeLength || c1.Version != 1 || c1.Status != CodeIssued {
		t.Fatalf("code %q, %+v", code, c1)
	}
	for i := 0; i < 3; i++ { // reusable
		if got, err := f.s.CheckCode(f.ctx, project, "0001", strings.ToLower(FormatCode(code))); err != nil || got.Version != 1 {
			t.Fatalf("check %d: %+v %v", i, got, err)
		}
	}
	b, err := f.s.codes.Bytes(f.ctx, archive.HouseholdKey(project, "0001"), 1)
	if err != nil || bytes.Contains(b, []byte(code)) {
		t.Fatalf("the stored version holds the code: %s (%v)", b, err)
	}
	for _, tc := range []struct{ project, hh, code string }{
		{project, "0002", code},           // another household
		{"JL-2026-003", "0001", code},     // another project
		{project, "0001", code[:11]},      // too short
		{project, "0001", "0" + code[1:]}, // not in the alphabet
		{project, "0009", code},           // no such household
		{project, "../x", code},
	} {
		if _, err := f.s.CheckCode(f.ctx, tc.project, tc.hh, tc.code); !errors.Is(err, ErrBadCode) {
			t.Errorf("%+v: %v, want ErrBadCode", tc, err)
		}
	}
	if _, _, err := f.s.IssueCode(f.ctx, project, "0001", archive.ActorCLI, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("a second code without a reason: %v", err)
	}
	code2, c2, err := f.s.IssueCode(f.ctx, project, "0001", archive.ActorCLI, "通知书遗失，重新发放")
	if err != nil || c2.Version != 2 || code2 == code {
		t.Fatalf("re-issue: %+v %v", c2, err)
	}
	if _, err := f.s.CheckCode(f.ctx, project, "0001", code); !errors.Is(err, ErrBadCode) {
		t.Fatalf("the replaced code still works: %v", err)
	}
	if ok, _ := f.s.CodeCurrent(f.ctx, project, "0001", 1); ok {
		t.Fatal("version 1 is still current")
	}
	if ok, _ := f.s.CodeCurrent(f.ctx, project, "0001", 2); !ok {
		t.Fatal("version 2 is not current")
	}
	if _, err := f.s.RevokeCode(f.ctx, project, "0001", archive.ActorCLI, ""); !errors.Is(err, ErrReasonRequired) {
		t.Fatalf("revoke without a reason: %v", err)
	}
	if _, err := f.s.RevokeCode(f.ctx, project, "0001", archive.ActorCLI, "户主申请停用"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.CheckCode(f.ctx, project, "0001", code2); !errors.Is(err, ErrBadCode) {
		t.Fatalf("a revoked code works: %v", err)
	}
	if _, err := f.s.RevokeCode(f.ctx, project, "0001", archive.ActorCLI, "again"); !errors.Is(err, archive.ErrUnchanged) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, _, err := f.s.IssueCode(f.ctx, project, "0099", archive.ActorCLI, ""); !errors.Is(err, ErrNoHousehold) {
		t.Fatalf("a household not in the register: %v", err)
	}
	if n := f.entries(archive.SubjectCode); n != 3 {
		t.Fatalf("%d code entries, want 3", n)
	}
}

// Codes are drawn uniformly from the alphabet (no look-alikes), with at least 40
// bits.
func TestNewCode(t *testing.T) {
	if bits := float64(CodeLength) * math.Log2(float64(len(archive.CodeAlphabet))); bits < 40 {
		t.Fatalf("%.1f bits", bits)
	}
	for _, c := range "0O1IL2Z5S6G8BUVDQ" {
		if strings.ContainsRune(archive.CodeAlphabet, c) {
			t.Errorf("the alphabet has the look-alike %c", c)
		}
	}
	counts := map[rune]int{}
	const n = 2000
	for range n {
		c, err := NewCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c {
			counts[r]++
		}
	}
	// Each symbol expected n*12/19 ≈ 1263 times; a biased draw (e.g. byte % 19
	// without rejection) shifts the first symbols by about 7%.
	exp := float64(n*CodeLength) / float64(len(archive.CodeAlphabet))
	for _, r := range archive.CodeAlphabet {
		if d := math.Abs(float64(counts[r])-exp) / exp; d > 0.15 {
			t.Errorf("%c drawn %d times, expected about %.0f", r, counts[r], exp)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"K7M3-PXAC-EFHJ", "K7M3PXACEFHJ", true},
		{"k7m3 pxac efhj", "K7M3PXACEFHJ", true},
		{"Ｋ７Ｍ３－ＰＸＡＣ－ＥＦＨＪ", "K7M3PXACEFHJ", true}, // full width
		{"K7M3PXACEFH", "", false},
		{"K7M3PXACEFHJ9", "", false},
		{"K7M3PXACEFH0", "", false},
		{"", "", false},
	} {
		got, ok := NormalizeCode(tc.in)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("%q: %q %v, want %q %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCodesOfProject(t *testing.T) {
	f := newFixture(t)
	f.register()
	// A project whose code begins with the other's: its codes are its own.
	other := project + "0"
	if _, err := f.a.CreateProject(f.ctx, archive.Project{Code: other, Name: "另一个项目", City: "长春市", District: "南关区",
		Department: "长春市房屋征收经办中心", Category: archive.CategoryOldCityRenewal}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ImportRegister(f.ctx, other, []byte(registerCSV), ImportOptions{Name: "r.csv"}, archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	if got, err := f.s.Codes(f.ctx, project); err != nil || len(got) != 0 {
		t.Fatalf("before any code: %v %v", got, err)
	}
	for _, hh := range []string{"0001", "0002"} {
		if _, _, err := f.s.IssueCode(f.ctx, project, hh, archive.ActorCLI, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.s.IssueCode(f.ctx, other, "0001", archive.ActorCLI, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.s.IssueCode(f.ctx, project, "0001", archive.ActorCLI, "遗失"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.RevokeCode(f.ctx, project, "0002", archive.ActorCLI, "作废"); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.Codes(f.ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["0001"].Version != 2 || got["0001"].Status != CodeIssued ||
		got["0002"].Version != 2 || got["0002"].Status != CodeRevoked || got["0001"].Project != project {
		t.Fatalf("codes of %s: %+v", project, got)
	}
	if o, err := f.s.Codes(f.ctx, other); err != nil || len(o) != 1 || o["0001"].Version != 1 {
		t.Fatalf("codes of %s: %+v %v", other, o, err)
	}
	if _, err := f.s.Codes(f.ctx, "../x"); err == nil {
		t.Fatal("a malformed project code was listed")
	}
}
