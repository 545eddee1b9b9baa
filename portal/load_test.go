package portal

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
	"github.com/gongshi-archive/gongshi/internal/synth"
	"github.com/gongshi-archive/gongshi/search"
	"github.com/gongshi-archive/gongshi/verify"
)

// The load test (docs/benchmarks.md, "Portal"): 100,000 synthetic records, 50
// keep-alive clients on loopback (vegeta as a library), each page side by side
// with the same server sending that page's bytes from memory through the same
// middleware: the ceiling. Bounded in time (GONGSHI_LOAD_SECONDS per target,
// default 10) and so in count; GONGSHI_LOAD_RECORDS=2000 with
// GONGSHI_LOAD_SECONDS=1 checks in a minute that it runs. Run it with
//
//	GONGSHI_LOAD=1 go test -run TestLoad -v -timeout 30m ./portal
//
// It is skipped otherwise: it takes minutes and wants a quiet machine.

// memArchive is the portal's Archive held in memory, so that 100,000 records
// cost seconds to set up; the portal reads it through the same interfaces as
// the real store.
type memArchive struct {
	cat      *archive.Catalogue
	mu       sync.RWMutex
	projects map[string]archive.Project
	recs     map[string]archive.Record
	ids      []string
	content  map[archive.Hash][]byte
	byHash   map[archive.Hash][]string
}

func newMemArchive() *memArchive {
	return &memArchive{cat: archive.DefaultCatalogue(), projects: map[string]archive.Project{},
		recs: map[string]archive.Record{}, content: map[archive.Hash][]byte{}, byHash: map[archive.Hash][]string{}}
}

func (m *memArchive) add(r archive.Record, p archive.Project, content []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.projects[p.Code] = p
	if _, ok := m.recs[r.ID]; !ok {
		m.ids = append(m.ids, r.ID)
	}
	m.recs[r.ID] = r
	m.content[r.Content.SHA256] = content
	m.byHash[r.Content.SHA256] = append(m.byHash[r.Content.SHA256], r.ID)
}

func (m *memArchive) Catalogue() *archive.Catalogue { return m.cat }
func (m *memArchive) Projects(context.Context) ([]archive.Project, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]archive.Project, 0, len(m.projects))
	for _, p := range m.projects {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b archive.Project) int { return strings.Compare(a.Code, b.Code) })
	return out, nil
}
func (m *memArchive) Project(_ context.Context, code string) (archive.Project, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if p, ok := m.projects[code]; ok {
		return p, nil
	}
	return archive.Project{}, archive.ErrNotFound
}
func (m *memArchive) Record(_ context.Context, id string) (archive.Record, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if r, ok := m.recs[id]; ok {
		return r, nil
	}
	return archive.Record{}, archive.ErrNotFound
}
func (m *memArchive) RecordVersions(ctx context.Context, id string) ([]archive.Record, error) {
	r, err := m.Record(ctx, id)
	return []archive.Record{r}, err
}
func (m *memArchive) RecordVersionBytes(ctx context.Context, id string, n int) ([]byte, error) {
	r, err := m.Record(ctx, id)
	if err != nil {
		return nil, err
	}
	return archive.EncodeRecord(r)
}
func (m *memArchive) RecordsByContent(_ context.Context, h archive.Hash) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.byHash[h]), nil
}
func (m *memArchive) OpenContent(_ context.Context, h archive.Hash) (io.ReadCloser, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if b, ok := m.content[h]; ok {
		return io.NopCloser(bytes.NewReader(b)), nil
	}
	return nil, archive.ErrNotFound
}
func (m *memArchive) Records(ctx context.Context, fn func(archive.Record) error) error {
	m.mu.RLock()
	ids := slices.Clone(m.ids)
	m.mu.RUnlock()
	for _, id := range ids {
		r, _ := m.Record(ctx, id)
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// loadSource is the memory archive as the search index reads it (what
// search.ArchiveSource is over a store): one ledger entry per record, in the
// order they were added.
type loadSource struct {
	m     *memArchive
	state func(id string) archive.RecordState
}

func (s loadSource) Size(context.Context) (int64, error) {
	s.m.mu.RLock()
	defer s.m.mu.RUnlock()
	return int64(len(s.m.ids)), nil
}

func (s loadSource) Changes(_ context.Context, from, to int64, fn func(search.Change) error) error {
	s.m.mu.RLock()
	ids := slices.Clone(s.m.ids[from:min(to, int64(len(s.m.ids)))])
	s.m.mu.RUnlock()
	for i, id := range ids {
		if err := fn(search.Change{Index: from + int64(i), Record: id, Version: 1}); err != nil {
			return err
		}
	}
	return nil
}

func (s loadSource) Doc(ctx context.Context, id string, _ search.Hint) (search.Doc, error) {
	r, err := s.m.Record(ctx, id)
	if err != nil {
		return search.Doc{}, search.ErrGone
	}
	p, _ := s.m.Project(ctx, r.Project)
	return search.Doc{Record: r, Project: p, State: s.state(id)}, nil
}

// memLedger is a ledger of n entries that has every record at one index.
type memLedger struct{ size atomic.Int64 }

func (l *memLedger) Latest(context.Context) ([]byte, ledger.Checkpoint, error) {
	return []byte("bench\n"), ledger.Checkpoint{Origin: "bench", Size: l.size.Load()}, nil
}
func (l *memLedger) Lookup(context.Context, string, int) ([]ledger.Located, error) {
	return []ledger.Located{{Kind: archive.EventFile, Index: 1}}, nil
}

// busyVerifier answers every verification with verify.ErrBusy: the load test
// does not load the verify page.
type busyVerifier struct{}

func (busyVerifier) Verify(context.Context, verify.Request) (*verify.Result, error) {
	return nil, verify.ErrBusy
}

type loadRow struct {
	name              string
	rate, p50, p99    float64 // requests/s, ms
	bytes             int
	success           float64
	ceilingName       string
	ceilRate, ceilP99 float64
	ratio             float64
	statusCodes       map[string]int
}

// loadSetup is the load test's archive, index and server.
type loadSetup struct {
	ma         *memArchive
	six        *search.Index
	srv        *Server
	led        *memLedger
	now        time.Time
	states     map[string]archive.RecordState
	stateMu    *sync.RWMutex
	someRecord archive.Record
	bigProject string
	projects   []archive.Project
	records    int
}

// newLoadSetup makes GONGSHI_LOAD_RECORDS synthetic records (100,000 by
// default), the search index over them and the server. The index is built in
// a temporary directory, or kept in GONGSHI_LOAD_INDEX (a directory) to be
// reopened by the next run over the same records.
func newLoadSetup(t testing.TB) *loadSetup {
	if os.Getenv("GONGSHI_LOAD") != "1" {
		t.Skip("the load test runs with GONGSHI_LOAD=1 (see docs/benchmarks.md)")
	}
	records := 100000
	if s := os.Getenv("GONGSHI_LOAD_RECORDS"); s != "" {
		fmt.Sscan(s, &records) // a smaller archive, to see that the test works
	}
	// The archive.
	start := time.Now()
	ma := newMemArchive()
	states := map[string]archive.RecordState{}
	var someRecord archive.Record
	projectDocs := map[string]int{}
	now := time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)
	err := synth.New(synth.Options{Seed: 1, Now: now}).Each(records, func(it synth.Item) error {
		ma.add(it.Record, *it.Project, it.Content)
		states[it.Record.ID] = it.State
		if it.Record.Disclosure == archive.Public && it.State.Publication == archive.Published {
			projectDocs[it.Record.Project]++
			if someRecord.ID == "" && it.Record.Type == "decision" {
				someRecord = it.Record
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stateMu sync.RWMutex
	stateOf := func(_ context.Context, id string) (archive.RecordState, error) {
		stateMu.RLock()
		defer stateMu.RUnlock()
		return states[id], nil
	}
	led := &memLedger{}
	led.size.Store(int64(records))
	clock := func() time.Time { return now }
	// The index gongshi serve runs: the search package's, built here from the
	// memory archive (a rebuild, as at a first start).
	built := time.Now()
	dir := os.Getenv("GONGSHI_LOAD_INDEX")
	if dir == "" {
		dir = t.TempDir()
	}
	six, err := search.Open(context.Background(), search.Options{Dir: dir, Now: clock, Catalogue: ma.cat,
		Source: loadSource{ma, func(id string) archive.RecordState { st, _ := stateOf(context.Background(), id); return st }}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { six.Close() })
	if err := six.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("search index of %d records built in %s", six.Status().Docs, time.Since(built).Round(time.Millisecond))
	idx := NewSearchIndex(six, ma.cat, stateOf, clock)
	bigProject := ""
	for code, n := range projectDocs {
		if bigProject == "" || n > projectDocs[bigProject] {
			bigProject = code
		}
	}
	projects, _ := ma.Projects(context.Background())
	t.Logf("%d records in %d projects, %d public in the largest (%s); set up in %s",
		records, len(projects), projectDocs[bigProject], bigProject, time.Since(start).Round(time.Millisecond))

	// The server, with logging to a discarding handler at the level the CLI uses.
	srv, err := New(Options{Archive: ma, Ledger: led, Index: idx, Verifier: busyVerifier{}, Now: clock,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), VerifierKey: "bench+00000000+AQ=="})
	if err != nil {
		t.Fatal(err)
	}
	return &loadSetup{ma: ma, six: six, srv: srv, led: led, now: now, states: states, stateMu: &stateMu,
		someRecord: someRecord, bigProject: bigProject, projects: projects, records: records}
}

func TestLoad(t *testing.T) {
	seconds := 10
	if s := os.Getenv("GONGSHI_LOAD_SECONDS"); s != "" {
		fmt.Sscan(s, &seconds)
	}
	up, _ := exec.Command("uptime").Output()
	t.Logf("before: %s", strings.TrimSpace(string(up)))
	ls := newLoadSetup(t)
	ma, six, srv, led, now, states, stateMu := ls.ma, ls.six, ls.srv, ls.led, ls.now, ls.states, ls.stateMu
	someRecord, bigProject, projects := ls.someRecord, ls.bigProject, ls.projects
	hs := httptest.NewServer(srv)
	defer hs.Close()

	// The ceiling: the same server and middleware, sending the bytes of a page
	// from memory, with no cache lookup and no rendering.
	pages := map[string]string{
		"home":    "/",
		"project": "/projects/" + bigProject,
		"record":  "/records/" + someRecord.ID,
	}
	memory := map[string][]byte{}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 100}}
	for name, path := range pages {
		resp, err := client.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		memory[name] = b
		body := b
		srv.e.GET("/bench/memory/"+name, func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, body) })
	}
	// The search page per request, without the cache.
	srv.e.GET("/bench/search", func(c echo.Context) error { return srv.servePage(c, srv.searchPage, uncached) })
	// The render per request, for the record: what the cache saves.
	srv.e.GET("/bench/render/:id", func(c echo.Context) error {
		return srv.servePage(c, srv.recordPage, uncached)
	})

	// attack runs 50 clients as fast as they go for the given seconds, or until
	// stop returns true (checked after each answer) when stop is not nil.
	attackUntil := func(name string, targets []vegeta.Target, seconds int, check func(*vegeta.Result), stop func() bool) loadRow {
		a := vegeta.NewAttacker(vegeta.Workers(50), vegeta.MaxWorkers(50), vegeta.KeepAlive(true),
			vegeta.Connections(100), vegeta.MaxBody(-1), vegeta.Timeout(30*time.Second))
		var m vegeta.Metrics
		for res := range a.Attack(vegeta.NewStaticTargeter(targets...), vegeta.Rate{Freq: 0}, time.Duration(seconds)*time.Second, name) {
			if check != nil {
				check(res)
			}
			if stop != nil && stop() {
				a.Stop()
			}
			res.Body = nil
			m.Add(res)
		}
		m.Close()
		return loadRow{name: name, rate: m.Throughput, p50: ms(m.Latencies.P50), p99: ms(m.Latencies.P99),
			bytes: int(m.BytesIn.Mean), success: m.Success, statusCodes: m.StatusCodes}
	}
	attack := func(name string, targets []vegeta.Target, check func(*vegeta.Result)) loadRow {
		return attackUntil(name, targets, seconds, check, nil)
	}
	get := func(path string, hdr ...string) vegeta.Target {
		h := http.Header{}
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Set(hdr[i], hdr[i+1])
		}
		return vegeta.Target{Method: "GET", URL: hs.URL + path, Header: h}
	}

	var rows []loadRow
	for _, name := range []string{"home", "project", "record"} {
		ceil := attack("memory "+name, []vegeta.Target{get("/bench/memory/" + name)}, nil)
		row := attack(name, []vegeta.Target{get(pages[name])}, nil)
		row.ceilingName, row.ceilRate, row.ceilP99, row.ratio = ceil.name, ceil.rate, ceil.p99, row.rate/ceil.rate
		rows = append(rows, row)
	}
	// Many record pages: each rendered once, then served from memory.
	var recTargets []vegeta.Target
	ma.mu.RLock()
	for _, id := range ma.ids {
		r := ma.recs[id]
		if r.Disclosure == archive.Public && states[id].Publication == archive.Published {
			recTargets = append(recTargets, get("/records/"+id))
			if len(recTargets) == 2000 {
				break
			}
		}
	}
	ma.mu.RUnlock()
	rows = append(rows, attack("2,000 record pages", recTargets, nil))
	rows = append(rows, attack("record, rendered per request", []vegeta.Target{get("/bench/render/" + someRecord.ID)}, nil))
	rows = append(rows, attack("home, gzip", []vegeta.Target{get("/", "Accept-Encoding", "gzip")}, nil))
	// Search: a mix of words people type, each query different from the last.
	var searchTargets []vegeta.Target
	for _, q := range loadQueries() {
		searchTargets = append(searchTargets, get("/search?"+q))
	}
	// Its ceiling: the first query's page from memory.
	resp, err := client.Get(searchTargets[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	searchBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	srv.e.GET("/bench/memory/search", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, searchBytes) })
	searchCeil := attack("memory search", []vegeta.Target{get("/bench/memory/search")}, nil)
	withCeiling := func(r loadRow) loadRow {
		r.ceilingName, r.ceilRate, r.ceilP99, r.ratio = searchCeil.name, searchCeil.rate, searchCeil.p99, r.rate/searchCeil.rate
		return r
	}
	rows = append(rows, withCeiling(attack("search (50 queries)", searchTargets, nil)))
	// The same 50, rendered per request (no cache): what a query costs the
	// first time it is asked in a generation.
	var uncachedTargets []vegeta.Target
	for _, q := range loadQueries() {
		uncachedTargets = append(uncachedTargets, get("/bench/search?"+q))
	}
	rows = append(rows, withCeiling(attack("search (50 queries), rendered per request", uncachedTargets, nil)))
	// Many distinct queries, each asked once or a few times in the run: the
	// cache holds them (4,096), but every one is rendered once.
	var manyTargets []vegeta.Target
	distinct := map[string]bool{}
	for _, q := range manyQueries(2000) {
		distinct[q] = true
		manyTargets = append(manyTargets, get("/search?"+q))
	}
	if len(distinct) != 2000 {
		t.Fatalf("%d distinct queries, want 2,000", len(distinct))
	}
	rows = append(rows, withCeiling(attack("search (2,000 distinct queries)", manyTargets, nil)))

	// No stale page under load: while clients read the home page, a record is
	// published; every answer that began after the index had it shows it.
	title := "负载测试中公开的决定"
	var refreshed atomic.Int64 // unix nanos when the index had the record
	var stale, fresh, before atomic.Int64
	staleCheck := func(res *vegeta.Result) {
		at := refreshed.Load()
		switch {
		case at == 0 || res.Timestamp.UnixNano() < at:
			before.Add(1)
		case bytes.Contains(res.Body, []byte(title)):
			fresh.Add(1)
		default:
			stale.Add(1)
		}
	}
	go func() {
		time.Sleep(time.Second)
		r := someRecord
		r.ID, r.Title, r.FiledAt = "zzzzzzzzzzzzzzzzzzzzzzzzzz", title, now.Add(time.Hour)
		ma.add(r, projects[0], []byte("new"))
		stateMu.Lock()
		states[r.ID] = archive.RecordState{Publication: archive.Published}
		stateMu.Unlock()
		led.size.Add(1)
		t0 := time.Now()
		if err := six.CatchUp(context.Background()); err != nil {
			t.Error(err)
		}
		t.Logf("publish under load: the index had it %s after the ledger entry", time.Since(t0).Round(time.Millisecond))
		refreshed.Store(time.Now().UnixNano())
	}()
	// Clients read on until `seconds` after the index had the record (at most
	// ten minutes).
	pub := attackUntil("home, with a publish", []vegeta.Target{get("/")}, 600, staleCheck, func() bool {
		at := refreshed.Load()
		return at != 0 && time.Since(time.Unix(0, at)) > time.Duration(seconds)*time.Second
	})
	rows = append(rows, pub)
	if stale.Load() != 0 || fresh.Load() == 0 {
		t.Errorf("publish under load: %d stale answers, %d fresh, %d before", stale.Load(), fresh.Load(), before.Load())
	}
	t.Logf("publish under load: %d answers before the index had it, %d after, all fresh (%d stale)", before.Load(), fresh.Load(), stale.Load())

	up, _ = exec.Command("uptime").Output()
	t.Logf("after: %s", strings.TrimSpace(string(up)))
	var b strings.Builder
	fmt.Fprintf(&b, "\n| target | req/s | p50 ms | p99 ms | bytes | ceiling req/s | ceiling p99 ms | ratio |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		ceil := ""
		if r.ceilingName != "" {
			ceil = fmt.Sprintf("%.0f | %.1f | %.2f", r.ceilRate, r.ceilP99, r.ratio)
		} else {
			ceil = "| |"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.1f | %.1f | %d | %s |\n", r.name, r.rate, r.p50, r.p99, r.bytes, ceil)
		if r.success < 1 {
			t.Errorf("%s: success %.3f, codes %v", r.name, r.success, r.statusCodes)
		}
	}
	t.Log(b.String())
}

// loadQueries are the load test's 50 searches: broad words people type (each
// matching much of the archive), each also sorted, paged and filtered.
func loadQueries() []string {
	var out []string
	for _, q := range []string{"补偿方案", "征收决定", "评估", "长春", "吉林", "棚户区改造", "审计", "公告", "安置", "奖励"} {
		for _, extra := range []string{"", "&sort=newest", "&page=2", "&type=decision", "&year=2025"} {
			out = append(out, "q="+url.QueryEscape(q)+extra)
		}
	}
	return out
}

// manyQueries are n distinct searches (n ≤ 2,000): words from broad to rare,
// each with a filter, an order or a page of its own.
func manyQueries(n int) []string {
	words := []string{"补偿方案", "征收决定", "评估", "长春", "吉林", "棚户区改造", "审计", "公告", "安置", "奖励",
		"房屋", "征收", "补偿", "四平", "延吉", "通化", "白山", "松原", "白城", "辽源",
		"南关区", "朝阳区", "船营区", "丰满区", "九台区", "调查登记", "风险评估", "听证", "补助", "搬迁",
		"产权调换", "货币补偿", "公示", "通知", "意见", "协议", "结果", "方案", "决定", "征收范围"}
	extras := []string{"", "&sort=newest", "&sort=date", "&page=2", "&page=3", "&page=4"}
	for y := 2017; y <= 2026; y++ {
		extras = append(extras, fmt.Sprintf("&year=%d", y), fmt.Sprintf("&year=%d&sort=newest", y))
	}
	for _, ty := range []string{"decision", "plan_draft", "subsidy_policy", "survey_result", "audit_result",
		"risk_assessment", "policy", "survey_notice", "appraiser_selection", "resettlement_housing"} {
		extras = append(extras, "&type="+ty)
	}
	for _, c := range []string{"长春市", "吉林市", "四平市", "辽源市", "通化市", "白山市", "松原市", "白城市"} {
		extras = append(extras, "&city="+url.QueryEscape(c))
	}
	for _, st := range []string{"preparation", "plan", "decision", "appraisal", "compensation", "supervision"} {
		extras = append(extras, "&step="+st)
	}
	var out []string
	for _, e := range extras {
		for _, w := range words {
			if len(out) == n {
				return out
			}
			out = append(out, "q="+url.QueryEscape(w)+e)
		}
	}
	return out
}

// BenchmarkSearchPage renders the public search page of the load test's 50
// queries per request, without the cache: what each distinct query costs the
// server (the index's answer, the page's data, the template). With the load
// test's setup (GONGSHI_LOAD=1; GONGSHI_LOAD_INDEX keeps the index between
// runs):
//
//	GONGSHI_LOAD=1 GONGSHI_LOAD_INDEX=/tmp/load-index go test -run '^$' -bench SearchPage -cpuprofile cpu.out ./portal
func BenchmarkSearchPage(b *testing.B) {
	ls := newLoadSetup(b)
	ls.srv.e.GET("/bench/search", func(c echo.Context) error { return ls.srv.servePage(c, ls.srv.searchPage, uncached) })
	qs := loadQueries()
	cpu0 := processCPU()
	n := 0
	for i := 0; b.Loop(); i++ {
		w := httptest.NewRecorder()
		ls.srv.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/bench/search?"+qs[i%len(qs)], nil))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d", qs[i%len(qs)], w.Code)
		}
		n++
	}
	// The processor time per page (the process's, collector included), which
	// a loaded machine changes less than the wall time.
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
	}
}

// processCPU is the processor time this process has used (user and system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
