package portal

import (
	"context"
	"encoding/xml"
	"strings"

	"github.com/labstack/echo/v4"
)

// /sitemap.xml lists the public addresses for search engines: the home page, the
// projects and the records the public may see, at most 50,000 (the protocol's
// limit for one file). Cached like a public page.

const maxSitemapURLs = 50000

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

func (s *Server) sitemap(c echo.Context) error {
	return s.serveCached(c, "sitemap", "application/xml; charset=utf-8", func(ctx context.Context) ([]byte, error) {
		base := strings.TrimSuffix(s.opts.BaseURL, "/")
		set := sitemapURLSet{URLs: []sitemapURL{{Loc: base + "/"}}}
		projects, err := s.opts.Archive.Projects(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range projects {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + "/projects/" + p.Code})
		}
		res, err := s.opts.Index.Search(ctx, publicViewer, Query{Sort: "newest", Limit: maxSitemapURLs - len(set.URLs)})
		if err != nil {
			return nil, err
		}
		for _, h := range res.Hits {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + "/records/" + h.Record.ID, LastMod: h.Record.Date.String()})
		}
		out, err := xml.MarshalIndent(set, "", " ")
		if err != nil {
			return nil, err
		}
		return append([]byte(xml.Header), append(out, '\n')...), nil
	})
}
