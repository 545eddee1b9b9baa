package portal

import (
	"context"
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/gongshi-archive/gongshi/archive"
)

// The home page: the projects by city and county with their stage, the latest
// disclosures, and a search box.

type homeData struct {
	Cat    *archive.Catalogue
	Cities []cityGroup
	Latest []recordRow
}

type cityGroup struct {
	City      string
	Districts []districtGroup
}

type districtGroup struct {
	District string
	Projects []projectRow
}

type projectRow struct {
	archive.Project
	// Stage is the code of the latest procedure step with a visible document, ""
	// when none.
	Stage     string
	Documents int
}

// recordRow is a record as lists show it.
type recordRow struct {
	archive.Record
	ProjectName string
}

// latestCount is how many of the latest disclosures the home page lists.
const latestCount = 10

func (s *Server) homePage(ctx context.Context, rq *request) (*page, error) {
	cat := s.opts.Archive.Catalogue()
	projects, err := s.opts.Archive.Projects(ctx)
	if err != nil {
		return nil, err
	}
	d := homeData{Cat: cat}
	byCode := map[string]archive.Project{}
	for _, p := range projects {
		byCode[p.Code] = p
		row, err := s.projectRow(ctx, rq.Viewer, p)
		if err != nil {
			return nil, err
		}
		d.Cities = addToCity(d.Cities, row)
	}
	sortByName(d.Cities)
	latest, err := s.opts.Index.Search(ctx, rq.Viewer, Query{Sort: "newest", Limit: latestCount})
	if err != nil {
		return nil, err
	}
	for _, h := range latest.Hits {
		d.Latest = append(d.Latest, recordRow{Record: h.Record, ProjectName: byCode[h.Record.Project].Name})
	}
	return &page{name: "home", Title: s.tmpl.msg(rq.Lang, "home_title"), Data: d}, nil
}

// projectRow finds a project's stage: the last step of the catalogue, in its
// order, that has a document the viewer may see.
func (s *Server) projectRow(ctx context.Context, v Viewer, p archive.Project) (projectRow, error) {
	res, err := s.opts.Index.Search(ctx, v, Query{Project: p.Code, Limit: 1, Facets: true})
	if err != nil {
		return projectRow{}, err
	}
	row := projectRow{Project: p, Documents: res.Total}
	have := map[string]bool{}
	for _, f := range res.Facets["step"] {
		have[f.Value] = f.Count > 0
	}
	for _, st := range s.opts.Archive.Catalogue().Steps() {
		if have[st.Code] {
			row.Stage = st.Code
		}
	}
	return row, nil
}

// sortByName orders cities, districts and projects as Chinese readers expect
// (by pinyin, as dictionaries and 政务 sites list places), not by code point.
func sortByName(cities []cityGroup) {
	col := collate.New(language.SimplifiedChinese)
	slices.SortStableFunc(cities, func(a, b cityGroup) int { return col.CompareString(a.City, b.City) })
	for i := range cities {
		ds := cities[i].Districts
		slices.SortStableFunc(ds, func(a, b districtGroup) int { return col.CompareString(a.District, b.District) })
		for j := range ds {
			slices.SortStableFunc(ds[j].Projects, func(a, b projectRow) int { return col.CompareString(a.Name, b.Name) })
		}
	}
}

// addToCity puts row under its city and district.
func addToCity(cities []cityGroup, row projectRow) []cityGroup {
	i, found := slices.BinarySearchFunc(cities, row.City, func(c cityGroup, name string) int { return strings.Compare(c.City, name) })
	if !found {
		cities = slices.Insert(cities, i, cityGroup{City: row.City})
	}
	c := &cities[i]
	j, found := slices.BinarySearchFunc(c.Districts, row.District, func(d districtGroup, name string) int { return strings.Compare(d.District, name) })
	if !found {
		c.Districts = slices.Insert(c.Districts, j, districtGroup{District: row.District})
	}
	c.Districts[j].Projects = append(c.Districts[j].Projects, row)
	return cities
}
