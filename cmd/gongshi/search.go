package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/safefile"
	"github.com/gongshi-archive/gongshi/internal/termsafe"
	"github.com/gongshi-archive/gongshi/search"
)

type searchFlags struct {
	project, typ, city, district, class []string
	years                               []int
	from, to, sort, as                  string
	limit, offset                       int
	server, token                       string
	asJSON                              bool
}

func newSearchCmd(e env, cfg *config) *cobra.Command {
	fl := &searchFlags{}
	c := &cobra.Command{
		Use:   "search QUERY [--project --type --city --district --year --from --to --class] [--json]",
		Short: "Search the archive's records (检索)",
		Long: `search finds records by their title, issuer, project, abstract and keywords, in
Chinese by word and by character, by document number (文号) whatever brackets are
typed, and by archival code (档号) with or without its middle dot. The query is
text, never syntax; filters are flags and may be repeated.

It answers from the search index in the data directory (DATA/search), bringing it
up to date with the ledger first (the first run builds it). While a 'gongshi
serve' holds that index, search asks the server instead, at the address the
server left in DATA/search/LOCK (or --server), with --token (GONGSHI_TOKEN) as
its staff API token.

--as chooses whose view to search with on the local index: archivist (default:
everything filed), inspector, system_admin, security_officer, auditor, public,
or household:PROJECT/HOUSEHOLD.`,
		Example: `  gongshi search 补偿方案
  gongshi search 长府征字〔2024〕3号
  gongshi search 征收决定 --city 长春市 --year 2024 --as public
  gongshi search --project CC-2024-001 --sort newest --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSearch(cmd.Context(), e, cfg, fl, strings.Join(args, " "))
		},
	}
	f := c.Flags()
	f.StringSliceVar(&fl.project, "project", nil, "project code 项目编号")
	f.StringSliceVar(&fl.typ, "type", nil, "document type 文件类型 (a catalogue code)")
	f.StringSliceVar(&fl.city, "city", nil, "city 市")
	f.StringSliceVar(&fl.district, "district", nil, "county or district 县、区")
	f.StringSliceVar(&fl.class, "class", nil, "disclosure class 公开属性")
	f.IntSliceVar(&fl.years, "year", nil, "year of the document's date")
	f.StringVar(&fl.from, "from", "", "documents dated from YYYY-MM-DD")
	f.StringVar(&fl.to, "to", "", "documents dated up to YYYY-MM-DD")
	f.StringVar(&fl.sort, "sort", "", "relevance (default), newest, oldest, published or filed")
	f.IntVar(&fl.limit, "limit", search.DefaultLimit, "hits per page")
	f.IntVar(&fl.offset, "offset", 0, "hits to skip")
	f.StringVar(&fl.as, "as", "archivist", "whose view: a staff role, public, or household:PROJECT/HOUSEHOLD")
	f.StringVar(&fl.server, "server", "", "ask this running server (http://host:port) instead of the local index")
	f.StringVar(&fl.token, "token", "", "staff API token for --server (env GONGSHI_TOKEN)")
	f.BoolVar(&fl.asJSON, "json", false, "print the result as JSON")
	return c
}

// parseViewer reads --as.
func parseViewer(s string) (archive.Viewer, error) {
	if rest, ok := strings.CutPrefix(s, "household:"); ok {
		p, hh, ok := strings.Cut(rest, "/")
		if !ok || archive.ValidateProjectCode(p) != nil || hh == "" {
			return archive.Viewer{}, fmt.Errorf("--as %q: want household:PROJECT/HOUSEHOLD, e.g. household:CC-2024-001/0012", s)
		}
		return archive.HouseholdViewer(p, hh), nil
	}
	if s == "public" {
		return archive.PublicViewer(), nil
	}
	if r := archive.Role(s); r.Valid() {
		return archive.StaffViewer(r), nil
	}
	var roles []string
	for _, r := range archive.Roles() {
		roles = append(roles, string(r))
	}
	return archive.Viewer{}, fmt.Errorf("--as %q: want public, household:PROJECT/HOUSEHOLD or a staff role (%s)", s, strings.Join(roles, ", "))
}

// request checks the flags and makes the request: every error names the flag,
// what was given and what it wants.
func (fl *searchFlags) request(query string) (search.Request, error) {
	req := search.Request{Query: query, Project: fl.project, Type: fl.typ, City: fl.city, District: fl.district,
		Year: fl.years, Sort: search.Sort(fl.sort), Limit: fl.limit, Offset: fl.offset}
	switch fl.sort {
	case "relevance":
		req.Sort = search.SortRelevance
	case "", string(search.SortNewest), string(search.SortOldest), string(search.SortPublished), string(search.SortFiled):
	default:
		return req, fmt.Errorf("--sort %q: want relevance (the default), newest, oldest, published or filed", fl.sort)
	}
	if fl.limit < 1 || fl.limit > search.MaxLimit {
		return req, fmt.Errorf("--limit %d: want 1 to %d hits per page (and --offset for the next pages)", fl.limit, search.MaxLimit)
	}
	if fl.offset < 0 || fl.offset > search.MaxOffset {
		return req, fmt.Errorf("--offset %d: want 0 to %d hits to skip; narrow the search with filters to go further", fl.offset, search.MaxOffset)
	}
	for _, p := range fl.project {
		if err := archive.ValidateProjectCode(p); err != nil {
			return req, fmt.Errorf("--project %q: not a project code, e.g. CC-2024-001 (gongshi project list shows them)", p)
		}
	}
	cat := archive.DefaultCatalogue()
	for _, t := range fl.typ {
		if _, ok := cat.Type(t); !ok {
			var codes []string
			for _, dt := range cat.Types() {
				codes = append(codes, dt.Code)
			}
			return req, fmt.Errorf("--type %q: not a document type of the catalogue; want one of %s", t, strings.Join(codes, ", "))
		}
	}
	for _, y := range fl.years {
		if y < 1949 || y > 9999 {
			return req, fmt.Errorf("--year %d: want the year of a document's date, 1949 to 9999", y)
		}
	}
	for _, c := range fl.class {
		d, err := archive.ParseDisclosure(c)
		if err != nil {
			return req, fmt.Errorf("--class %q: want one of %s", c, disclosureList())
		}
		req.Class = append(req.Class, d)
	}
	for _, d := range []struct {
		flag string
		s    string
		to   *archive.Date
	}{{"from", fl.from, &req.From}, {"to", fl.to, &req.To}} {
		if d.s == "" {
			continue
		}
		date, err := archive.ParseDate(d.s)
		if err != nil {
			return req, fmt.Errorf("--%s %q: want a day as YYYY-MM-DD, e.g. 2024-03-18 (%v)", d.flag, d.s, err)
		}
		*d.to = date
	}
	if !req.From.IsZero() && !req.To.IsZero() && req.To.Before(req.From) {
		return req, fmt.Errorf("--from %s is after --to %s: give the earlier day to --from", req.From, req.To)
	}
	if fl.server != "" {
		if u, err := url.Parse(fl.server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return req, fmt.Errorf("--server %q: want the address of a running gongshi serve, e.g. http://127.0.0.1:8080", fl.server)
		}
	}
	return req, nil
}

func disclosureList() string {
	var out []string
	for _, d := range archive.Disclosures() {
		out = append(out, string(d))
	}
	return strings.Join(out, ", ")
}

// searchSynonyms is the built-in synonym list with the deployment's file
// (--synonyms), read once per command; a bad file stops the command with its
// line and what to fix.
func (c *config) searchSynonyms() ([][]string, error) {
	if c.synonyms == "" {
		return nil, nil // search's default: the built-in list
	}
	b, err := safefile.ReadFile(c.synonyms)
	if err != nil {
		return nil, fmt.Errorf("--synonyms (GONGSHI_SYNONYMS): cannot read %s: %v: name a UTF-8 text file of synonym groups",
			c.synonyms, unwrapPath(err))
	}
	extra, err := archive.ParseSynonyms(string(b))
	if err != nil {
		return nil, fmt.Errorf("--synonyms (GONGSHI_SYNONYMS) %s: %v (one group a line, e.g. \"动迁 拆迁 征收\"; # starts a comment)",
			c.synonyms, err)
	}
	return archive.WithSynonyms(extra), nil
}

// indexDir is where the command keeps the search index: local state, also when
// the archive is in a bucket.
func (c *config) indexDir() string { return filepath.Join(c.data, "search") }

func runSearch(ctx context.Context, e env, cfg *config, fl *searchFlags, query string) error {
	req, err := fl.request(query)
	if err != nil {
		return err
	}
	token := fl.token
	if token == "" {
		token = e.getenv("GONGSHI_TOKEN")
	}
	var s search.Searcher
	if fl.server != "" {
		s = &search.Client{Base: fl.server, Token: token}
	} else {
		if req.Viewer, err = parseViewer(fl.as); err != nil {
			return err
		}
		ix, closeFn, err := openIndex(ctx, e, cfg, "search")
		var busy *search.BusyError
		switch {
		case errors.As(err, &busy) && busy.Holder.Server != "":
			fmt.Fprintf(e.stderr, "gongshi: the index is held by gongshi %s (pid %d): asking it at %s\n",
				busy.Holder.Command, busy.Holder.PID, busy.Holder.Server)
			s = &search.Client{Base: busy.Holder.Server, Token: token}
		case err != nil:
			return err
		default:
			defer closeFn()
			s = ix
		}
	}
	res, err := s.Search(ctx, req)
	if err != nil {
		return err
	}
	if _, remote := s.(*search.Client); remote && token == "" {
		// The server decides who asks from the token, not from --as.
		fmt.Fprintln(e.stderr, "gongshi: no --token (GONGSHI_TOKEN): the server answered as to the public")
	}
	if fl.asJSON {
		return writeJSON(e.stdout, res)
	}
	printSearchResult(e, res)
	return nil
}

// openIndex opens the index for this command, building it (with a progress
// line) when there is none, and brings it up to date with the ledger.
func openIndex(ctx context.Context, e env, cfg *config, command string) (*search.Index, func(), error) {
	syn, err := cfg.searchSynonyms()
	if err != nil {
		return nil, nil, err
	}
	o, err := cfg.open(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	p := newRebuildProgress(e, "building the search index")
	ix, err := search.Open(ctx, search.Options{Dir: cfg.indexDir(), Source: search.ArchiveSource(o.a, o.l, nil),
		Now: e.now, Holder: search.LockInfo{Command: command}, Progress: p.update, Synonyms: syn})
	p.finish()
	if err != nil {
		o.close()
		return nil, nil, err
	}
	if err := ix.CatchUp(ctx); err != nil {
		ix.Close()
		o.close()
		return nil, nil, fmt.Errorf("bringing the search index up to date: %w", err)
	}
	return ix, func() { ix.Close(); o.close() }, nil
}

func printSearchResult(e env, res search.Result) {
	w := e.stdout
	fmt.Fprintf(w, "共 %d 条 %d records", res.Total, res.Total)
	if res.Exact != res.Total {
		fmt.Fprintf(w, " (完全匹配 %d as written)", res.Exact)
	}
	fmt.Fprintf(w, " · %s\n", res.Took.Round(10*time.Microsecond))
	if len(res.Hits) == 0 {
		return
	}
	for i, h := range res.Hits {
		fmt.Fprintf(w, "%3d. %s  %s", res.Offset+i+1, h.Date, termsafe.Escape(h.TypeName))
		if h.DocNumber != "" {
			fmt.Fprintf(w, "  %s", termsafe.Escape(h.DocNumber))
		}
		fmt.Fprintf(w, "\n     %s\n", termsafe.Escape(h.Title))
		line := fmt.Sprintf("%s %s · %s %s · %s", h.Project, termsafe.Escape(h.ProjectName), termsafe.Escape(h.City),
			termsafe.Escape(h.District), h.Class)
		if h.Publication != "" {
			line += " · " + string(h.Publication)
		}
		if h.Access == archive.AccessCatalogue {
			line += " · 仅目录 catalogue entry only"
		}
		fmt.Fprintf(w, "     %s · %s\n", line, h.ID)
	}
	facet := func(label string, fv []search.FacetValue) {
		if len(fv) == 0 {
			return
		}
		var parts []string
		for _, v := range fv[:min(len(fv), 8)] {
			name := v.Value
			if v.Label != "" {
				name = v.Label
			}
			parts = append(parts, fmt.Sprintf("%s %d", termsafe.Escape(name), v.Count))
		}
		more := ""
		if len(fv) > 8 {
			more = " …"
		}
		fmt.Fprintf(w, "  %-14s %s%s\n", label, strings.Join(parts, " · "), more)
	}
	fmt.Fprintln(w, "分面 facets:")
	facet("城市 city", res.Facets.City)
	facet("区县 district", res.Facets.District)
	facet("类型 type", res.Facets.Type)
	facet("年份 year", res.Facets.Year)
	facet("公开 class", res.Facets.Class)
	facet("状态 status", res.Facets.Publication)
	facet("项目 project", res.Facets.Project)
}

// rebuildProgress shows a progress bar on a terminal, else a line per tenth.
type rebuildProgress struct {
	e     env
	what  string
	bar   *progressbar.ProgressBar
	tenth int
}

func newRebuildProgress(e env, what string) *rebuildProgress {
	return &rebuildProgress{e: e, what: what, tenth: -1}
}

func (p *rebuildProgress) update(done, total int) {
	if p.tenth < 0 {
		p.tenth = 0
		if f, ok := p.e.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(f),
				progressbar.OptionSetDescription(p.what), progressbar.OptionSetPredictTime(true),
				progressbar.OptionClearOnFinish())
		}
	}
	if p.bar != nil {
		p.bar.Set(done)
		return
	}
	if t := done * 10 / max(total, 1); t > p.tenth {
		p.tenth = t
		fmt.Fprintf(p.e.stderr, "gongshi: %s: %d%% (%d of %d records)\n", p.what, t*10, done, total)
	}
}

func (p *rebuildProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

type reindexFlags struct {
	asJSON bool
}

func newReindexCmd(e env, cfg *config) *cobra.Command {
	fl := &reindexFlags{}
	c := &cobra.Command{
		Use:   "reindex [--json]",
		Short: "Rebuild the search index from the archive (重建索引)",
		Long: `reindex builds a fresh search index from the ledger and the records it names,
beside the live one in DATA/search, and makes it the live one when it is
complete. A 'gongshi serve' that holds the index goes on answering from the old
one and swaps the new one in at its next look at the ledger (every --follow). If
reindex is stopped or crashes, the old index stays live and the next reindex
clears what was left. Only one reindex runs at a time.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("reindex takes no arguments, not %q: it rebuilds the whole index (gongshi reindex [--json])", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReindex(cmd.Context(), e, cfg, fl)
		},
	}
	c.Flags().BoolVar(&fl.asJSON, "json", false, "print the report as JSON")
	return c
}

func runReindex(ctx context.Context, e env, cfg *config, fl *reindexFlags) error {
	o, err := cfg.open(ctx, e)
	if err != nil {
		return err
	}
	defer o.close()
	a, l := o.a, o.l
	p := newRebuildProgress(e, "reindex")
	defer debug.SetGCPercent(debug.SetGCPercent(search.RebuildGCPercent))
	rep, err := search.Reindex(ctx, search.Options{Dir: cfg.indexDir(), Source: search.ArchiveSource(a, l, nil),
		Now: e.now, Progress: p.update})
	p.finish()
	if errors.Is(err, search.ErrRebuilding) {
		return fmt.Errorf("%v (another gongshi reindex, or a serve rebuilding a damaged index): wait for it to end; the live index answers meanwhile", err)
	}
	if err != nil {
		return err
	}
	holder, held, _ := search.ReadHolder(cfg.indexDir())
	if fl.asJSON {
		return writeJSON(e.stdout, struct {
			search.RebuildReport
			Seconds float64 `json:"seconds"`
			PerSec  float64 `json:"records_per_second"`
			Holder  *search.LockInfo
		}{rep, rep.Took.Seconds(), float64(rep.Docs) / max(rep.Took.Seconds(), 1e-9), holderOrNil(holder, held)})
	}
	fmt.Fprintf(e.stdout, "已重建 reindexed: %d records, ledger entries 0-%d, %s (%.0f records/s), %s on disk\n",
		rep.Docs, rep.Position, rep.Took.Round(time.Millisecond), float64(rep.Docs)/max(rep.Took.Seconds(), 1e-9), humanBytes(rep.Bytes))
	if held {
		fmt.Fprintf(e.stdout, "  gongshi %s (pid %d) swaps it in at its next look at the ledger\n", holder.Command, holder.PID)
	}
	return nil
}

func holderOrNil(h search.LockInfo, held bool) *search.LockInfo {
	if !held {
		return nil
	}
	return &h
}
