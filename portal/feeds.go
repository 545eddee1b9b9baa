package portal

import (
	"context"
	"encoding/xml"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gongshi-archive/gongshi/archive"
)

// Atom feeds (RFC 4287) of new disclosures: /feeds/all.atom for the whole site,
// /feeds/projects/CODE.atom per project. A feed reader carries no login, so a
// feed is always what the public may see, and is cached like a public page.

const feedEntries = 50

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomAuthor  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published,omitempty"`
	Link      atomLink   `xml:"link"`
	Author    atomAuthor `xml:"author"`
	Summary   string     `xml:"summary"`
}

func (s *Server) feedAll(c echo.Context) error {
	return s.serveCached(c, "feed all", "application/atom+xml; charset=utf-8", func(ctx context.Context) ([]byte, error) {
		return s.feed(ctx, "", "")
	})
}

func (s *Server) feedProject(c echo.Context) error {
	code, ok := strings.CutSuffix(c.Param("file"), ".atom")
	if !ok || archive.ValidateProjectCode(code) != nil {
		return errNotFound
	}
	return s.serveCached(c, "feed project "+code, "application/atom+xml; charset=utf-8", func(ctx context.Context) ([]byte, error) {
		p, err := s.opts.Archive.Project(ctx, code)
		if err != nil {
			return nil, err
		}
		return s.feed(ctx, code, p.Name)
	})
}

// feed renders the feed of project code ("" for every project).
func (s *Server) feed(ctx context.Context, code, name string) ([]byte, error) {
	res, err := s.opts.Index.Search(ctx, publicViewer, Query{Project: code, Sort: "newest", Limit: feedEntries})
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(s.opts.BaseURL, "/")
	cat := s.opts.Archive.Catalogue()
	site := s.tmpl.msg(LangZh, "site")
	f := atomFeed{Lang: "zh-CN", Title: site, Author: atomAuthor{Name: site}}
	self := "/feeds/all.atom"
	alt := "/"
	if code != "" {
		f.Title = name + " · " + site
		self, alt = "/feeds/projects/"+code+".atom", "/projects/"+code
	}
	f.ID = base + self
	f.Links = []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + self}, {Rel: "alternate", Type: "text/html", Href: base + alt}}
	updated := time.Unix(0, 0).UTC()
	for _, h := range res.Hits {
		r := h.Record
		t := r.FiledAt.UTC()
		if t.IsZero() {
			t = chinaMidnight(r.Date)
		}
		if t.After(updated) {
			updated = t
		}
		summary := typeName(LangZh, cat, r.Type)
		if r.DocNumber != "" {
			summary += " · " + r.DocNumber
		}
		summary += " · " + formatDate(LangZh, r.Date)
		if r.Issuer != "" {
			summary += " · " + r.Issuer
		}
		f.Entries = append(f.Entries, atomEntry{
			ID:      base + "/records/" + r.ID + "#v" + itoa(int64(r.Version)),
			Title:   r.Title,
			Updated: t.Format(time.RFC3339),
			Link:    atomLink{Rel: "alternate", Type: "text/html", Href: base + "/records/" + r.ID},
			Author:  atomAuthor{Name: nonEmpty(r.Issuer, site)},
			Summary: summary,
		})
	}
	f.Updated = updated.Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", " ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

func chinaMidnight(d archive.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).UTC()
}

func nonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
