package retention

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
)

// Item is what a hold can cover: a record (Record and Project set) or a
// project's own versions (Project alone), with the keys of its objects.
type Item struct {
	Record  string
	Project string
	Keys    []string
}

// covers reports whether h, in force, covers item.
func (h Hold) coversItem(it Item) bool {
	if h.Released {
		return false
	}
	if h.Record != "" {
		return it.Record == h.Record
	}
	return it.Project == h.Project
}

// HeldKeys returns the keys of the objects that the holds in force cover. A
// storage legal hold is one flag per object while holds are per record or
// project, so an object keeps its flag while any of these covers it: content
// shared by a record of project A and one of project B stays held by B's hold
// when A's is released.
func HeldKeys(items []Item, holds []Hold) map[string]bool {
	out := map[string]bool{}
	for _, it := range items {
		for _, h := range holds {
			if h.coversItem(it) {
				for _, k := range it.Keys {
					out[k] = true
				}
				break
			}
		}
	}
	return out
}

// Scope is what a new hold covers: one record, or a whole project.
type Scope struct {
	Record  string
	Project string
}

func (s Scope) check(ctx context.Context, a *archive.Archive) (string, error) {
	switch {
	case (s.Record == "") == (s.Project == ""):
		return "", errors.New("a hold covers one record or one project: give exactly one")
	case s.Record != "":
		if _, err := a.Record(ctx, s.Record); err != nil {
			return "", err
		}
		return "R_" + s.Record + "_", nil
	default:
		if _, err := a.Project(ctx, s.Project); err != nil {
			return "", err
		}
		return "P_" + s.Project + "_", nil
	}
}

// newSuffix returns the 8 random characters ending a hold's or disposal's id.
func newSuffix() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	var b [8]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]%32]
	}
	return string(b[:])
}

// HoldResult is what placing or releasing a hold did.
type HoldResult struct {
	Hold Hold `json:"-"`
	// Records are the records the hold covers.
	Records int `json:"records"`
	// Set are the objects whose storage legal hold was set; Cleared those
	// cleared; Kept those left held because another hold in force covers them.
	Set     int      `json:"set,omitempty"`
	Cleared int      `json:"cleared,omitempty"`
	Kept    []string `json:"kept,omitempty"`
}

// Place places a legal hold on scope, for reason, as actor: the hold's version
// 1 (a "hold" entry of the ledger), then the storage's legal hold on every
// object it covers (the record versions and content of every record it covers,
// and for a project its own versions). Records filed into a held project later
// are held as they are filed (Locks).
func (e *Executor) Place(ctx context.Context, scope Scope, reason string, actor archive.Actor) (HoldResult, error) {
	if err := checkReason("a hold", reason); err != nil {
		return HoldResult{}, err
	}
	prefix, err := scope.check(ctx, e.a)
	if err != nil {
		return HoldResult{}, fmt.Errorf("retention: hold: %w", err)
	}
	h := Hold{ID: prefix + newSuffix(), Version: 1, Record: scope.Record, Project: scope.Project,
		Reason: reason, Actor: actor, At: e.now()}
	h, err = e.holds.Put(ctx, h)
	if err != nil {
		return HoldResult{}, fmt.Errorf("retention: hold: %w", err)
	}
	res, err := e.applyHolds(ctx, h, false)
	res.Hold = h
	if err != nil {
		return res, fmt.Errorf("retention: hold %s is in force, but its storage holds are not all set (run 'gongshi retention lock' to finish): %w", h.ID, err)
	}
	return res, nil
}

// Release releases hold id, for reason, as actor: the hold's version 2 (a
// "release" entry), then the storage's legal hold is cleared on every object it
// covered that no other hold in force covers.
func (e *Executor) Release(ctx context.Context, id, reason string, actor archive.Actor) (HoldResult, error) {
	if err := checkReason("a release", reason); err != nil {
		return HoldResult{}, err
	}
	if !archive.SubjectHold.ValidID(id) {
		return HoldResult{}, fmt.Errorf("retention: release: %q is not a hold id (they look like P_CC-2026-001_k3mdx2qa)", id)
	}
	cur, err := e.holds.Latest(ctx, id)
	if err != nil {
		return HoldResult{}, fmt.Errorf("retention: release %s: %w", id, err)
	}
	if cur.Released {
		return HoldResult{Hold: cur}, fmt.Errorf("retention: release %s: %w", id, ErrReleased)
	}
	rel := cur
	rel.Version, rel.Released, rel.Reason, rel.Actor, rel.At = cur.Version+1, true, reason, actor, e.now()
	rel, err = e.holds.Put(ctx, rel)
	if err != nil {
		return HoldResult{}, fmt.Errorf("retention: release %s: %w", id, err)
	}
	res, err := e.applyHolds(ctx, cur, true)
	res.Hold = rel
	if err != nil {
		return res, fmt.Errorf("retention: hold %s is released, but not every storage hold is cleared yet (run 'gongshi retention lock' to finish): %w", id, err)
	}
	return res, nil
}

// Holds returns the latest version of every hold, in force or released.
func (e *Executor) Holds(ctx context.Context) ([]Hold, error) {
	var out []Hold
	if err := e.holds.EachLatest(ctx, func(h Hold) error {
		out = append(out, h)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("retention: holds: %w", err)
	}
	return out, nil
}

// HoldHistory returns every version of hold id.
func (e *Executor) HoldHistory(ctx context.Context, id string) ([]Hold, error) {
	return e.holds.History(ctx, id)
}

// applyHolds makes the storage's legal holds of the objects that hold h covers
// agree with the holds in force now: set where one covers the object, cleared
// where none does. releasing: h was just released.
func (e *Executor) applyHolds(ctx context.Context, h Hold, releasing bool) (HoldResult, error) {
	var res HoldResult
	sv, err := e.survey(ctx)
	if err != nil {
		return res, err
	}
	// The items h covers, and those of the other holds in force, which may share
	// objects with them (content shared by records of other projects).
	mine := h.asInForce()
	all, err := e.items(ctx, sv, func(it Item) bool {
		if mine.coversItem(it) {
			return true
		}
		for _, o := range sv.holds {
			if o.coversItem(it) {
				return true
			}
		}
		return false
	})
	if err != nil {
		return res, err
	}
	inForce := HeldKeys(all, sv.holds)
	var items []Item
	for _, it := range all {
		if mine.coversItem(it) {
			items = append(items, it)
		}
	}
	var keys []string
	for _, it := range items {
		if it.Record != "" {
			res.Records++
		}
		keys = append(keys, it.Keys...)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var errs []error
	for _, k := range keys {
		on := inForce[k]
		r, err := e.st.Retention(ctx, k)
		if errors.Is(err, blob.ErrNotFound) {
			continue // content disposed of, or never stored
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case on && !r.LegalHold:
			res.Set++
		case !on && r.LegalHold:
			res.Cleared++
		case on && releasing:
			res.Kept = append(res.Kept, k)
			continue
		default:
			continue
		}
		if err := e.st.SetLegalHold(ctx, k, on); err != nil {
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}

// asInForce is h as if in force, to ask what it covers.
func (h Hold) asInForce() Hold { h.Released = false; return h }

// items returns the items that keep says yes to: every record's (its versions
// and its content) and every project's own versions.
func (e *Executor) items(ctx context.Context, sv *survey, keep func(Item) bool) ([]Item, error) {
	var out []Item
	ps, err := e.a.Projects(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		it := Item{Project: p.Code}
		if !keep(it) {
			continue
		}
		ns, err := e.a.ProjectStore().Numbers(ctx, p.Code)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			it.Keys = append(it.Keys, e.a.ProjectStore().Key(p.Code, n))
		}
		out = append(out, it)
	}
	err = e.each(ctx, sv, func(en Entry) error {
		it := Item{Record: en.Record.ID, Project: en.Record.Project}
		if !keep(it) {
			return nil
		}
		it.Keys = append(e.versionKeys(en), sv.contentKeys(en.Record)...)
		out = append(out, it)
		return nil
	})
	return out, err
}
