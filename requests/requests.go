package requests

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/calendar"
)

// Options configure a Service.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Calendar and Rules count the answers' periods; nil means calendar.Default()
	// and calendar.DefaultRules().
	Calendar *calendar.Calendar
	Rules    *calendar.Rules
	// Rand is where ticket ids and link secrets come from; nil means crypto/rand.
	Rand io.Reader
}

// Service keeps the disclosure requests of an archive.
type Service struct {
	a       *archive.Archive
	now     func() time.Time
	cal     *calendar.Calendar
	rule    calendar.Rule // request_answer
	correct calendar.Rule // request_correction_notice
	rand    io.Reader
	tickets *archive.Versions[Ticket]
}

// New returns the disclosure requests of archive a.
func New(a *archive.Archive, o Options) (*Service, error) {
	s := &Service{a: a, now: o.Now, cal: o.Calendar, rand: o.Rand}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cal == nil {
		s.cal = calendar.Default()
	}
	rules := o.Rules
	if rules == nil {
		rules = calendar.DefaultRules()
	}
	var ok bool
	if s.rule, ok = rules.Rule(calendar.RuleRequestAnswer); !ok {
		return nil, fmt.Errorf("requests: no clock rule %q", calendar.RuleRequestAnswer)
	}
	if s.correct, ok = rules.Rule(calendar.RuleRequestCorrection); !ok {
		return nil, fmt.Errorf("requests: no clock rule %q", calendar.RuleRequestCorrection)
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	s.tickets = archive.NewVersions(a, TicketVersions)
	return s, nil
}

// Rule is the rule the answers are counted by (request_answer).
func (s *Service) Rule() calendar.Rule { return s.rule }

// Calendar is the calendar the answers are counted on.
func (s *Service) Calendar() *calendar.Calendar { return s.cal }

// Errors.
var (
	// ErrInvalid: a form or a step with problems (a *FormError lists them).
	ErrInvalid = archive.ErrInvalid
	// ErrStep: a step that does not fit the ticket's state (a second
	// extension, a correction after the answer, an answer twice).
	ErrStep = errors.New("the step does not fit the ticket")
)

// FormError lists what is wrong with a request form or a staff step, by field.
type FormError struct {
	Problems map[string]string // field → what is wrong, in Chinese and English
}

func (e *FormError) Error() string {
	keys := make([]string, 0, len(e.Problems))
	for k := range e.Problems {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Problems[k]
	}
	return "requests: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *FormError) Unwrap() error { return ErrInvalid }

// Form is what a requester fills in.
type Form struct {
	Requester Requester
	Subject   string
	Records   []string
	Project   string
}

// Limits of a form.
const (
	maxName    = 100
	maxContact = 200
	maxSubject = 2000
	maxNote    = 2000
	maxRecords = 20
)

func checkText(ps map[string]string, field, v string, max int, required bool) {
	switch {
	case v == "" && required:
		ps[field] = "必填 (required)"
	case !utf8.ValidString(v):
		ps[field] = "不是有效的文字 (not valid text)"
	case utf8.RuneCountInString(v) > max:
		ps[field] = fmt.Sprintf("最多 %d 个字 (at most %d characters)", max, max)
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' }) >= 0:
		ps[field] = "含有控制字符 (contains a control character)"
	}
}

// Submit files a request from the form, received today, as the public through
// the portal (archive.ActorSystem), and returns its ticket and the secret of the
// ticket's link (shown once; only its digest is kept). The records named must
// exist (the portal names only records the public may know of).
func (s *Service) Submit(ctx context.Context, f Form) (Ticket, string, error) {
	f.Requester = Requester{Name: strings.TrimSpace(f.Requester.Name), Org: strings.TrimSpace(f.Requester.Org),
		Contact: strings.TrimSpace(f.Requester.Contact), Address: strings.TrimSpace(f.Requester.Address)}
	f.Subject = strings.TrimSpace(f.Subject)
	ps := map[string]string{}
	checkText(ps, "name", f.Requester.Name, maxName, true)
	checkText(ps, "org", f.Requester.Org, maxName, false)
	checkText(ps, "contact", f.Requester.Contact, maxContact, true)
	checkText(ps, "address", f.Requester.Address, maxContact, false)
	checkText(ps, "subject", f.Subject, maxSubject, true)
	if len(f.Records) > maxRecords {
		ps["records"] = fmt.Sprintf("最多 %d 份 (at most %d documents)", maxRecords, maxRecords)
	}
	var recs []string
	for _, id := range f.Records {
		if !archive.ValidRecordID(id) {
			ps["records"] = "文件编号有误 (not a document id)"
			continue
		}
		if _, err := s.a.Record(ctx, id); errors.Is(err, archive.ErrNotFound) {
			ps["records"] = "没有这份文件 (no such document)"
		} else if err != nil {
			return Ticket{}, "", err
		}
		if !slices.Contains(recs, id) {
			recs = append(recs, id)
		}
	}
	if f.Project != "" {
		if _, err := s.a.Project(ctx, f.Project); err != nil {
			ps["project"] = "没有这个项目 (no such project)"
		}
	}
	if len(ps) > 0 {
		return Ticket{}, "", &FormError{Problems: ps}
	}
	secret, err := s.secret()
	if err != nil {
		return Ticket{}, "", err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	for range 8 {
		id, err := s.newID(archive.DateOf(now))
		if err != nil {
			return Ticket{}, "", err
		}
		t := Ticket{ID: id, Version: 1, Received: archive.DateOf(now), Requester: f.Requester, Subject: f.Subject,
			Records: recs, Project: f.Project, KeyHash: sha256.Sum256([]byte(secret)), At: now, Actor: archive.ActorSystem}
		got, err := s.tickets.Put(ctx, t)
		if errors.Is(err, archive.ErrVersionExists) {
			continue // the id was taken the same day: draw another
		}
		if err != nil {
			return Ticket{}, "", fmt.Errorf("requests: %w", err)
		}
		return got, secret, nil
	}
	return Ticket{}, "", errors.New("requests: no free ticket id after 8 draws")
}

// newID is a ticket id of day: the date and six characters of the code
// alphabet (19^6 = 47 million a day).
func (s *Service) newID(day archive.Date) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "%04d%02d%02d-", day.Year, int(day.Month), day.Day)
	n := big.NewInt(int64(len(archive.CodeAlphabet)))
	for range 6 {
		i, err := rand.Int(s.rand, n)
		if err != nil {
			return "", err
		}
		b.WriteByte(archive.CodeAlphabet[i.Int64()])
	}
	return b.String(), nil
}

// secret is a link's secret: 160 random bits in lower-case base32.
func (s *Service) secret() (string, error) {
	b := make([]byte, 20)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", err
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// Get returns the latest version of ticket id (staff).
func (s *Service) Get(ctx context.Context, id string) (Ticket, error) {
	if !archive.ValidTicketID(id) {
		return Ticket{}, fmt.Errorf("requests: ticket %q: %w", id, archive.ErrNotFound)
	}
	return s.tickets.Latest(ctx, id)
}

// Open returns ticket id for the holder of its link's secret, or ErrNotFound for
// a wrong secret (the same answer as for no such ticket).
func (s *Service) Open(ctx context.Context, id, secret string) (Ticket, error) {
	t, err := s.Get(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	h := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(h[:], t.KeyHash[:]) != 1 {
		return Ticket{}, fmt.Errorf("requests: ticket %s: %w", id, archive.ErrNotFound)
	}
	return t, nil
}

// History returns every version of ticket id, oldest first.
func (s *Service) History(ctx context.Context, id string) ([]Ticket, error) {
	if !archive.ValidTicketID(id) {
		return nil, fmt.Errorf("requests: ticket %q: %w", id, archive.ErrNotFound)
	}
	return s.tickets.History(ctx, id)
}

// List returns the latest version of every ticket, newest first.
func (s *Service) List(ctx context.Context) ([]Ticket, error) {
	var out []Ticket
	if err := s.tickets.EachLatest(ctx, func(t Ticket) error { out = append(out, t); return nil }); err != nil {
		return nil, err
	}
	slices.Reverse(out) // ids begin with the day
	return out, nil
}

// Status is the answer's clock of t today.
func (s *Service) Status(t Ticket) calendar.Status {
	return t.Status(s.cal, s.rule, archive.DateOf(s.now()))
}

// CorrectionStatus is the clock of the one correction notice (7 working days
// from receipt, Art. 30) of t today: met when it was asked in time.
func (s *Service) CorrectionStatus(t Ticket) calendar.Status {
	var asked archive.Date
	for _, st := range t.Steps {
		if st.Kind == StepCorrectionAsked {
			asked = st.Day
			break
		}
	}
	return s.cal.Status(calendar.Period{Rule: s.correct, Start: t.Received}, asked, archive.DateOf(s.now()))
}

// step adds a step to ticket id as actor, after check says it fits.
func (s *Service) step(ctx context.Context, id string, actor archive.Actor, check func(t *Ticket) error) (Ticket, error) {
	if !actor.Valid() {
		return Ticket{}, fmt.Errorf("requests: ticket %s: actor %q: %w", id, actor, ErrInvalid)
	}
	for range 5 {
		t, err := s.Get(ctx, id)
		if err != nil {
			return Ticket{}, err
		}
		next := t
		next.Steps = slices.Clone(t.Steps)
		if err := check(&next); err != nil {
			return Ticket{}, fmt.Errorf("requests: ticket %s: %w", id, err)
		}
		next.Version = t.Version + 1
		next.At, next.Actor = s.now().UTC().Truncate(time.Millisecond), actor
		got, err := s.tickets.Put(ctx, next)
		if errors.Is(err, archive.ErrVersionExists) {
			continue
		}
		if err != nil {
			return Ticket{}, fmt.Errorf("requests: %w", err)
		}
		return got, nil
	}
	return Ticket{}, fmt.Errorf("requests: ticket %s: other changes kept coming first: %w", id, archive.ErrVersionExists)
}

// checkDay says whether day is a possible day of a step of t: a date from the
// ticket's receipt (and its last step) up to today.
func (s *Service) checkDay(t *Ticket, day archive.Date) error {
	last := t.Received
	if n := len(t.Steps); n > 0 {
		last = t.Steps[n-1].Day
	}
	switch {
	case !day.Valid():
		return fmt.Errorf("day %q is not a date: %w", day, ErrStep)
	case day.Before(last):
		return fmt.Errorf("day %s is before the ticket's last step (%s): %w", day, last, ErrStep)
	case day.After(archive.DateOf(s.now())):
		return fmt.Errorf("day %s is ahead of today: %w", day, ErrStep)
	}
	return nil
}

// AskCorrection records that the requester was asked on day, once, to correct
// the request (note says what is unclear); the period stops until the corrected
// request comes.
func (s *Service) AskCorrection(ctx context.Context, id string, day archive.Date, note string, actor archive.Actor) (Ticket, error) {
	return s.step(ctx, id, actor, func(t *Ticket) error {
		switch {
		case t.Answer != nil:
			return fmt.Errorf("answered already: %w", ErrStep)
		case t.has(StepCorrectionAsked):
			return fmt.Errorf("a correction may be asked once (Art. 30): %w", ErrStep)
		case strings.TrimSpace(note) == "":
			return &FormError{Problems: map[string]string{"note": "写明需要补正的内容 (say what to correct)"}}
		}
		if err := s.checkDay(t, day); err != nil {
			return err
		}
		t.Steps = append(t.Steps, Step{Kind: StepCorrectionAsked, Day: day, Note: strings.TrimSpace(note)})
		return nil
	})
}

// CorrectionReceived records that the corrected request came on day; the period
// counts afresh from it (Art. 30).
func (s *Service) CorrectionReceived(ctx context.Context, id string, day archive.Date, actor archive.Actor) (Ticket, error) {
	return s.step(ctx, id, actor, func(t *Ticket) error {
		if !t.has(StepCorrectionAsked) || t.has(StepCorrectionReceived) || t.Answer != nil {
			return fmt.Errorf("no correction is awaited: %w", ErrStep)
		}
		if err := s.checkDay(t, day); err != nil {
			return err
		}
		t.Steps = append(t.Steps, Step{Kind: StepCorrectionReceived, Day: day})
		return nil
	})
}

// Extend records the notice, on day, that the answer needs the rule's extension
// (20 more working days, once; Art. 33); note gives the reason the requester is
// told.
func (s *Service) Extend(ctx context.Context, id string, day archive.Date, note string, actor archive.Actor) (Ticket, error) {
	return s.step(ctx, id, actor, func(t *Ticket) error {
		switch {
		case t.Answer != nil:
			return fmt.Errorf("answered already: %w", ErrStep)
		case t.has(StepExtended):
			return fmt.Errorf("the period may be extended once (Art. 33): %w", ErrStep)
		case strings.TrimSpace(note) == "":
			return &FormError{Problems: map[string]string{"note": "写明延期的理由 (say why)"}}
		}
		if err := s.checkDay(t, day); err != nil {
			return err
		}
		switch st := t.Status(s.cal, s.rule, day); st.State {
		case calendar.Paused:
			return fmt.Errorf("the period is stopped for a correction: %w", ErrStep)
		case calendar.Overdue:
			return fmt.Errorf("the period ended on %s: an extension must be notified by its last day (Art. 33): %w", st.Deadline, ErrStep)
		}
		t.Steps = append(t.Steps, Step{Kind: StepExtended, Day: day, Note: strings.TrimSpace(note)})
		return nil
	})
}

// AnswerRequest records the answer a as actor. A grant (in whole or part)
// releases each record of a.Records to the ticket's link (archive.Grant) before
// the answer is stored, so the requester finds them when told; a record whose
// class is never released is refused, and nothing is stored.
func (s *Service) AnswerRequest(ctx context.Context, id string, a Answer, actor archive.Actor) (Ticket, error) {
	a.Note = strings.TrimSpace(a.Note)
	ps := map[string]string{}
	checkText(ps, "note", a.Note, maxNote, false)
	r, hasReason := ReasonOf(a.Reason)
	switch a.Outcome {
	case Granted:
		if a.Reason != "" {
			ps["reason"] = "予以公开不需要理由 (a grant needs no reason)"
		}
		if len(a.Records) == 0 {
			ps["records"] = "选择公开的文件 (name the documents released)"
		}
	case PartGranted:
		if len(a.Records) == 0 {
			ps["records"] = "选择公开的文件 (name the documents released)"
		}
		if !hasReason || r.Outcome != Refused {
			ps["reason"] = "写明不予公开部分的法定理由 (give the law's reason for the part withheld)"
		}
	case Refused, Unavailable, NotProcessed, OtherOutcome:
		if !hasReason || r.Outcome != a.Outcome {
			ps["reason"] = "选择法定理由 (choose one of the law's reasons)"
		}
		if len(a.Records) > 0 {
			ps["records"] = "不予公开时不能公开文件 (nothing is released with a refusal)"
		}
	default:
		ps["outcome"] = "选择答复结果 (choose the outcome)"
	}
	if a.Outcome == OtherOutcome && a.Note == "" {
		ps["note"] = "写明如何处理 (say how it was handled)"
	}
	slices.Sort(a.Records)
	a.Records = slices.Compact(a.Records)
	for _, rid := range a.Records {
		rec, err := s.a.Record(ctx, rid)
		switch {
		case errors.Is(err, archive.ErrNotFound), errors.Is(err, archive.ErrInvalid):
			ps["records"] = "没有这份文件 (no such document): " + rid
		case err != nil:
			return Ticket{}, err
		default:
			if err := archive.CheckGrantable(rec); err != nil {
				ps["records"] = fmt.Sprintf("《%s》不能依申请公开（%s）: file a public copy instead (%s)", rec.Title, rec.Disclosure, rid)
			}
		}
	}
	if len(ps) > 0 {
		return Ticket{}, &FormError{Problems: ps}
	}
	t, err := s.Get(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if t.Answer != nil {
		return Ticket{}, fmt.Errorf("requests: ticket %s: answered already: %w", id, ErrStep)
	}
	if err := s.checkDay(&t, a.Day); err != nil {
		return Ticket{}, fmt.Errorf("requests: ticket %s: %w", id, err)
	}
	// While a correction is awaited only the ends Art. 30 allows: still
	// unclear, or given up (其他处理: not corrected in time).
	if st := t.Status(s.cal, s.rule, a.Day); st.State == calendar.Paused && a.Outcome != Unavailable && a.Outcome != OtherOutcome {
		return Ticket{}, fmt.Errorf("requests: ticket %s: a correction is awaited: answer when it comes: %w", id, ErrStep)
	}
	for _, rid := range a.Records {
		if _, err := s.a.Grant(ctx, rid, id, actor); err != nil && !errors.Is(err, archive.ErrUnchanged) {
			return Ticket{}, fmt.Errorf("requests: ticket %s: %w", id, err)
		}
	}
	return s.step(ctx, id, actor, func(t *Ticket) error {
		if t.Answer != nil {
			return fmt.Errorf("answered already: %w", ErrStep)
		}
		ans := a
		t.Answer = &ans
		t.Steps = append(t.Steps, Step{Kind: StepAnswered, Day: a.Day, Note: a.Note})
		return nil
	})
}
