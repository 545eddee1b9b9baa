//go:build searchbench

package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	_ "github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	_ "github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/search/query"
	_ "modernc.org/sqlite"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/internal/synth"
	"github.com/gongshi-archive/gongshi/search"
)

var (
	records = flag.Int("records", 100000, "synthetic records")
	queries = flag.Int("queries", 300, "queries in the mix")
	dirFlag = flag.String("dir", "", "where to build (default: a temporary directory, removed after)")
	outFlag = flag.String("json", "", "also write the figures as JSON to this file")
	skip    = flag.String("skip", "", "engines to leave out, comma-separated: like, bleve")
)

var now = time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)

// source is the benchmark's records as a search.Source.
type source struct {
	docs []search.Doc
	byID map[string]int
}

func (s *source) Size(context.Context) (int64, error) { return int64(len(s.docs)), nil }
func (s *source) Changes(ctx context.Context, from, to int64, fn func(search.Change) error) error {
	for i := from; i < min(to, int64(len(s.docs))); i++ {
		if err := fn(search.Change{Index: i, Record: s.docs[i].Record.ID, Version: 1}); err != nil {
			return err
		}
	}
	return nil
}
func (s *source) Doc(_ context.Context, id string, _ search.Hint) (search.Doc, error) {
	i, ok := s.byID[id]
	if !ok {
		return search.Doc{}, search.ErrGone
	}
	return s.docs[i], nil
}

// figures of one engine over the mix.
type figures struct {
	Engine   string        `json:"engine"`
	Queries  int           `json:"queries"`
	P50      time.Duration `json:"p50_ns"`
	P95      time.Duration `json:"p95_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
	Mean     time.Duration `json:"mean_ns"`
	CPU      time.Duration `json:"cpu_per_query_ns"` // process CPU time over the mix / queries
	Build    time.Duration `json:"build_ns,omitempty"`
	BuildCPU time.Duration `json:"build_cpu_ns,omitempty"`
	Bytes    int64         `json:"bytes,omitempty"`
}

// one query of the mix.
type mixQuery struct {
	Kind string
	Req  search.Request
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func rss() (cur, peak string) {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			cur = strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
		}
		if strings.HasPrefix(l, "VmHWM:") {
			peak = strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

func TestSearchBenchmark(t *testing.T) {
	ctx := context.Background()
	dir := *dirFlag
	if dir == "" {
		dir = t.TempDir()
	}
	report := map[string]any{"records": *records, "cores": runtime.NumCPU(), "load_start": loadAvg(),
		"started": time.Now().UTC().Format(time.RFC3339)}
	t.Logf("load average at start: %s", loadAvg())

	// The records.
	start := time.Now()
	src := &source{byID: map[string]int{}}
	err := synth.New(synth.Options{Seed: 1, Now: now}).Each(*records, func(it synth.Item) error {
		src.byID[it.Record.ID] = len(src.docs)
		src.docs = append(src.docs, search.Doc{Record: it.Record, Project: *it.Project, State: it.State})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d records in %v", len(src.docs), time.Since(start))
	mix := makeMix(src, *queries)

	// The index, built as gongshi reindex builds it (with its garbage collector
	// setting).
	debug.SetGCPercent(search.RebuildGCPercent)
	c0, t0 := cpuTime(), time.Now()
	rep, err := search.Reindex(ctx, search.Options{Dir: filepath.Join(dir, "gongshi"), Source: src, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	gBuild, gBuildCPU := time.Since(t0), cpuTime()-c0
	debug.SetGCPercent(100)
	ix, err := search.Open(ctx, search.Options{Dir: filepath.Join(dir, "gongshi"), Source: src, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	t.Logf("index: %d records in %v (%.0f/s, %.0f/s per CPU second), %d MiB", rep.Docs, gBuild,
		float64(rep.Docs)/gBuild.Seconds(), float64(rep.Docs)/gBuildCPU.Seconds(), rep.Bytes>>20)

	var all []figures
	run := func(name string, fn func(q mixQuery) error) figures {
		// Warm up: every query once.
		for _, q := range mix {
			if err := fn(q); err != nil {
				t.Fatalf("%s: %q: %v", name, q.Req.Query, err)
			}
		}
		lat := make([]time.Duration, 0, len(mix))
		c0 := cpuTime()
		for _, q := range mix {
			t0 := time.Now()
			if err := fn(q); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			lat = append(lat, time.Since(t0))
		}
		cpu := (cpuTime() - c0) / time.Duration(len(mix))
		f := summarize(name, lat)
		f.CPU = cpu
		return f
	}
	gf := run("gongshi", func(q mixQuery) error {
		_, err := ix.Search(ctx, q.Req)
		return err
	})
	gf.Build, gf.BuildCPU, gf.Bytes = gBuild, gBuildCPU, rep.Bytes
	all = append(all, gf)

	if !strings.Contains(*skip, "bleve") {
		bf := obviousBleve(t, dir, src, mix, run)
		all = append(all, bf)
	}
	if !strings.Contains(*skip, "like") {
		lf := sqliteLike(t, dir, src, mix, run)
		all = append(all, lf)
	}
	cur, peak := rss()
	report["rss"], report["rss_peak"], report["load_end"] = cur, peak, loadAvg()
	report["engines"] = all
	report["by_kind"] = byKind(ctx, ix, mix)
	t.Logf("load average at end: %s; RSS %s, peak %s", loadAvg(), cur, peak)
	fmt.Printf("\n%d records, %d queries, load %s → %s\n", *records, len(mix), report["load_start"], report["load_end"])
	// The build rate: records per second of wall-clock time (what a user
	// waits), and per second of the process's processor time (what the machine's
	// load does not change much: on an idle machine with N cores the wall rate
	// approaches N times it, when the build keeps every core busy).
	fmt.Printf("%-16s %9s %9s %9s %9s %12s %10s %12s %16s\n", "engine", "p50", "p95", "p99", "max", "cpu/query", "p95 ratio",
		"build", "build per CPU s")
	for _, f := range all {
		ratio := float64(f.P95) / float64(gf.P95)
		b, bc := "", ""
		if f.Build > 0 {
			b = fmt.Sprintf("%.0f/s", float64(*records)/f.Build.Seconds())
		}
		if f.BuildCPU > 0 {
			bc = fmt.Sprintf("%.0f/s", float64(*records)/f.BuildCPU.Seconds())
		}
		fmt.Printf("%-16s %9s %9s %9s %9s %12s %9.1fx %12s %16s\n", f.Engine, ms(f.P50), ms(f.P95), ms(f.P99), ms(f.Max), ms(f.CPU), ratio, b, bc)
	}
	if *outFlag != "" {
		b, _ := json.MarshalIndent(report, "", "  ")
		os.WriteFile(*outFlag, b, 0o644)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func summarize(name string, lat []time.Duration) figures {
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return figures{Engine: name, Queries: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1], Mean: sum / time.Duration(len(s))}
}

// byKind is the index's p95 per kind of query.
func byKind(ctx context.Context, ix *search.Index, mix []mixQuery) map[string]string {
	lat := map[string][]time.Duration{}
	for _, q := range mix {
		t0 := time.Now()
		ix.Search(ctx, q.Req)
		lat[q.Kind] = append(lat[q.Kind], time.Since(t0))
	}
	out := map[string]string{}
	for k, l := range lat {
		f := summarize(k, l)
		out[k] = fmt.Sprintf("n=%d p50 %s p95 %s", len(l), ms(f.P50), ms(f.P95))
	}
	return out
}

// makeMix makes a realistic mix of n queries from the archive itself: words that
// match most of it, rare words (a place, a household's street), one character,
// document numbers typed with other brackets, people's words, filters; half by
// the public, a third by staff, the rest by households.
func makeMix(src *source, n int) []mixQuery {
	r := rand.New(rand.NewPCG(42, 7))
	broad := []string{"征收", "补偿", "棚户区改造", "房屋", "公告", "评估报告", "补偿方案", "决定", "协议", "国有土地上房屋征收"}
	people := []string{"拆迁", "回迁", "估价", "拆迁补偿", "棚改"}
	chars := []string{"房", "审", "拆", "迁", "街"}
	var places, numbers, codes []string
	var households []archive.Viewer
	for i := 0; i < len(src.docs); i += max(1, len(src.docs)/2000) {
		d := src.docs[i]
		if p := strings.Index(d.Record.Title, "片区"); p > 0 {
			runes := []rune(d.Record.Title[:p])
			if len(runes) >= 2 {
				places = append(places, string(runes[max(0, len(runes)-3):]))
			}
		}
		if d.Record.DocNumber != "" {
			numbers = append(numbers, d.Record.DocNumber)
		}
		if d.Record.ArchivalCode != "" {
			codes = append(codes, d.Record.ArchivalCode)
		}
		if d.Record.Household != "" {
			households = append(households, archive.HouseholdViewer(d.Record.Project, d.Record.Household))
		}
	}
	brackets := strings.NewReplacer("〔", "[", "〕", "]")
	viewer := func() archive.Viewer {
		switch x := r.IntN(100); {
		case x < 50:
			return archive.PublicViewer()
		case x < 85:
			return archive.StaffViewer(archive.RoleArchivist)
		default:
			return households[r.IntN(len(households))]
		}
	}
	cities := []string{"长春市", "吉林市", "四平市", "延边朝鲜族自治州"}
	types := []string{"decision", "agreement", "appraisal_report", "plan_draft", "audit_result"}
	var out []mixQuery
	for len(out) < n {
		q := mixQuery{Req: search.Request{Viewer: viewer()}}
		switch x := r.IntN(100); {
		case x < 30:
			q.Kind, q.Req.Query = "broad", broad[r.IntN(len(broad))]
		case x < 45:
			q.Kind, q.Req.Query = "rare", places[r.IntN(len(places))]
		case x < 55:
			q.Kind, q.Req.Query = "char", chars[r.IntN(len(chars))]
		case x < 65:
			q.Kind, q.Req.Query = "docnum", brackets.Replace(numbers[r.IntN(len(numbers))])
		case x < 70:
			q.Kind, q.Req.Query = "code", strings.Replace(codes[r.IntN(len(codes))], "·", "", 1)
		case x < 78:
			q.Kind, q.Req.Query = "people", people[r.IntN(len(people))]
		case x < 88:
			q.Kind, q.Req.Query = "filter+broad", broad[r.IntN(len(broad))]
			q.Req.City = []string{cities[r.IntN(len(cities))]}
			q.Req.Year = []int{2015 + r.IntN(11)}
		case x < 94:
			q.Kind, q.Req.Query = "filter+type", places[r.IntN(len(places))]
			q.Req.Type = []string{types[r.IntN(len(types))]}
		default:
			q.Kind, q.Req.Query = "two words", places[r.IntN(len(places))]+" "+broad[r.IntN(len(broad))]
		}
		out = append(out, q)
	}
	return out
}

// The obvious bleve index and query: one text field with the CJK bigram analyzer
// with unigrams, keyword fields with doc values for the facets and filters; a
// MatchQuery with AND, scored, facets on city and type, the visibility as term
// filters.
type obviousDoc struct {
	Text    string   `json:"text"`
	City    string   `json:"city"`
	Type    string   `json:"type"`
	Year    string   `json:"year"`
	Vis     []string `json:"vis"`
	Project string   `json:"project"`
}

func obviousBleve(t *testing.T, dir string, src *source, mix []mixQuery, run func(string, func(mixQuery) error) figures) figures {
	ctx := context.Background()
	m := bleve.NewIndexMapping()
	if err := m.AddCustomTokenFilter("bigram_uni", map[string]interface{}{"type": "cjk_bigram", "output_unigram": true}); err != nil {
		t.Fatal(err)
	}
	if err := m.AddCustomAnalyzer("cjk_uni", map[string]interface{}{"type": "custom", "tokenizer": "unicode",
		"token_filters": []string{"cjk_width", "to_lower", "bigram_uni"}}); err != nil {
		t.Fatal(err)
	}
	dm := bleve.NewDocumentStaticMapping()
	tf := bleve.NewTextFieldMapping()
	tf.Analyzer, tf.Store, tf.IncludeTermVectors, tf.IncludeInAll = "cjk_uni", false, false, false
	dm.AddFieldMappingsAt("text", tf)
	for _, k := range []string{"city", "type", "year", "vis", "project"} {
		kf := bleve.NewKeywordFieldMapping()
		kf.Analyzer, kf.Store, kf.IncludeInAll, kf.DocValues = keyword.Name, false, false, true
		dm.AddFieldMappingsAt(k, kf)
	}
	m.DefaultMapping = dm
	path := filepath.Join(dir, "obvious")
	c0, t0 := cpuTime(), time.Now()
	b, err := bleve.NewBuilder(path, m, map[string]interface{}{"batchSize": 8000, "buildPathPrefix": dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range src.docs {
		r := d.Record
		vis := []string{}
		for _, g := range archive.Visibility(r, d.State, now).Grants {
			vis = append(vis, string(g.Audience))
		}
		text := strings.Join([]string{r.Title, r.Issuer, d.Project.Name, d.Project.City, d.Project.District, r.DocNumber, r.Abstract, strings.Join(r.Keywords, " ")}, " ")
		if err := b.Index(r.ID, obviousDoc{Text: text, City: d.Project.City, Type: r.Type, Year: fmt.Sprint(r.Date.Year), Vis: vis, Project: r.Project}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	build, buildCPU := time.Since(t0), cpuTime()-c0
	idx, err := bleve.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	t.Logf("obvious bleve index: %v (%.0f/s), %d MiB", build, float64(len(src.docs))/build.Seconds(), dirSize(path)>>20)
	f := run("obvious bleve", func(q mixQuery) error {
		var must []query.Query
		if q.Req.Query != "" {
			mq := bleve.NewMatchQuery(q.Req.Query)
			mq.SetField("text")
			mq.SetOperator(query.MatchQueryOperatorAnd)
			must = append(must, mq)
		}
		var vis []query.Query
		for _, a := range q.Req.Viewer.Audiences() {
			tq := bleve.NewTermQuery(string(a))
			tq.SetField("vis")
			vis = append(vis, tq)
		}
		must = append(must, bleve.NewDisjunctionQuery(vis...))
		for _, c := range q.Req.City {
			tq := bleve.NewTermQuery(c)
			tq.SetField("city")
			must = append(must, tq)
		}
		for _, c := range q.Req.Type {
			tq := bleve.NewTermQuery(c)
			tq.SetField("type")
			must = append(must, tq)
		}
		for _, y := range q.Req.Year {
			tq := bleve.NewTermQuery(fmt.Sprint(y))
			tq.SetField("year")
			must = append(must, tq)
		}
		req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(must...), 20, 0, false)
		req.AddFacet("city", bleve.NewFacetRequest("city", 20))
		req.AddFacet("type", bleve.NewFacetRequest("type", 30))
		_, err := idx.SearchInContext(ctx, req)
		return err
	})
	f.Build, f.BuildCPU, f.Bytes = build, buildCPU, dirSize(path)
	return f
}

// What a bureau's portal does: SQLite, SELECT … WHERE col LIKE '%词%' … LIMIT 20
// (the first page, no total, no facets, no order: the cheapest form of it).
func sqliteLike(t *testing.T, dir string, src *source, mix []mixQuery, run func(string, func(mixQuery) error) figures) figures {
	path := filepath.Join(dir, "like.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	t0 := time.Now()
	c0 := cpuTime()
	for _, s := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=OFF",
		`CREATE TABLE records (id TEXT PRIMARY KEY, title TEXT, issuer TEXT, project TEXT, project_name TEXT,
			city TEXT, district TEXT, type TEXT, year INTEGER, doc_number TEXT, abstract TEXT, keywords TEXT, vis TEXT)`} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tx, _ := db.Begin()
	ins, err := tx.Prepare("INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range src.docs {
		r := d.Record
		vis := []string{}
		for _, g := range archive.Visibility(r, d.State, now).Grants {
			vis = append(vis, "|"+string(g.Audience)+"|")
		}
		if _, err := ins.Exec(r.ID, r.Title, r.Issuer, r.Project, d.Project.Name, d.Project.City, d.Project.District, r.Type,
			r.Date.Year, r.DocNumber, r.Abstract, strings.Join(r.Keywords, " "), strings.Join(vis, "")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	build, buildCPU := time.Since(t0), cpuTime()-c0
	var mu sync.Mutex
	f := run("SQLite LIKE", func(q mixQuery) error {
		mu.Lock()
		defer mu.Unlock()
		var where []string
		var args []any
		for _, w := range strings.Fields(q.Req.Query) {
			where = append(where, "(title LIKE ? OR issuer LIKE ? OR project_name LIKE ? OR doc_number LIKE ? OR abstract LIKE ? OR keywords LIKE ?)")
			for range 6 {
				args = append(args, "%"+w+"%")
			}
		}
		var vis []string
		for _, a := range q.Req.Viewer.Audiences() {
			vis = append(vis, "vis LIKE ?")
			args = append(args, "%|"+string(a)+"|%")
		}
		where = append(where, "("+strings.Join(vis, " OR ")+")")
		for _, c := range q.Req.City {
			where, args = append(where, "city = ?"), append(args, c)
		}
		for _, c := range q.Req.Type {
			where, args = append(where, "type = ?"), append(args, c)
		}
		for _, y := range q.Req.Year {
			where, args = append(where, "year = ?"), append(args, y)
		}
		rows, err := db.Query("SELECT id, title FROM records WHERE "+strings.Join(where, " AND ")+" LIMIT 20", args...)
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		rows.Close()
		return rows.Err()
	})
	f.Build, f.BuildCPU, f.Bytes = build, buildCPU, dirSize(path)
	return f
}
