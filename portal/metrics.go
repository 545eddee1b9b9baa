package portal

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the portal's Prometheus series. Labels are route templates,
// methods and status codes: nothing a visitor typed.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	cache    *prometheus.CounterVec
	handler  echo.HandlerFunc

	// The ledger's size and the archive's are read when /metrics is scraped, at
	// most once per statsEvery, so that a scrape does not list the store.
	mu        sync.Mutex
	statsAt   time.Time
	ledger    int64
	archStats ArchiveStats
}

const statsEvery = 30 * time.Second

func newMetrics(reg *prometheus.Registry, s *Server) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongshi_http_requests_total", Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "gongshi_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gongshi_page_cache_total", Help: "Public page answers by cache outcome (hit, render, bypass).",
		}, []string{"outcome"}),
	}
	gauges := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongshi_ledger_entries", Help: "Entries in the ledger's latest signed checkpoint.",
		}, func() float64 { m.refresh(s); return float64(m.ledger) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongshi_index_position", Help: "Ledger entries the search index reflects.",
		}, func() float64 { return float64(s.opts.Index.Position()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongshi_index_lag_entries", Help: "Ledger entries not yet in the search index.",
		}, func() float64 { m.refresh(s); return float64(max(0, m.ledger-s.opts.Index.Position())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongshi_archive_records", Help: "Records in the archive (latest versions).",
		}, func() float64 { m.refresh(s); return float64(m.archStats.Records) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "gongshi_archive_projects", Help: "Projects in the archive.",
		}, func() float64 { m.refresh(s); return float64(m.archStats.Projects) }),
	}
	for _, c := range append([]prometheus.Collector{m.requests, m.latency, m.cache}, gauges...) {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.handler = echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return m, nil
}

func (m *metrics) observe(route, method string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// refresh reads the ledger's and the archive's sizes when they are older than
// statsEvery.
func (m *metrics) refresh(s *Server) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.statsAt) < statsEvery && !m.statsAt.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m.statsAt = time.Now()
	if _, cp, err := s.opts.Ledger.Latest(ctx); err == nil {
		m.ledger = cp.Size
	}
	if s.opts.ArchiveStats != nil {
		if st, err := s.opts.ArchiveStats(ctx); err == nil {
			m.archStats = st
		}
	}
}
