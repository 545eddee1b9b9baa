package portal

import (
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

func TestHomePage(t *testing.T) {
	f := newFixture(t)
	f.project("SP-2026-002", "铁西区英雄大路拓宽工程", "四平市", "铁西区")
	f.project("JL-2026-003", "站前片区棚户区改造项目", "吉林市", "船营区")
	f.project("BS-2026-001", "浑江区老城改造项目", "白山市", "浑江区")
	f.file(archive.Record{Project: "JL-2026-003", Type: "decision", Title: "关于站前片区房屋征收的决定"}, "a")
	f.file(archive.Record{Project: "JL-2026-003", Type: "funding_proof", Title: "CANARY资金证明"}, "b")
	f.refresh()
	body := f.mustGet("/", 200)
	for _, want := range []string{"站前片区棚户区改造项目", "征收决定", "关于站前片区房屋征收的决定", `action="/search"`} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if strings.Contains(body, "CANARY") {
		t.Error("home lists a restricted record")
	}
	// Cities by pinyin: 白山 (bai), 吉林 (ji), 四平 (si); by code point 吉 < 四 < 白.
	b, j, s := strings.Index(body, "白山市"), strings.Index(body, "吉林市"), strings.Index(body, "四平市")
	if !(b < j && j < s) {
		t.Errorf("cities not in pinyin order: 白山 %d, 吉林 %d, 四平 %d", b, j, s)
	}
}
