package requests

import (
	"fmt"
	"slices"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// Requester is who asked: personal data, kept in the store and shown on the
// staff pages only.
type Requester struct {
	Name    string `json:"name"`
	Org     string `json:"org,omitempty"`     // the organisation, when one asks
	Contact string `json:"contact"`           // a telephone number or an e-mail address
	Address string `json:"address,omitempty"` // for a written answer
}

// StepKind is one step of a ticket's handling.
type StepKind string

// The steps.
const (
	// StepCorrectionAsked: the requester was asked, once, to make the request
	// clear (Art. 30); the period stops until the corrected request comes.
	StepCorrectionAsked StepKind = "correction_asked"
	// StepCorrectionReceived: the corrected request came; the period counts
	// afresh from this day.
	StepCorrectionReceived StepKind = "correction_received"
	// StepExtended: the requester was told the answer needs 20 more working
	// days (Art. 33).
	StepExtended StepKind = "extended"
	// StepAnswered: the answer was given (Art. 36).
	StepAnswered StepKind = "answered"
)

// Step is one step, with its day (in China) and what the requester is told.
type Step struct {
	Kind StepKind     `json:"kind"`
	Day  archive.Date `json:"day"`
	Note string       `json:"note,omitempty"`
}

// Outcome is how a request was answered, as the annual report counts answers.
type Outcome string

// The outcomes (政府信息公开工作年度报告, 第三部分: 办理结果).
const (
	Granted      Outcome = "granted"       // 予以公开
	PartGranted  Outcome = "part_granted"  // 部分公开 (Art. 37: the rest withheld, with its reason)
	Refused      Outcome = "refused"       // 不予公开
	Unavailable  Outcome = "unavailable"   // 无法提供
	NotProcessed Outcome = "not_processed" // 不予处理
	OtherOutcome Outcome = "other"         // 其他处理
)

// Outcomes lists them in the order of the annual report.
func Outcomes() []Outcome {
	return []Outcome{Granted, PartGranted, Refused, Unavailable, NotProcessed, OtherOutcome}
}

// Reason is one of the law's reasons for not releasing (all or part of) what was
// asked, as the annual report names them.
type Reason struct {
	Code    string  `json:"code"`
	Outcome Outcome `json:"outcome"` // the outcome it goes with (part_granted takes refused's)
	NameZh  string  `json:"name_zh"`
	NameEn  string  `json:"name_en"`
	Article string  `json:"article"` // 政府信息公开条例
}

// Reasons are the law's reasons, in the order of the annual report's table.
func Reasons() []Reason {
	return []Reason{
		{"state_secret", Refused, "属于国家秘密", "A state secret", "第十四条"},
		{"law_forbids", Refused, "其他法律行政法规禁止公开", "Another law or regulation forbids it", "第十四条"},
		{"three_safety", Refused, "危及“三安全一稳定”", "It would endanger national, public, economic security or social stability", "第十四条"},
		{"third_party", Refused, "保护第三方合法权益", "It would harm a third party's lawful rights (trade secrets, personal privacy)", "第十五条"},
		{"internal_affairs", Refused, "属于三类内部事务信息", "Internal affairs information", "第十六条第一款"},
		{"process_info", Refused, "属于四类过程性信息", "Process information (discussions, drafts, requests for instructions, consultations)", "第十六条第二款"},
		{"enforcement_file", Refused, "属于行政执法案卷", "An administrative enforcement file", "第十六条第二款"},
		{"administrative_query", Refused, "属于行政查询事项", "A matter of administrative inquiry", "第三十六条"},
		{"not_held", Unavailable, "本机关不掌握相关政府信息", "This authority does not hold the information", "第三十六条第（四）项"},
		{"needs_making", Unavailable, "没有现成信息需要另行制作", "The information does not exist in that form and would have to be made", "第三十八条"},
		{"unclear", Unavailable, "补正后申请内容仍不明确", "The request is still unclear after the correction", "第三十条"},
		{"petition", NotProcessed, "信访举报投诉类申请", "A petition, report or complaint (handled as such)", "第三十九条"},
		{"repeated", NotProcessed, "重复申请", "A repeated request", "第三十六条第（六）项"},
		{"publications", NotProcessed, "要求提供公开出版物", "A request for published material", "第三十九条"},
		{"abusive", NotProcessed, "无正当理由大量反复申请", "Many repeated requests without good reason", "第三十五条"},
		{"confirmation", NotProcessed, "要求行政机关确认或重新出具已获取信息", "A request to confirm or reissue information already obtained", "第三十九条"},
		{"other", OtherOutcome, "其他处理", "Handled otherwise", "第三十六条"},
	}
}

// ReasonOf returns the reason with code c.
func ReasonOf(c string) (Reason, bool) {
	for _, r := range Reasons() {
		if r.Code == c {
			return r, true
		}
	}
	return Reason{}, false
}

// Answer is the answer to a request.
type Answer struct {
	Outcome Outcome      `json:"outcome"`
	Reason  string       `json:"reason,omitempty"`  // a Reason's code; required unless granted
	Records []string     `json:"records,omitempty"` // released: granted or part_granted
	Note    string       `json:"note,omitempty"`    // what the requester is told
	Day     archive.Date `json:"day"`
}

// Ticket is one version of a disclosure request.
type Ticket struct {
	// ID is the ticket's id (archive.ValidTicketID), the subject's id.
	ID      string
	Version int
	// Received is the day the request was received, from which its period
	// counts (Art. 31).
	Received archive.Date
	// Requester is who asked; Subject what they asked for, in their words;
	// Records the documents they named (ids), if any; Project the project it is
	// about, if they said.
	Requester Requester
	Subject   string
	Records   []string
	Project   string
	// KeyHash is the SHA-256 of the secret of the ticket's link.
	KeyHash archive.Hash
	// Steps are what happened since, in order; Answer is set once answered.
	Steps  []Step
	Answer *Answer
	// At is when this version was made; Actor made it.
	At    time.Time
	Actor archive.Actor
}

// State is where a ticket stands, for the pages.
type State string

// The states.
const (
	StateReceived   State = "received"   // being handled, its period running
	StateCorrection State = "correction" // awaiting the requester's correction
	StateAnswered   State = "answered"   // answered
	StateOverdue    State = "overdue"    // not answered by its last day
	StateUnknown    State = "unknown"    // the calendar cannot count its period
)

// Period is the answer's period of t under rule (request_answer): from the day
// of receipt, stopped while a correction is awaited and counted afresh from the
// corrected request, once extended.
func (t Ticket) Period(rule calendar.Rule) calendar.Period {
	p := calendar.Period{Rule: rule, Start: t.Received}
	var asked archive.Date
	for _, s := range t.Steps {
		switch s.Kind {
		case StepCorrectionAsked:
			asked = s.Day
			p.Corrections = append(p.Corrections, calendar.Correction{Asked: s.Day})
		case StepCorrectionReceived:
			if n := len(p.Corrections); n > 0 && !asked.IsZero() {
				p.Corrections[n-1].Received = s.Day
			}
		case StepExtended:
			p.Extended = s.Day
		}
	}
	return p
}

// Status is the answer's clock of t on today.
func (t Ticket) Status(cal *calendar.Calendar, rule calendar.Rule, today archive.Date) calendar.Status {
	var act archive.Date
	if t.Answer != nil {
		act = t.Answer.Day
	}
	return cal.Status(t.Period(rule), act, today)
}

// StateOf says where t stands on today.
func (t Ticket) StateOf(st calendar.Status) State {
	switch {
	case t.Answer != nil:
		return StateAnswered
	case st.State == calendar.Paused:
		return StateCorrection
	case st.State == calendar.Overdue:
		return StateOverdue
	case st.State == calendar.Unknown || st.State == calendar.Invalid:
		return StateUnknown
	}
	return StateReceived
}

// has reports whether t has a step of kind k.
func (t Ticket) has(k StepKind) bool {
	return slices.ContainsFunc(t.Steps, func(s Step) bool { return s.Kind == k })
}

type ticketWire struct {
	Schema    int           `json:"schema"`
	ID        string        `json:"id"`
	Version   int           `json:"version"`
	Received  archive.Date  `json:"received"`
	Requester Requester     `json:"requester"`
	Subject   string        `json:"subject"`
	Records   []string      `json:"records,omitempty"`
	Project   string        `json:"project,omitempty"`
	KeyHash   archive.Hash  `json:"key_sha256"`
	Steps     []Step        `json:"steps,omitempty"`
	Answer    *Answer       `json:"answer,omitempty"`
	At        string        `json:"at"`
	Actor     archive.Actor `json:"actor,omitempty"`
}

// EncodeTicket returns the canonical JSON of t.
func EncodeTicket(t Ticket) ([]byte, error) {
	b, err := archive.EncodeCanonical(ticketWire{Schema: archive.SchemaVersion, ID: t.ID, Version: t.Version,
		Received: t.Received, Requester: t.Requester, Subject: t.Subject, Records: t.Records, Project: t.Project,
		KeyHash: t.KeyHash, Steps: t.Steps, Answer: t.Answer, At: archive.FormatTime(t.At), Actor: t.Actor})
	if err != nil {
		return nil, fmt.Errorf("requests: encode ticket %s: %w", t.ID, err)
	}
	return b, nil
}

// DecodeTicket parses what EncodeTicket writes.
func DecodeTicket(b []byte) (Ticket, error) {
	var w ticketWire
	if err := archive.DecodeStrict(b, &w); err != nil {
		return Ticket{}, fmt.Errorf("requests: decode ticket: %w", err)
	}
	at, err := archive.ParseTime(w.At)
	if err != nil {
		return Ticket{}, fmt.Errorf("requests: decode ticket %s: %w", w.ID, err)
	}
	if !w.Received.Valid() {
		return Ticket{}, fmt.Errorf("requests: decode ticket %s: received %q", w.ID, w.Received)
	}
	return Ticket{ID: w.ID, Version: w.Version, Received: w.Received, Requester: w.Requester, Subject: w.Subject,
		Records: w.Records, Project: w.Project, KeyHash: w.KeyHash, Steps: w.Steps, Answer: w.Answer, At: at, Actor: w.Actor}, nil
}

// TicketVersions is how tickets are versioned.
var TicketVersions = archive.VersionKind[Ticket]{
	Subject: archive.SubjectRequest, First: archive.EventCreate,
	Encode: EncodeTicket, Decode: DecodeTicket,
	Ident: func(t Ticket) (string, int) { return t.ID, t.Version },
	Meta:  func(t Ticket) archive.VersionMeta { return archive.VersionMeta{Time: t.At, Actor: t.Actor} },
}
