package portal

import (
	"context"
	"fmt"
	"html/template"
	"strings"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
	"github.com/gongshi-archive/gongshi/procedure"
)

// The project page: the procedure as a timeline (package procedure: every step of
// the catalogue with the state of each of its document types against its clock),
// the periods with their countdown, key dates, and progress as an SVG chart.

type projectData struct {
	Cat      *archive.Catalogue
	Project  archive.Project
	TL       procedure.Timeline
	Rows     map[string]recordRow // by record id: what the page links to
	Chart    template.HTML
	Count    int
	Done, Of int // steps done, steps that apply
}

// maxProjectDocs bounds the documents the project page reads; a project's
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
	d := projectData{Cat: s.opts.Archive.Catalogue(), Project: p, Count: res.Total, Rows: map[string]recordRow{}}
	recs := make([]procedure.Record, 0, len(res.Hits))
	for _, h := range res.Hits {
		recs = append(recs, procedure.RecordOf(h.Record, h.Published))
		d.Rows[h.Record.ID] = recordRow{Record: h.Record}
	}
	d.TL, err = s.procedure.Timeline(procedure.ProjectOf(p), recs, s.now())
	if err != nil {
		return nil, err
	}
	for _, st := range d.TL.Steps {
		switch stepClass(st.State) {
		case stateNA:
		case statePublished:
			d.Done++
			d.Of++
		default:
			d.Of++
		}
	}
	d.Chart = progressChart(rq.Lang, d.TL.Steps, d.Done, d.Of)
	return &page{name: "project", Title: p.Name, Data: d}, nil
}

// The classes a state is drawn with.
const (
	statePublished = "published"
	statePending   = "pending"
	stateNA        = "na"
	stateOverdue   = "overdue"
	stateRunning   = "running"
	stateUnknown   = "unknown"
)

// stepClass is the colour class of a step's or an entry's state.
func stepClass(st procedure.State) string {
	switch st {
	case procedure.Done, procedure.Published, procedure.Filed:
		return statePublished
	case procedure.InProgress, procedure.Awaiting:
		return stateRunning
	case procedure.Overdue, procedure.Late:
		return stateOverdue
	case procedure.NotApplicable, procedure.None:
		return stateNA
	case procedure.Unknown:
		return stateUnknown
	}
	return statePending
}

// stateWord is a procedure state in plain words.
func stateWord(lang Lang, st procedure.State) string {
	zh := map[procedure.State]string{procedure.Published: "已公开", procedure.Filed: "已归档（不主动公开）",
		procedure.Awaiting: "待公开", procedure.Pending: "尚未开始", procedure.Overdue: "已逾期", procedure.Late: "未按时",
		procedure.Unknown: "无法判断", procedure.NotApplicable: "不适用", procedure.None: "未发生",
		procedure.Done: "已完成", procedure.InProgress: "进行中"}
	en := map[procedure.State]string{procedure.Published: "published", procedure.Filed: "archived (not proactively published)",
		procedure.Awaiting: "awaiting publication", procedure.Pending: "not yet", procedure.Overdue: "overdue", procedure.Late: "late",
		procedure.Unknown: "cannot be told", procedure.NotApplicable: "not applicable", procedure.None: "did not happen",
		procedure.Done: "done", procedure.InProgress: "in progress"}
	if lang == LangEn {
		return en[st]
	}
	return zh[st]
}

// periodWord is a period's state in plain words.
func periodWord(lang Lang, st calendar.State) string {
	zh := map[calendar.State]string{calendar.NotStarted: "尚未开始", calendar.Running: "正在进行", calendar.Paused: "暂停",
		calendar.Met: "已满期", calendar.CutShort: "未满期就进行了下一步", calendar.Unknown: "无法判断", calendar.Invalid: "数据有误",
		calendar.Late: "未按时", calendar.Overdue: "已逾期"}
	en := map[calendar.State]string{calendar.NotStarted: "not started", calendar.Running: "running", calendar.Paused: "paused",
		calendar.Met: "ran in full", calendar.CutShort: "cut short by the next step", calendar.Unknown: "cannot be told",
		calendar.Invalid: "data in error", calendar.Late: "late", calendar.Overdue: "overdue"}
	if lang == LangEn {
		return en[st]
	}
	return zh[st]
}

// progressChart draws the procedure as a row of segments, one per step, coloured
// by state, with the count of steps done: inline SVG with presentation attributes
// only (the CSP forbids inline style), and a text alternative.
func progressChart(lang Lang, steps []procedure.Step, done, of int) template.HTML {
	colours := map[string]string{statePublished: "#1d6b2f", statePending: "#ffffff", stateNA: "#d9dce1",
		stateOverdue: "#a3161a", stateRunning: "#8a4b00", stateUnknown: "#ffffff"}
	const w, h, gap = 640, 56, 4
	n := len(steps)
	if n == 0 {
		return ""
	}
	seg := (w - gap*(n-1)) / n
	var alt []string
	for _, st := range steps {
		name := st.NameZh
		if lang == LangEn {
			name = st.NameEn
		}
		alt = append(alt, name+": "+stateWord(lang, st.State))
	}
	title := fmt.Sprintf("进度：%d 个步骤中已完成 %d 个", of, done)
	if lang == LangEn {
		title = fmt.Sprintf("Progress: %d of %d steps done", done, of)
	}
	var b strings.Builder
	// The step numbers are large in the drawing's own units: on a phone the
	// drawing is scaled to about half, and they must stay readable.
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-t chart-d">`, w, h+34)
	fmt.Fprintf(&b, `<title id="chart-t">%s</title><desc id="chart-d">%s</desc>`, template.HTMLEscapeString(title),
		template.HTMLEscapeString(strings.Join(alt, "；")))
	for i, st := range steps {
		x := i * (seg + gap)
		class := stepClass(st.State)
		fmt.Fprintf(&b, `<rect x="%d" y="0" width="%d" height="%d" rx="4" fill="%s" stroke="#1a1a1a" stroke-width="1.5"/>`,
			x, seg, h, colours[class])
		if class == stateNA {
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="0" stroke="#4a4a4a" stroke-width="1.5"/>`, x, h, x+seg)
		}
		if class == stateOverdue {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="30" font-weight="700" text-anchor="middle" fill="#ffffff">!</text>`, x+seg/2, h/2+11)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="22" text-anchor="middle" fill="#1a1a1a">%d</text>`, x+seg/2, h+28, i+1)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
