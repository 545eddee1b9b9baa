package retention

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Disposal (销毁) in two steps, by two people:
//
//  1. Propose: an account proposes a list of records that are due (from
//     'gongshi retention due', after the appraisal meeting): version 1 of a
//     disposal, a ledger entry under the proposer's account.
//  2. Approve: another account approves it (version 2, an entry under the
//     approver's account), and the disposal is carried out: a destruction list
//     (销毁清册) per project is filed as a permanent record; each record gets its
//     tombstone (a "dispose" entry); the content that no record that is kept
//     needs is deleted; version 3 says what was done. An interrupted disposal
//     is carried on by approving it again.
//
// Before anything is stored, and again at approval, every record must be due:
// its period run, no hold in force, its objects' locks ended in the storage.

// maxList bounds a disposal's list.
const maxList = 100000

// Propose proposes the disposal of the records ids, for reason, as proposer (a
// staff account). A list with records that are not due is refused, naming
// each; nothing is stored.
func (e *Executor) Propose(ctx context.Context, ids []string, reason string, proposer archive.Actor) (Disposal, error) {
	if err := account(proposer); err != nil {
		return Disposal{}, fmt.Errorf("retention: propose: the proposer %w", err)
	}
	if err := checkReason("a proposal", reason); err != nil {
		return Disposal{}, err
	}
	list, err := checkList(ids)
	if err != nil {
		return Disposal{}, fmt.Errorf("retention: propose: %w", err)
	}
	now := e.now()
	plan, err := e.plan(ctx, Disposal{ID: "D00000000-aaaaaaaa", Records: list}, now)
	if err != nil {
		return Disposal{}, err
	}
	if err := plan.err(); err != nil {
		return Disposal{}, fmt.Errorf("retention: propose: %w", err)
	}
	day := archive.DateOf(now)
	d := Disposal{ID: fmt.Sprintf("D%04d%02d%02d-%s", day.Year, day.Month, day.Day, newSuffix()),
		Version: 1, Step: Proposed, Records: list, Reason: reason, Proposer: proposer, Actor: proposer, At: now}
	d, err = e.disposals.Put(ctx, d)
	if err != nil {
		return Disposal{}, fmt.Errorf("retention: propose: %w", err)
	}
	return d, nil
}

// Preview says what proposing (and then approving) the list ids would do at
// once, storing nothing: the plan of a disposal not yet proposed, with any
// problems.
func (e *Executor) Preview(ctx context.Context, ids []string) (*Plan, error) {
	list, err := checkList(ids)
	if err != nil {
		return nil, fmt.Errorf("retention: propose: %w", err)
	}
	return e.plan(ctx, Disposal{Records: list}, e.now())
}

func checkList(ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, errors.New("the list is empty")
	}
	if len(ids) > maxList {
		return nil, fmt.Errorf("the list has %d records, at most %d at once", len(ids), maxList)
	}
	seen := map[string]bool{}
	var bad []string
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		switch {
		case !archive.ValidRecordID(id):
			bad = append(bad, fmt.Sprintf("%q is not a record id", id))
		case seen[id]:
			bad = append(bad, id+" is on the list twice")
		default:
			seen[id] = true
			out = append(out, id)
		}
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	return out, nil
}

// Disposals returns the latest version of every disposal.
func (e *Executor) Disposals(ctx context.Context) ([]Disposal, error) {
	var out []Disposal
	err := e.disposals.EachLatest(ctx, func(d Disposal) error {
		out = append(out, d)
		return nil
	})
	return out, err
}

// DisposalHistory returns every version of disposal id.
func (e *Executor) DisposalHistory(ctx context.Context, id string) ([]Disposal, error) {
	return e.disposals.History(ctx, id)
}

// Plan is what carrying out a disposal does, or would do.
type Plan struct {
	Disposal Disposal `json:"disposal"`
	// Records are the records on the list, as they stand.
	Records []PlannedRecord `json:"records"`
	// Delete are the content objects that go; Keep those that stay because a
	// record that is kept has the same content.
	Delete []string   `json:"delete"`
	Keep   []KeptBlob `json:"keep,omitempty"`
	Lists  []Register `json:"destruction_lists"`
	// Problems are why it may not be carried out (nothing is, while any).
	Problems []string `json:"problems,omitempty"`
}

// PlannedRecord is one record on a list.
type PlannedRecord struct {
	Entry Entry `json:"-"`
	// Last is the version that was the latest before the tombstone.
	Last archive.Record `json:"-"`
	ID   string         `json:"record"`
	// Disposed: its tombstone is stored already (this disposal, carried on).
	Disposed bool `json:"disposed,omitempty"`
}

// KeptBlob is a content object kept, and the records that are kept with it.
type KeptBlob struct {
	Key string   `json:"key"`
	By  []string `json:"by"`
}

// Register is a destruction list, one per project.
type Register struct {
	Project string `json:"project"`
	Records int    `json:"records"`
	// ID is its record id once filed (or, in a plan, what it will be).
	ID string `json:"record,omitempty"`
}

func (p *Plan) err() error {
	if len(p.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNotDue, strings.Join(p.Problems, "; "))
}

// plan surveys the archive for disposal d at now.
func (e *Executor) plan(ctx context.Context, d Disposal, now time.Time) (*Plan, error) {
	p := &Plan{Disposal: d, Delete: []string{}}
	on := map[string]int{}
	for i, id := range d.Records {
		on[id] = i
	}
	sv, err := e.survey(ctx)
	if err != nil {
		return nil, err
	}
	sv.now = now
	p.Records = make([]PlannedRecord, len(d.Records))
	found := make([]bool, len(d.Records))
	// Content: the records on the list that have it, and the kept ones.
	users := map[string][]string{}
	kept := map[string][]string{}
	err = e.each(ctx, sv, func(en Entry) error {
		keys := sv.contentKeys(en.Record)
		i, listed := on[en.Record.ID]
		if !listed {
			if en.Record.Disposal == nil {
				for _, k := range keys {
					kept[k] = append(kept[k], en.Record.ID)
				}
			}
			return nil
		}
		found[i] = true
		pr := PlannedRecord{Entry: en, ID: en.Record.ID, Last: en.Record}
		switch {
		case en.Record.Disposal != nil && en.Record.Disposal.List == d.ID:
			pr.Disposed = true
			prev, err := e.a.RecordVersion(ctx, en.Record.ID, en.Record.Version-1)
			if err != nil {
				return err
			}
			pr.Last = prev
		case en.Record.Disposal != nil:
			p.Problems = append(p.Problems, fmt.Sprintf("%s was disposed of already, on list %s", en.Record.ID, en.Record.Disposal.List))
		case en.Status.State == Held:
			p.Problems = append(p.Problems, fmt.Sprintf("%s is held (%s): a held record is never disposed of", en.Record.ID, strings.Join(en.Status.Holds, ", ")))
		case en.Status.State != Due:
			p.Problems = append(p.Problems, fmt.Sprintf("%s is not due: %s", en.Record.ID, describe(en.Status)))
		}
		p.Records[i] = pr
		for _, k := range keys {
			users[k] = append(users[k], en.Record.ID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	for i, ok := range found {
		if !ok {
			p.Problems = append(p.Problems, fmt.Sprintf("%s: no such record", d.Records[i]))
		}
	}
	if len(p.Problems) > 0 {
		return p, nil
	}
	// The storage must agree: every version of every record no longer locked
	// (nor held), and the content to delete too.
	for _, pr := range p.Records {
		if pr.Disposed {
			continue
		}
		for _, key := range e.versionKeys(pr.Entry) {
			if msg, err := e.locked(ctx, key, now); err != nil {
				return nil, err
			} else if msg != "" {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: %s", pr.ID, msg))
			}
		}
	}
	keys := make([]string, 0, len(users))
	for k := range users {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if by := kept[k]; len(by) > 0 {
			p.Keep = append(p.Keep, KeptBlob{Key: k, By: by})
			continue
		}
		msg, err := e.locked(ctx, k, now)
		switch {
		case err != nil:
			return nil, err
		case msg == "absent":
			// Deleted already: this disposal carried on (still on the list of
			// what goes, as the destruction list says).
		case msg != "":
			p.Problems = append(p.Problems, fmt.Sprintf("content %s: %s", k, msg))
		}
		p.Delete = append(p.Delete, k)
	}
	byProject := map[string]int{}
	for _, pr := range p.Records {
		byProject[pr.Last.Project]++
	}
	for _, code := range sortedKeys(byProject) {
		p.Lists = append(p.Lists, Register{Project: code, Records: byProject[code]})
	}
	return p, nil
}

// locked says why the storage still locks the object under key at now ("" if
// it does not; "absent" if there is no such object).
func (e *Executor) locked(ctx context.Context, key string, now time.Time) (string, error) {
	r, err := e.st.Retention(ctx, key)
	switch {
	case errors.Is(err, blob.ErrNotFound):
		return "absent", nil
	case err != nil:
		return "", err
	case r.LegalHold:
		return fmt.Sprintf("%s is under a legal hold in the storage", key), nil
	case now.Before(r.Until):
		return fmt.Sprintf("%s is locked in the storage until %s", key, r.Until.In(chinaZone).Format("2006-01-02 15:04:05 CST")), nil
	}
	return "", nil
}

func describe(st Status) string {
	switch st.State {
	case Permanent:
		return "kept permanently (Y)"
	case Waiting:
		return fmt.Sprintf("counted from the close of its project, which has not closed (at the earliest due %s)", st.Due)
	case Kept:
		return fmt.Sprintf("kept %s until %s", st.Schedule.Period, st.Due)
	}
	return string(st.State)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Approve approves disposal id, for reason, as approver (a staff account other
// than the proposer), and carries it out. With dryRun it only says what would
// happen (the plan, with any problems), storing nothing. A disposal approved
// already is carried on (an interrupted one); one done already is returned
// with ErrStep. While the plan has problems nothing is stored.
func (e *Executor) Approve(ctx context.Context, id, reason string, approver archive.Actor, dryRun bool) (*Plan, error) {
	if err := account(approver); err != nil {
		return nil, fmt.Errorf("retention: approve: the approver %w", err)
	}
	if !archive.SubjectDisposal.ValidID(id) {
		return nil, fmt.Errorf("retention: approve: %q is not a disposal id (they look like D20370105-k3mdx2qa)", id)
	}
	d, err := e.disposals.Latest(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("retention: approve %s: %w", id, err)
	}
	if d.Step == Done {
		return &Plan{Disposal: d, Delete: d.Deleted}, fmt.Errorf("retention: approve %s: carried out already on %s: %w", id, d.At.In(chinaZone).Format("2006-01-02"), ErrStep)
	}
	if d.Proposer == approver {
		return nil, fmt.Errorf("retention: approve %s: %s proposed it: %w; another account must approve", id, approver, ErrSameAccount)
	}
	if d.Step == Approved && d.Approver != approver {
		return nil, fmt.Errorf("retention: approve %s: approved by %s already; only that account carries it on", id, d.Approver)
	}
	if d.Step == Proposed {
		if err := checkReason("an approval", reason); err != nil {
			return nil, err
		}
	}
	now := e.now()
	p, err := e.plan(ctx, d, now)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return p, nil
	}
	if err := p.err(); err != nil {
		return p, fmt.Errorf("retention: approve %s: nothing was done: %w", id, err)
	}
	if d.Step == Proposed {
		a := d
		a.Version, a.Step, a.Approver, a.Reason, a.Actor, a.At = 2, Approved, approver, reason, approver, now
		if d, err = e.disposals.Put(ctx, a); err != nil {
			return p, fmt.Errorf("retention: approve %s: %w", id, err)
		}
		p.Disposal = d
	}
	if err := e.carryOut(ctx, p); err != nil {
		return p, fmt.Errorf("retention: disposal %s is approved but not yet carried out (approve it again to carry on): %w", id, err)
	}
	return p, nil
}

// carryOut files the destruction lists, stores the tombstones, deletes the
// content no kept record needs, and stores the disposal's last version.
func (e *Executor) carryOut(ctx context.Context, p *Plan) error {
	d := p.Disposal
	registers := map[string]string{}
	deleting := map[string]bool{}
	for _, k := range p.Delete {
		deleting[k] = true
	}
	for i, reg := range p.Lists {
		var rows []PlannedRecord
		for _, pr := range p.Records {
			if pr.Last.Project == reg.Project {
				rows = append(rows, pr)
			}
		}
		id, err := e.fileRegister(ctx, d, reg.Project, rows, deleting)
		if err != nil {
			return fmt.Errorf("destruction list of %s: %w", reg.Project, err)
		}
		registers[reg.Project] = id
		p.Lists[i].ID = id
	}
	td := archive.Disposal{List: d.ID, Proposer: d.Proposer, Approver: d.Approver, Approved: d.At}
	for _, pr := range p.Records {
		if pr.Disposed {
			continue
		}
		td.Register = registers[pr.Last.Project]
		_, err := e.a.DisposeRecord(ctx, pr.ID, pr.Entry.Record.Version, td, d.Approver)
		if err != nil && !errors.Is(err, archive.ErrRecordExists) {
			return err
		}
	}
	for _, k := range p.Delete {
		if err := e.st.Delete(ctx, k); err != nil && !errors.Is(err, blob.ErrNotFound) {
			if errors.Is(err, blob.ErrLocked) {
				return fmt.Errorf("%w: %w", ErrLocked, err)
			}
			return err
		}
	}
	done := d
	done.Version, done.Step, done.Actor, done.At = d.Version+1, Done, d.Approver, e.now()
	done.Reason = fmt.Sprintf("carried out: %d records disposed of, %d content objects deleted, %d kept for records that are kept", len(p.Records), len(p.Delete), len(p.Keep))
	done.Registers = slices.Sorted(func(yield func(string) bool) {
		for _, id := range registers {
			if !yield(id) {
				return
			}
		}
	})
	done.Deleted = p.Delete
	for _, k := range p.Keep {
		done.Kept = append(done.Kept, k.Key)
	}
	got, err := e.disposals.Put(ctx, done)
	if err != nil && !errors.Is(err, archive.ErrVersionExists) {
		return err
	}
	p.Disposal = got
	return nil
}

// fileRegister files the destruction list of project code for disposal d, with
// its rows, as a permanent record; the same list again (a re-run) is the same
// record. deleting names the content that goes.
func (e *Executor) fileRegister(ctx context.Context, d Disposal, code string, rows []PlannedRecord, deleting map[string]bool) (string, error) {
	body, err := RegisterCSV(d, rows, deleting)
	if err != nil {
		return "", err
	}
	digests, err := e.a.PutContent(ctx, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return "", err
	}
	p, err := e.a.Project(ctx, code)
	if err != nil {
		return "", err
	}
	day := archive.DateOf(d.At)
	rec := archive.Record{
		Project: code, Type: RegisterType, Title: fmt.Sprintf("档案销毁清册（%s，%s）", d.ID, code),
		Issuer: p.Department, Date: day, Format: "csv", FileName: fmt.Sprintf("销毁清册-%s-%s.csv", d.ID, code),
		Abstract: fmt.Sprintf("经 %s 提出、%s 批准（%s），销毁档案 %d 件。", d.Proposer, d.Approver, day, len(rows)),
		Content:  digests, Actor: d.Approver,
	}
	stored, err := e.a.CreateRecord(ctx, rec)
	if err != nil && !errors.Is(err, archive.ErrRecordExists) {
		return "", err
	}
	return stored.ID, nil
}

// RegisterType is the document type of a destruction list (catalogue.json).
const RegisterType = "destruction_list"
