package search

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gongshi-archive/gongshi/archive"
)

var (
	public    = archive.PublicViewer()
	hh12      = archive.HouseholdViewer("CC-2024-001", "H-0012")
	hh13      = archive.HouseholdViewer("CC-2024-001", "H-0013")
	hhJL      = archive.HouseholdViewer("JL-2023-002", "H-0012")
	archivist = archive.StaffViewer(archive.RoleArchivist)
	auditor   = archive.StaffViewer(archive.RoleAuditor)
)

// TestBehaviour is the search suite: {query, filters, who, want} against the real
// index. want lists the hits by name in the order expected; set cases compare
// without order.
func TestBehaviour(t *testing.T) {
	f := newFixture(t)
	clk := &clock{now: fixtureNow}
	ix := openFixture(t, f, clk)
	type tc struct {
		name  string
		req   Request
		want  []string
		set   bool // compare as sets
		exact int  // when > 0, Result.Exact
	}
	q := func(query string, v archive.Viewer) Request { return Request{Query: query, Viewer: v, Limit: 100} }
	cases := []tc{
		// Chinese by word: the bigrams of the query, in one field.
		{name: "word in a longer word", req: q("补偿方案", public), want: []string{"plan", "planApart"}, exact: 1},
		{name: "征收 finds every decision", req: Request{Query: "征收", Viewer: public, Type: []string{"decision"}, Limit: 100}, want: []string{"dec"}},
		{name: "征收 for staff, every decision", req: Request{Query: "征收", Viewer: archivist, Type: []string{"decision"}, Limit: 100},
			want: []string{"dec", "draft", "withdrawn"}},
		{name: "whole words rank above scattered characters", req: q("东天街 补偿方案", public), want: []string{"plan", "planApart"}, exact: 1},
		{name: "title matches first, then elsewhere, newest first within", req: q("东天街", public),
			want: []string{"dec", "planApart", "plan", "risk", "cq"}},
		// One character.
		{name: "one character 审", req: q("审", public), want: []string{"audit"}},
		{name: "one character 房", req: Request{Query: "房", Viewer: public, Project: []string{"JL-2023-002"}, Limit: 100},
			want: []string{"rehouse", "policyJL"}},
		// Latin, digits, mixed.
		{name: "CQ01", req: q("CQ01", public), want: []string{"cq"}},
		{name: "cq01 lower case", req: q("cq01", public), want: []string{"cq"}},
		{name: "ＣＱ０１ full width", req: q("ＣＱ０１", public), want: []string{"cq"}},
		{name: "2024年", req: q("2024年", public), want: []string{"cq"}},
		// Document numbers, whatever the brackets, where they were filed with any.
		{name: "文号 〔〕", req: q("长府征字〔2024〕3号", public), want: []string{"dec"}},
		{name: "文号 []", req: q("长府征字[2024]3号", public), want: []string{"dec"}},
		{name: "文号 （）", req: q("长府征字（2024）3号", public), want: []string{"dec"}},
		{name: "文号 ()", req: q("长府征字(2024)3号", public), want: []string{"dec"}},
		{name: "文号 ［］ with 第", req: q("长府征字［2024］第3号", public), want: []string{"dec"}},
		{name: "文号 【】 full-width digits, leading zero, no 号", req: q("长府征字【２０２４】03", public), want: []string{"dec"}},
		{name: "文号 with spaces inside", req: q("长府征字 〔2024〕 3号", public), want: []string{"dec"}},
		{name: "文号 inside a sentence", req: q("关于长府征字〔2024〕3号的决定", public), want: []string{"dec"}},
		{name: "文号 filed with [] found with 〔〕", req: q("延边审征字〔2022〕2号", public), want: []string{"audit"}},
		{name: "文号 filed with () found with （）", req: q("吉市政发（2021）12号", public), want: []string{"policyJL"}},
		{name: "文号 year prefix", req: q("长府征字〔2024〕", public), want: []string{"dec"}},
		{name: "文号 of another number finds nothing", req: q("长府征字〔2024〕4号", public), want: nil},
		{name: "文号 of a withdrawn record, public", req: q("延市政征字(2022)7号", public), want: nil},
		{name: "文号 of a withdrawn record, staff", req: q("延市政征字(2022)7号", archivist), want: []string{"withdrawn"}},
		// Archival codes with and without their dot.
		{name: "档号", req: q("Z101-WS·2024-Y-NG01-0007", public), want: []string{"dec"}},
		{name: "档号 without ·", req: q("Z101-WS2024-Y-NG01-0007", public), want: []string{"dec"}},
		{name: "档号 lower case with .", req: q("z101-ws.2024-y-ng01-0007", public), want: []string{"dec"}},
		{name: "档号 with ・", req: q("Z102-WS・2021-D30-CY02-0001", public), want: []string{"policyJL"}},
		{name: "档号 prefix", req: q("Z101-WS·2024", public), want: []string{"dec"}},
		// People's words.
		{name: "拆迁 finds 征收", req: Request{Query: "拆迁", Viewer: public, Type: []string{"decision"}, Limit: 100}, want: []string{"dec"}},
		{name: "拆迁补偿 finds 征收补偿", req: q("拆迁补偿", public), want: []string{"planApart", "plan", "audit", "policyJL"}, exact: 3},
		{name: "回迁 finds 产权调换 and 安置", req: q("回迁", public), want: []string{"planApart", "rehouse"}},
		{name: "估价 finds 评估", req: q("估价", public), want: []string{"risk", "policyJL"}},
		{name: "评估 finds 评估", req: q("评估", public), want: []string{"risk", "policyJL"}},
		// Who asks.
		{name: "public sees public and on-request catalogue entries", req: q("东天街", public),
			want: []string{"dec", "planApart", "plan", "risk", "cq"}},
		{name: "household 12 sees its own and its project's area records", req: q("东天街", hh12),
			want: []string{"prelim", "report12", "dec", "planApart", "plan", "risk", "surveyCC", "cq"}},
		{name: "household 13 sees its own, not 12's", req: q("东天街", hh13),
			want: []string{"prelim", "agree13", "dec", "planApart", "plan", "risk", "surveyCC", "cq"}},
		{name: "a household of another project sees no area record of this one", req: q("调查登记", hhJL),
			want: []string{"surveyJL"}},
		{name: "archivist sees everything", req: q("东天街", archivist),
			want: []string{"prelim", "agree13", "report12", "dec", "planApart", "funding", "plan", "risk", "surveyCC", "cq"}},
		{name: "auditor matches catalogue entries only", req: q("kqzhabsfund", auditor), want: nil},
		{name: "auditor finds a hidden record by its title", req: q("kqzhtitlefund", auditor), want: []string{"funding"}},
		{name: "on-request content not for the public", req: q("kqzhrisk", public), want: nil},
		{name: "on-request content for staff", req: q("kqzhrisk", archivist), want: []string{"risk"}},
		{name: "restricted hearing record is staff only even if marked published", req: q("听证会记录", public), want: nil},
		{name: "closed window", req: q("英雄大路", hh12), want: nil},
		// Crafted queries: a hidden record never matches, whatever the text
		// pretends to be (syntax, an internal keyword, another spelling); the same
		// spellings do find it for whoever may see it.
		{name: "crafted: quoted canary", req: q(`"kqzhtitle12"`, public), want: nil},
		{name: "crafted: quoted canary, staff", req: q(`"kqzhtitle12"`, archivist), want: []string{"report12"}},
		{name: "crafted: upper case canary", req: q("KQZHTITLE12", public), want: nil},
		{name: "crafted: upper case canary, staff", req: q("KQZHTITLE12", archivist), want: []string{"report12"}},
		{name: "crafted: full-width canary", req: q("ｋｑｚｈｔｉｔｌｅ１２", public), want: nil},
		{name: "crafted: full-width canary, household 12", req: q("ｋｑｚｈｔｉｔｌｅ１２", hh12), want: []string{"report12"}},
		{name: "crafted: another household's canary", req: q("kqzhname12", hh13), want: nil},
		{name: "crafted: the viewer's keyword as text", req: q("vc:role:archivist kqzhtitle12", public), want: nil},
		{name: "crafted: a household's audience as text", req: q("k:vc:household:CC-2024-001/H-0012 kqzhtitle12", public), want: nil},
		{name: "crafted: boolean syntax", req: q("kqzhtitle12 OR 1=1", public), want: nil},
		{name: "crafted: wildcard", req: q("kqzh*", public), want: nil},
		{name: "crafted: control characters around", req: q("\x00kqzhtitle13\x00\u202e", public), want: nil},
		{name: "crafted: control characters, staff", req: q("\x00kqzhtitle13\x00\u202e", archivist), want: []string{"agree13"}},
		{name: "crafted: a draft's 文号 in other brackets", req: q("吉市政征字[2023]5号", public), want: nil},
		{name: "crafted: a draft's 文号, staff", req: q("吉市政征字[2023]5号", archivist), want: []string{"draft"}},
		{name: "crafted: a hidden record's project and keyword", req: Request{Query: "kqzhkw12", Viewer: public, Project: []string{"CC-2024-001"},
			Class: []archive.Disclosure{archive.Household}, Limit: 100}, want: nil},
		// Filters and order.
		{name: "filter by city", req: Request{Viewer: public, City: []string{"吉林市"}, Limit: 100}, want: []string{"rehouse", "policyJL"}},
		{name: "filter by district and type", req: Request{Viewer: archivist, District: []string{"船营区"}, Type: []string{"decision", "policy"}, Limit: 100},
			want: []string{"draft", "policyJL"}},
		{name: "filter by year", req: Request{Viewer: public, Year: []int{2022}, Limit: 100}, want: []string{"audit"}},
		{name: "filter by class", req: Request{Viewer: archivist, Class: []archive.Disclosure{archive.Household}, Limit: 100},
			want: []string{"agree13", "report12"}},
		{name: "date range", req: Request{Viewer: public, From: archive.D(2024, 1, 6), To: archive.D(2024, 3, 10), Limit: 100},
			want: []string{"planApart", "plan", "risk"}},
		{name: "date range, one day", req: Request{Viewer: public, From: archive.D(2024, 3, 18), To: archive.D(2024, 3, 18), Limit: 100},
			want: []string{"dec"}},
		{name: "oldest first", req: Request{Query: "东天街", Viewer: public, Sort: SortOldest, Limit: 100},
			want: []string{"cq", "risk", "plan", "planApart", "dec"}},
		{name: "newest first across tiers", req: Request{Query: "补偿方案", Viewer: public, Sort: SortNewest, Limit: 100},
			want: []string{"planApart", "plan"}},
		{name: "no query, every public record newest first", req: Request{Viewer: public, Limit: 100},
			want: []string{"dec", "planApart", "plan", "risk", "cq", "rehouse", "audit", "policyJL"}},
		{name: "latest disclosures", req: Request{Viewer: public, Sort: SortPublished, Limit: 100},
			want: []string{"dec", "planApart", "plan", "risk", "cq", "rehouse", "audit", "policyJL"}},
		{name: "latest disclosures for staff, the unpublished after", req: Request{Query: "东天街", Viewer: archivist, Sort: SortPublished, Limit: 100},
			want: []string{"prelim", "dec", "planApart", "plan", "risk", "cq", "surveyCC", "agree13", "report12", "funding"}},
		{name: "latest filings", req: Request{Query: "东天街", Viewer: archivist, Sort: SortFiled, Limit: 100},
			want: []string{"prelim", "agree13", "report12", "dec", "planApart", "funding", "plan", "risk", "cq", "surveyCC"}},
		{name: "filters that match nothing", req: Request{Viewer: public, Project: []string{"SP-2025-004"}, Limit: 100}, want: nil},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := ix.Search(ctx, c.req)
			if err != nil {
				t.Fatal(err)
			}
			got := f.namesOf(res.Hits)
			want := c.want
			if c.set {
				got, want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q as %+v:\n got  %v\n want %v", c.req.Query, c.req.Viewer, got, want)
			}
			if res.Total != len(c.want) {
				t.Errorf("total %d, want %d", res.Total, len(c.want))
			}
			if c.exact > 0 && res.Exact != c.exact {
				t.Errorf("exact %d, want %d", res.Exact, c.exact)
			}
			checkFacets(t, res)
		})
	}
}

// checkFacets: every facet counts each matching record once.
func checkFacets(t *testing.T, res Result) {
	t.Helper()
	for name, fv := range map[string][]FacetValue{"type": res.Facets.Type, "city": res.Facets.City,
		"class": res.Facets.Class, "year": res.Facets.Year, "project": res.Facets.Project, "district": res.Facets.District,
		"step": res.Facets.Step} {
		n := 0
		for _, v := range fv {
			n += v.Count
		}
		if n != res.Total {
			t.Errorf("facet %s counts %d records, the total is %d: %v", name, n, res.Total, fv)
		}
	}
}

// What a catalogue entry shows: no content.
func TestOnRequestShowsCatalogueOnly(t *testing.T) {
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	res, err := ix.Search(context.Background(), Request{Query: "风险评估", Viewer: public})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || f.names[res.Hits[0].ID] != "risk" {
		t.Fatalf("hits %v", f.namesOf(res.Hits))
	}
	h := res.Hits[0]
	if h.Access != archive.AccessCatalogue || h.Abstract != "" || h.Keywords != nil || h.AbstractHighlight != nil || h.Pages != 0 {
		t.Errorf("the public sees of an on-request record: %+v", h)
	}
	if h.Publication != "" {
		t.Errorf("the public is told the publication status %q", h.Publication)
	}
	res, _ = ix.Search(context.Background(), Request{Query: "风险评估", Viewer: archivist})
	if h := res.Hits[0]; h.Access != archive.AccessContent || !strings.Contains(h.Abstract, "kqzhrisk") || h.Publication != archive.Published {
		t.Errorf("staff sees %+v", h)
	}
}

// No canary is ever found, counted or shown to whom may not see it: searched for
// itself, or present in any hit, facet or snippet of any query.
func TestCanaries(t *testing.T) {
	f := newFixture(t)
	ix := openFixture(t, f, &clock{now: fixtureNow})
	ctx := context.Background()
	for _, c := range canaries {
		res, err := ix.Search(ctx, Request{Query: c, Viewer: public})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 0 || len(res.Hits) != 0 || !facetsEmpty(res.Facets) {
			t.Errorf("the public's search for canary %s: total %d, hits %v, facets %+v", c, res.Total, f.namesOf(res.Hits), res.Facets)
		}
	}
	// Broad queries and filters: no hidden record, no canary anywhere in the answer.
	for _, v := range []archive.Viewer{public, hh12, hh13, hhJL} {
		for _, query := range []string{"", "东天街", "征收", "房", "公示", "kqzh", "评估报告", "决定", "协议", "H-0012"} {
			for _, sort := range []Sort{SortRelevance, SortNewest} {
				res, err := ix.Search(ctx, Request{Query: query, Viewer: v, Sort: sort, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(res)
				for _, c := range canaries {
					if allowed(v, c) {
						continue
					}
					if strings.Contains(string(b), c) {
						t.Errorf("%+v, %q: the answer holds canary %s:\n%s", v, query, c, b)
					}
				}
				for _, h := range res.Hits {
					name := f.names[h.ID]
					if slices.Contains(hiddenFromPublic, name) && !visibleTo(v, name) {
						t.Errorf("%+v, %q: hidden record %s found", v, query, name)
					}
				}
			}
		}
	}
}

// allowed reports whether viewer v may see canary c (a household its own).
func allowed(v archive.Viewer, c string) bool {
	switch {
	case v == hh12:
		return strings.HasSuffix(c, "12")
	case v == hh13:
		return strings.HasSuffix(c, "13")
	}
	return false
}

func visibleTo(v archive.Viewer, name string) bool {
	switch name {
	case "report12":
		return v == hh12
	case "agree13":
		return v == hh13
	case "surveyCC", "prelim":
		return v == hh12 || v == hh13
	case "surveyJL":
		return v == hhJL
	}
	return false
}

func facetsEmpty(f Facets) bool {
	return len(f.Project)+len(f.Type)+len(f.City)+len(f.District)+len(f.Class)+len(f.Year)+len(f.Publication)+len(f.Step) == 0
}
