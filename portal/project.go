package portal

import (
	"context"
	"fmt"
	"html/template"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
)

// The project page: the procedure as a timeline (every step of the catalogue with
// its state and documents), the comment period of the draft plan with its
// countdown, key dates, and progress as an SVG chart.

// Step states, as the timeline shows them.
const (
	statePublished = "published" // a document of the step is published
	statePending   = "pending"   // nothing yet, and no clock says it is late
	stateNA        = "na"        // the step does not apply to this project
	stateOverdue   = "overdue"   // a clock ran out before its document was published
	stateRunning   = "running"   // a period (the comment period) is running
)

type projectData struct {
	Cat      *archive.Catalogue
	Project  archive.Project
	Steps    []stepView
	Comment  *commentPeriod
	KeyDates []keyDate
	Chart    template.HTML
	Count    int
	Done     int // steps published
	Of       int // steps that apply
}

type stepView struct {
	Code  string
	State string
	// Date is the date of the step's first document.
	Date archive.Date
	Docs []recordRow
}

type keyDate struct {
	Name string // message key of the date's name, or the name itself
	Date archive.Date
}

// commentPeriod is the draft compensation plan's period for comments (Decree 590
// Art. 10: at least 30 days).
type commentPeriod struct {
	Start, End archive.Date
	DaysLeft   int
	Running    bool
	// Early: the decision is dated before the period ended.
	Early    bool
	Decision archive.Date
}

// commentDays is the least comment period of Decree 590 Art. 10, in calendar days.
const commentDays = 30

// maxProjectDocs bounds the documents the project page lists; a project's
// procedure has tens to a few thousand documents (per-household ones are not
// public).
const maxProjectDocs = 5000

func (s *Server) projectPage(ctx context.Context, rq *request) (*page, error) {
	code := rq.param("code")
	if archive.ValidateProjectCode(code) != nil {
		return nil, errNotFound
	}
	p, err := s.opts.Archive.Project(ctx, code)
	if err != nil {
		return nil, err
	}
	res, err := s.opts.Index.Search(ctx, rq.Viewer, Query{Project: code, Sort: "date", Limit: maxProjectDocs})
	if err != nil {
		return nil, err
	}
	cat := s.opts.Archive.Catalogue()
	d := projectData{Cat: cat, Project: p, Count: res.Total}
	byStep := map[string][]recordRow{}
	stepOf := map[string]string{}
	for _, t := range cat.Types() {
		stepOf[t.Code] = t.Step
	}
	// Oldest first within a step: the order things happened.
	for i := len(res.Hits) - 1; i >= 0; i-- {
		r := res.Hits[i].Record
		byStep[stepOf[r.Type]] = append(byStep[stepOf[r.Type]], recordRow{Record: r})
	}
	d.Comment = commentOf(res.Hits, rq.Today)
	for _, st := range cat.Steps() {
		v := stepView{Code: st.Code, Docs: byStep[st.Code], State: statePending}
		if len(v.Docs) > 0 {
			v.State, v.Date = statePublished, v.Docs[0].Date
		} else if st.Code == "enforcement" {
			// Enforcement happens only where agreements fail: a step that
			// most projects never reach.
			v.State = stateNA
		}
		if st.Code == "plan" && d.Comment != nil && d.Comment.Running {
			v.State = stateRunning
		}
		if st.Code == "decision" && d.Comment != nil && d.Comment.Early {
			v.State = stateOverdue
		}
		d.Steps = append(d.Steps, v)
		if v.State != stateNA {
			d.Of++
		}
		if v.State == statePublished {
			d.Done++
		}
	}
	for name, date := range p.Dates {
		d.KeyDates = append(d.KeyDates, keyDate{Name: name, Date: date})
	}
	sortKeyDates(d.KeyDates)
	d.Chart = progressChart(rq.Lang, cat, d.Steps)
	return &page{name: "project", Title: p.Name, Data: d}, nil
}

// commentOf finds the draft plan's comment period from the documents: it opens
// on the draft's date and lasts commentDays; a decision dated before its end is
// early (the step is flagged).
func commentOf(hits []Hit, today archive.Date) *commentPeriod {
	var c *commentPeriod
	for _, h := range hits {
		if h.Record.Type == "plan_draft" && (c == nil || h.Record.Date.Before(c.Start)) {
			c = &commentPeriod{Start: h.Record.Date}
		}
	}
	if c == nil {
		return nil
	}
	c.End = c.Start.AddDays(commentDays)
	if today.Before(c.End) {
		c.Running = true
		c.DaysLeft = daysBetween(today, c.End)
	}
	for _, h := range hits {
		if h.Record.Type == "decision" && (c.Decision.IsZero() || h.Record.Date.Before(c.Decision)) {
			c.Decision = h.Record.Date
		}
	}
	c.Early = !c.Decision.IsZero() && c.Decision.Before(c.End)
	return c
}

func daysBetween(a, b archive.Date) int {
	n := 0
	for d := a; d.Before(b) && n < 100000; d = d.AddDays(1) {
		n++
	}
	return n
}

func sortKeyDates(ds []keyDate) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].Date.Before(ds[j-1].Date); j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// progressChart draws the procedure as a row of segments, one per step, coloured
// by state, with the count of steps done: inline SVG with presentation attributes
// only (the CSP forbids inline style), and a text alternative.
func progressChart(lang Lang, cat *archive.Catalogue, steps []stepView) template.HTML {
	colours := map[string]string{statePublished: "#1d6b2f", statePending: "#ffffff", stateNA: "#d9dce1",
		stateOverdue: "#a3161a", stateRunning: "#8a4b00"}
	const w, h, gap = 640, 56, 4
	n := len(steps)
	if n == 0 {
		return ""
	}
	seg := (w - gap*(n-1)) / n
	done, of := 0, 0
	var b strings.Builder
	var alt []string
	for _, st := range steps {
		if st.State != stateNA {
			of++
		}
		if st.State == statePublished {
			done++
		}
		alt = append(alt, stepName(lang, cat, st.Code)+": "+stateWord(lang, st.State))
	}
	title := fmt.Sprintf("%d / %d", done, of)
	if lang == LangEn {
		title = fmt.Sprintf("Progress: %d of %d steps published", done, of)
	} else {
		title = fmt.Sprintf("进度：%d 个步骤中已公开 %d 个", of, done)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-t chart-d">`, w, h+28)
	fmt.Fprintf(&b, `<title id="chart-t">%s</title><desc id="chart-d">%s</desc>`, template.HTMLEscapeString(title),
		template.HTMLEscapeString(strings.Join(alt, "；")))
	for i, st := range steps {
		x := i * (seg + gap)
		fmt.Fprintf(&b, `<rect x="%d" y="0" width="%d" height="%d" rx="4" fill="%s" stroke="#1a1a1a" stroke-width="1.5"/>`,
			x, seg, h, colours[st.State])
		if st.State == stateNA {
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="0" stroke="#4a4a4a" stroke-width="1.5"/>`, x, h, x+seg)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="#1a1a1a">%d</text>`, x+seg/2, h+20, i+1)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// stateWord is a step state in plain words.
func stateWord(lang Lang, state string) string {
	zh := map[string]string{statePublished: "已公开", statePending: "尚未公开", stateNA: "不适用",
		stateOverdue: "已逾期", stateRunning: "正在进行"}
	en := map[string]string{statePublished: "published", statePending: "not yet published", stateNA: "not applicable",
		stateOverdue: "overdue", stateRunning: "in progress"}
	if lang == LangEn {
		return en[state]
	}
	return zh[state]
}
