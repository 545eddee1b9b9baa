package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/ctxio"
	"github.com/gongshi-archive/gongshi/internal/holder"
	"github.com/gongshi-archive/gongshi/internal/parallel"
)

// Numbering assigns archival codes (档号, DA/T 22-2015) to filings that come
// without one: 全宗号-门类代码·年度-保管期限代码-机构代码-件号, with the year from the
// document's date, the retention period from the record, and the next item
// number of that class.
type Numbering struct {
	Fonds      string // 全宗号, e.g. Z109
	Category   string // 门类代码, e.g. WS (文书) or ZS
	Department string // 机构（问题）代码, may be empty
}

// Valid checks the parts by building a code with them.
func (n Numbering) Valid() error {
	_, err := archive.ParseArchivalCode(archive.ArchivalCode{Fonds: n.Fonds, Category: n.Category, Year: 2024,
		Retention: archive.Permanent, Department: n.Department, Item: 1}.String())
	return err
}

// Archival numbers: exactly one per filing, without gaps, whatever the number of
// writers.
//
// A filing is identified by the id its record would have without an archival
// code (a function of project, content and metadata: archive.RecordID). Per class
// of codes (fonds, category, year, retention, department), create-once objects
// decide:
//
//	ingest/numbers/<fonds>/<category>/<year>/<retention>/<department or _>/<item>
//	    the claim of a number: the filing identity that holds it. Of the writers of
//	    one number exactly one creates it, so no number has two filings.
//	ingest/filings/<fonds>/<category>/<year>/<retention>/<department or _>/<filing>.<g>
//	    the binding of generation g of a filing: the writer whose turn it is to
//	    number the filing (internal/holder: a random name, the host and pid; and
//	    when its turn expires). Of the
//	    writers of one filing exactly one creates it, before any number is
//	    consumed.
//	ingest/filings/…/<filing>.n1
//	    the filing's result: the number claimed for it. Of the writers of one
//	    filing exactly one creates it, so the filing has one number, whatever
//	    happened to the turns.
//
// The writer whose turn it is claims the lowest number it believes free for the
// filing (a lost race for a number costs nothing: that number is another
// filing's), creates the result, and the filing has its number. Every other writer
// of the filing waits for the result; when the turn expires without one (its
// writer crashed, or hangs), or its writer is a process of this machine that has
// ended, a waiter takes generation g+1 over, a create-once
// race with one winner, and first adopts any claim the filing already holds (its
// predecessor crashed after its claim). Numbers are consumed only by claims made
// for the filing that will carry them, so no race makes a gap: a claim without
// its record is a filing in flight or interrupted, whose re-run takes it; and
// numbers never claimed below the highest are holes (a number handed out in a
// process that crashed before its claim) that the next writer of the class hands
// out first. A writer more than half through its turn asks before each claim
// whether its turn was taken over (lost), and then claims nothing; a writer
// taking over the turn of one that may still run waits a moment
// (takeoverGrace) before it looks for that one's claim. A writer alive but
// slower than bindingTTL that stalled between that question and its claim
// leaves its claim spare (the result is the other's): a gap the audit lists,
// never a second number.
//
// Before, the number was claimed first and nothing decided the filing's
// identity: two writers filing one document at once took two numbers, and the
// record, whose id depends on its code, was filed twice.
//
// A re-run finds its number among the claims it loads, without reading bindings;
// a filing that holds two claims (the spare one above) is settled by its result.
// A result is read before every turn and used only with its claim (confirm): a
// power failure can keep a result and lose its claim, or lose the binding of the
// turn that made it.
//
// A number whose record already exists without its claim (the claim was deleted:
// damage that 'gongshi audit' names) is refused by the archive when another
// filing's record would carry it (archive.ErrCodeInUse); the writer notes it
// refused for that filing, which goes on to a new result (.n2, …) and a new turn.
// The filing whose record carries it keeps it (its result says so). So a missing
// claim never makes two records with one 档号.
//
// A manual --archival-code is claimed by the filing identity too: a code another
// filing holds is refused (ErrCodeTaken).
//
// A class is read once per Filer (one list, and one small read per number
// already claimed) and then kept in memory; a lost race lists the newer claims.
type numberer struct {
	store  blob.Store
	n      Numbering
	me     holder.Holder // this writer in bindings (a random name, where it runs, its pid)
	holder string        // me.Name
	ttl    time.Duration
	now    func() time.Time
	// beforeClaim, when set (by tests), is called by the writer of a binding
	// just before it claims the filing's number.
	beforeClaim func(filing string)

	mu      sync.Mutex
	classes map[string]*class
}

type class struct {
	prefix string               // the claims' prefix, with its trailing '/'
	tmpl   archive.ArchivalCode // the class's code, item 0

	mu      sync.Mutex
	loaded  bool
	next    int              // the lowest number never seen claimed or handed out
	free    []int            // numbers below next not known to be claimed, ascending
	byID    map[string]int   // filing identity → its number, from the claims
	twice   map[string]bool  // filings that hold two claims: settled by their bindings
	taken   map[int]bool     // numbers known to be claimed
	refused map[string][]int // filing → numbers the archive refused it: another record carries them (reject)
	// contested: filing → the number of its result whose claim holds another
	// filing (the claim was lost or deleted and taken again): the filer asks
	// the archive which record carries it before using it.
	contested map[string]int
	pending   map[string]chan struct{} // filings whose number is being settled
	last      string                   // the highest claim key seen, for listing newer ones
}

const (
	// maxGenerations bounds the generations one filing walks through: each is a
	// writer that crashed or hung while numbering it.
	maxGenerations = 100
	// bindingTTL is how long a binding's writer has to claim the filing's
	// number and write the result (milliseconds, normally) before another writer
	// of the filing may take it over.
	bindingTTL = 30 * time.Second
	// maxClaims bounds the numbers one generation tries: each lost to another
	// filing's claim.
	maxClaims = 2000
	// takeoverGrace bounds how long a writer taking over the turn of a writer
	// that may still be running waits before it looks for that writer's claim
	// (a quarter of the turn, at most this).
	takeoverGrace = 2 * time.Second
	// readParallelism is how many claims a class's load reads at once.
	readParallelism = 8
)

func newNumberer(store blob.Store, n Numbering) *numberer {
	me := holder.New()
	return &numberer{store: store, n: n, me: me, holder: me.Name, ttl: bindingTTL, now: time.Now,
		classes: map[string]*class{}}
}

// classPrefix is where the claims of the class of c (its item ignored) go.
func classPrefix(c archive.ArchivalCode) string {
	dept := c.Department
	if dept == "" {
		dept = "_"
	}
	return fmt.Sprintf("ingest/numbers/%s/%s/%04d/%s/%s/", c.Fonds, c.Category, c.Year, c.Retention, dept)
}

// bindingPrefix is where the bindings of the class whose claims are under
// claims go.
func bindingPrefix(claims string) string {
	return "ingest/filings/" + strings.TrimPrefix(claims, "ingest/numbers/")
}

func (nb *numberer) classPrefix(year int, ret archive.RetentionCode) string {
	return classPrefix(nb.code(year, ret, 0))
}

func (nb *numberer) code(year int, ret archive.RetentionCode, item int) archive.ArchivalCode {
	return archive.ArchivalCode{Fonds: nb.n.Fonds, Category: nb.n.Category, Year: year, Retention: ret,
		Department: nb.n.Department, Item: item}
}

// class returns the class of c, loading its claims on first use.
func (nb *numberer) class(ctx context.Context, c archive.ArchivalCode) (*class, error) {
	prefix := classPrefix(c)
	nb.mu.Lock()
	cl := nb.classes[prefix]
	if cl == nil {
		c.Item = 0
		cl = &class{prefix: prefix, tmpl: c, byID: map[string]int{}, taken: map[int]bool{}, refused: map[string][]int{}, twice: map[string]bool{}, contested: map[string]int{},
			pending: map[string]chan struct{}{}, next: 1}
		nb.classes[prefix] = cl
	}
	nb.mu.Unlock()
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.loaded {
		// Loading holds the class lock: nothing of the class is handed out
		// before its claims are known.
		if err := nb.load(ctx, cl); err != nil {
			return nil, err
		}
		cl.loaded = true
	}
	return cl, nil
}

// assign returns the archival code of the filing identified by filing, in the
// class of its year and retention period.
func (nb *numberer) assign(ctx context.Context, filing string, year int, ret archive.RetentionCode) (string, error) {
	cl, err := nb.class(ctx, nb.code(year, ret, 1))
	if err != nil {
		return "", err
	}
	code := func(item int) string { c := cl.tmpl; c.Item = item; return c.String() }
	cl.mu.Lock()
	for {
		if item, ok := cl.byID[filing]; ok && !cl.twice[filing] {
			cl.mu.Unlock()
			// The claim must be durable before the record that carries the
			// number exists: a record that outlived its claim in a power failure
			// would let the number be handed out again. This covers the claim
			// just made (a deferred put, whose flush concurrent claims share) and
			// one found made earlier, perhaps unsynced, by another process.
			if err := blob.Sync(ctx, nb.store); err != nil {
				return "", fmt.Errorf("ingest: archival code %s: %w", code(item), err)
			}
			return code(item), nil
		}
		if wait, ok := cl.pending[filing]; ok {
			// The same filing twice in one batch: wait for the first.
			cl.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			cl.mu.Lock()
			continue
		}
		wait := make(chan struct{})
		cl.pending[filing] = wait
		cl.mu.Unlock()
		item, err := nb.settle(ctx, cl, filing)
		cl.mu.Lock()
		delete(cl.pending, filing)
		close(wait)
		if err != nil {
			cl.mu.Unlock()
			return "", err
		}
		cl.byID[filing] = item
		delete(cl.twice, filing)
	}
}

// settle walks the generations of filing's bindings until the filing has its
// result (see the notes on numberer), and returns it.
func (nb *numberer) settle(ctx context.Context, cl *class, filing string) (int, error) {
	bindings := bindingPrefix(cl.prefix)
	// The filing's result is the first of <filing>.n1, .n2, … whose number the
	// archive has not refused it (refusals are rare damage; see reject).
	k := 1
	resultKey := func() string { return fmt.Sprintf("%s%s.n%d", bindings, filing, k) }
	// alive: the turn this writer last waited on expired while its writer may
	// still be running (not known to have ended).
	alive := false
	for g := 1; g <= maxGenerations; g++ {
		// The result is read before each turn, for a new filing too: a power
		// failure can keep a result and lose the binding of its turn, and a
		// writer that took the turn again would claim a second number before
		// finding the result. Results whose number is refused to the filing are
		// passed over, so that a turn decides a new one.
		for {
			item, err := nb.readResult(ctx, resultKey())
			if errors.Is(err, blob.ErrNotFound) {
				break
			}
			if err != nil {
				return 0, err
			}
			if ok, err := nb.confirm(ctx, cl, filing, item); err != nil || ok {
				return item, err
			}
			k++
		}
		key := fmt.Sprintf("%s%s.%03d", bindings, filing, g)
		next := fmt.Sprintf("%s%s.%03d", bindings, filing, g+1)
		start, expires := time.Now(), nb.now().Add(nb.ttl)
		text := fmt.Sprintf("gongshi filing binding\n%sexpires %s\n", nb.me.Lines(), expires.UTC().Format(time.RFC3339Nano))
		// Deferred, as the claim: made durable before the code is handed out.
		_, err := nb.store.Put(ctx, key, strings.NewReader(text),
			blob.PutOptions{Size: int64(len(text)), ContentType: "text/plain", Deferred: true})
		var item int
		var theirs string
		if errors.Is(err, blob.ErrExists) {
			// A turn of this writer's own (from an attempt whose number the
			// archive refused) is still its turn.
			if theirs, err = nb.read(ctx, key); err == nil && strings.Contains(theirs, "\nholder "+nb.holder+"\n") {
				err, expires = nil, bindingExpires(theirs)
			} else if err == nil {
				err = blob.ErrExists
			}
		}
		switch {
		case err == nil:
			// This writer's turn: number the filing.
			if nb.beforeClaim != nil {
				nb.beforeClaim(filing)
			}
			if alive {
				// Taken over from a writer that may be running still: a claim
				// it sent just before it could see this turn lands within a
				// moment, and is adopted below rather than left spare.
				if err := ctxio.Sleep(ctx, min(nb.ttl/4, takeoverGrace)); err != nil {
					return 0, err
				}
			}
			item, err = nb.claimFor(ctx, cl, filing, g > 1 || k > 1, turn{start: start, expires: expires, next: next})
			if errors.Is(err, errTurnLost) {
				continue // the next generation's writer numbers it: wait for its result
			}
			if err == nil {
				claimed := item
				if item, err = nb.decide(ctx, resultKey(), item); err == nil && item == claimed {
					return item, nil // its claim, just made or read, holds the filing
				}
			}
		case errors.Is(err, blob.ErrExists):
			// Another writer's turn: wait for the filing's result, or take
			// over when its turn expires (item 0).
			item, err = nb.await(ctx, theirs, next, resultKey())
			alive = !holder.Parse(theirs).Gone()
		default:
			err = fmt.Errorf("ingest: archival code: binding %s: %w", key, err)
		}
		if err != nil {
			return 0, err
		}
		if item > 0 {
			if ok, err := nb.confirm(ctx, cl, filing, item); err != nil || ok {
				return item, err
			}
		}
	}
	return 0, fmt.Errorf("ingest: archival code: filing %s: %d writers in turn left it without a number", filing, maxGenerations)
}

// confirm reports whether item, a result of filing, is the filing's number: not
// refused to it, and its claim holds the filing. A result can outlive its claim
// (both are deferred puts, and a power failure keeps any part of what was not
// synced): the claim is then made again. When another filing has claimed the
// number since (after that power failure, or after the claim was deleted), the
// number is the filing's only if its record carries it already: the number is
// handed out marked contested, and the filer asks the archive (see contested).
// So a number is never handed out without its claim, or without the archive's
// word that this filing's record carries it.
func (nb *numberer) confirm(ctx context.Context, cl *class, filing string, item int) (bool, error) {
	if cl.wasRefused(filing, item) {
		return false, nil
	}
	key := fmt.Sprintf("%s%04d", cl.prefix, item)
	owner, err := nb.read(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		owner, err = nb.claim(ctx, key, filing)
	}
	if err != nil {
		return false, err
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.markTaken(item)
	if owner != filing {
		cl.byID[owner] = item
		cl.contested[filing] = item
	}
	return true, nil
}

// contested reports whether code, handed to filing, is a result of the filing
// whose claim holds another filing (see confirm): the filer uses it only if the
// archive says the filing's record carries it, and else rejects it.
func (nb *numberer) contested(code, filing string) bool {
	ac, err := archive.ParseArchivalCode(code)
	if err != nil {
		return false
	}
	nb.mu.Lock()
	cl := nb.classes[classPrefix(ac)]
	nb.mu.Unlock()
	if cl == nil {
		return false
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	item, ok := cl.contested[filing]
	return ok && item == ac.Item
}

// turn is this writer's turn at a filing: when it expires, and the binding of
// the generation after it, which a writer that takes the turn over creates.
type turn struct {
	start   time.Time // when this writer began it (monotonic)
	expires time.Time // as its binding says
	next    string
}

// errTurnLost: this writer's turn expired and another writer took it over
// before this one claimed a number.
var errTurnLost = errors.New("the filing's turn was taken over")

// lost reports whether another writer has taken the turn over. A writer slower
// than its turn (starved of CPU, paused) that claimed a number anyway would
// leave a spare claim, a gap in the class, beside the number the other writer
// gave the filing; so once half its turn has gone (a margin for clocks that
// disagree) it asks before each claim. A turn that goes as it should (claims
// take milliseconds) never asks.
func (nb *numberer) lost(ctx context.Context, t turn) (bool, error) {
	half := nb.ttl / 2
	if t.next == "" || time.Since(t.start) < half && nb.now().Before(t.expires.Add(-half)) {
		return false, nil
	}
	_, err := nb.store.Stat(ctx, t.next)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, blob.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("ingest: archival code: %s: %w", t.next, err)
	}
}

// claimFor claims the lowest number believed free for filing and returns it. A
// writer that takes a generation over (adopt) first reads the claims made since
// the class was read: one of them may be the filing's, made by the writer whose
// turn expired. A writer whose turn was taken over before it claimed gets
// errTurnLost (see lost).
func (nb *numberer) claimFor(ctx context.Context, cl *class, filing string, adopt bool, t turn) (int, error) {
	if adopt {
		if err := nb.catchUp(ctx, cl, true); err != nil {
			return 0, err
		}
		cl.mu.Lock()
		item, ok := cl.byID[filing]
		cl.mu.Unlock()
		if !ok {
			// Claims complete out of order: the filing's may be below the last
			// one listed, or listed without reading whose it is. Read every
			// claim of the class whose owner is not known (a take-over is rare).
			var err error
			if item, ok, err = nb.findClaim(ctx, cl, filing); err != nil {
				return 0, err
			}
		}
		if ok && !cl.wasRefused(filing, item) {
			return item, nil
		}
	}
	for range maxClaims {
		if lost, err := nb.lost(ctx, t); err != nil || lost {
			if err == nil {
				err = errTurnLost
			}
			return 0, err
		}
		item, err := cl.take()
		if err != nil {
			return 0, err
		}
		owner, err := nb.claim(ctx, fmt.Sprintf("%s%04d", cl.prefix, item), filing)
		if err != nil {
			cl.giveBack(item)
			return 0, err
		}
		cl.mu.Lock()
		cl.markTaken(item)
		if owner != filing {
			cl.byID[owner] = item
		}
		cl.mu.Unlock()
		if owner == filing && !cl.wasRefused(filing, item) {
			return item, nil
		}
		// Another filing's: learn what else was claimed since this class was
		// read, so that the next try is a number that is free.
		if err := nb.catchUp(ctx, cl, false); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("ingest: archival code: filing %s lost every number it tried to other filings, %d times", filing, maxClaims)
}

// findClaim lists the claims of the class and reads those whose owner is not
// known, until it finds one holding filing.
func (nb *numberer) findClaim(ctx context.Context, cl *class, filing string) (int, bool, error) {
	keys, items, err := nb.list(ctx, cl.prefix, "")
	if err != nil {
		return 0, false, err
	}
	cl.mu.Lock()
	known := map[int]bool{}
	for _, item := range cl.byID {
		known[item] = true
	}
	cl.mu.Unlock()
	for i, item := range items {
		if known[item] {
			continue
		}
		owner, err := nb.read(ctx, keys[i])
		if err != nil {
			return 0, false, err
		}
		cl.mu.Lock()
		cl.markTaken(item)
		cl.own(owner, item)
		cl.mu.Unlock()
		if owner == filing {
			return item, true, nil
		}
	}
	return 0, false, nil
}

// decide creates the filing's result, the number claimed for it (item), or reads
// the result another writer created first: that one is the filing's number, and
// item stays a spare claim (a gap the audit lists), which happens only when a
// writer took the filing over from one that was alive but slower than its turn.
func (nb *numberer) decide(ctx context.Context, result string, item int) (int, error) {
	text := fmt.Sprintf("%04d\n", item)
	_, err := nb.store.Put(ctx, result, strings.NewReader(text),
		blob.PutOptions{Size: int64(len(text)), ContentType: "text/plain", Deferred: true})
	if errors.Is(err, blob.ErrExists) {
		return nb.readResult(ctx, result)
	}
	if err != nil {
		return 0, fmt.Errorf("ingest: archival code: %s: %w", result, err)
	}
	return item, nil
}

func (nb *numberer) readResult(ctx context.Context, result string) (int, error) {
	b, err := nb.read(ctx, result)
	if err != nil {
		return 0, err
	}
	item, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || item < 1 || item > 9999 {
		return 0, fmt.Errorf("ingest: archival code: %s holds %q, not an item number", result, b)
	}
	return item, nil
}

// await waits for the filing's result while binding (the text of another
// writer's turn) holds. It returns 0 when that turn expired without a result, or a later
// generation exists: the caller goes on to the next generation.
func (nb *numberer) await(ctx context.Context, binding, next, result string) (int, error) {
	expires := bindingExpires(binding)
	by := holder.Parse(binding)
	watched := time.Now()
	pause := 2 * time.Millisecond
	for {
		item, err := nb.readResult(ctx, result)
		if err == nil {
			return item, nil
		}
		if !errors.Is(err, blob.ErrNotFound) {
			return 0, err
		}
		if _, err := nb.store.Stat(ctx, next); err == nil {
			return 0, nil
		} else if !errors.Is(err, blob.ErrNotFound) {
			return 0, fmt.Errorf("ingest: archival code: %s: %w", next, err)
		}
		// Expired by this writer's clock, watched for the whole turn (a writer
		// whose clock runs ahead does not hold the filing up longer), or its
		// writer is a process of this machine that has ended (a killed batch).
		if !nb.now().Before(expires) || time.Since(watched) >= nb.ttl || by.Gone() {
			return 0, nil
		}
		if err := ctxio.Sleep(ctx, pause); err != nil {
			return 0, err
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// bindingExpires is when the turn of a binding's text expires (zero when it
// does not say: expired).
func bindingExpires(binding string) time.Time {
	var expires time.Time
	for _, line := range strings.Split(binding, "\n") {
		if v, ok := strings.CutPrefix(line, "expires "); ok {
			expires, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	return expires
}

// claim creates the claim key for filing, or reads whose it is.
func (nb *numberer) claim(ctx context.Context, key, filing string) (string, error) {
	_, err := nb.store.Put(ctx, key, strings.NewReader(filing),
		blob.PutOptions{Size: int64(len(filing)), ContentType: "text/plain", Deferred: true})
	if errors.Is(err, blob.ErrExists) {
		return nb.read(ctx, key)
	}
	if err != nil {
		return "", fmt.Errorf("ingest: archival code: claim %s: %w", key, err)
	}
	return filing, nil
}

// ErrCodeTaken: a manual archival code is held by another filing.
var ErrCodeTaken = errors.New("archival code already in use")

// claimCode claims a code the filer gave (a manual --archival-code) for filing:
// nil when the filing holds it, ErrCodeTaken when another filing does.
func (nb *numberer) claimCode(ctx context.Context, code, filing string) error {
	ac, err := archive.ParseArchivalCode(code)
	if err != nil {
		return err // the checks refused it already; the archive will again
	}
	key := fmt.Sprintf("%s%04d", classPrefix(ac), ac.Item)
	owner, err := nb.claim(ctx, key, filing)
	if err != nil {
		return err
	}
	nb.mu.Lock()
	cl := nb.classes[classPrefix(ac)]
	nb.mu.Unlock()
	if cl != nil {
		cl.mu.Lock()
		cl.own(owner, ac.Item)
		cl.markTaken(ac.Item)
		cl.mu.Unlock()
	}
	if owner != filing {
		return fmt.Errorf("ingest: %w: %s is held by another filing (%s, claim %s)", ErrCodeTaken, code, owner, key)
	}
	return blob.Sync(ctx, nb.store)
}

// reject notes that the number of code, handed to filing, is carried by a record
// of another filing (the archive refused it: archive.ErrCodeInUse), so that the
// next assign of filing goes on to a number that is free.
func (nb *numberer) reject(code, filing string) {
	ac, err := archive.ParseArchivalCode(code)
	if err != nil {
		return
	}
	nb.mu.Lock()
	cl := nb.classes[classPrefix(ac)]
	nb.mu.Unlock()
	if cl == nil {
		return
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if item, ok := cl.byID[filing]; ok && item == ac.Item {
		delete(cl.byID, filing)
	}
	if item, ok := cl.contested[filing]; ok && item == ac.Item {
		delete(cl.contested, filing)
	}
	cl.markTaken(ac.Item)
	cl.refused[filing] = append(cl.refused[filing], ac.Item)
}

// take hands out the lowest number believed free.
func (cl *class) take() (int, error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	var item int
	if len(cl.free) > 0 {
		item, cl.free = cl.free[0], cl.free[1:]
	} else {
		item = cl.next
		cl.next++
	}
	if item > 9999 {
		return 0, fmt.Errorf("ingest: archival code: class %s is full (件号 has four digits)", cl.prefix)
	}
	return item, nil
}

// giveBack returns a number that take handed out and nobody claimed.
func (cl *class) giveBack(item int) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.taken[item] {
		i, found := slices.BinarySearch(cl.free, item)
		if !found {
			cl.free = slices.Insert(cl.free, i, item)
		}
	}
}

// markTaken records that item is claimed. Called with mu held.
func (cl *class) markTaken(item int) {
	cl.taken[item] = true
	if i, found := slices.BinarySearch(cl.free, item); found {
		cl.free = slices.Delete(cl.free, i, i+1)
	}
	for n := cl.next; n < item; n++ {
		cl.free = append(cl.free, n) // below a claimed number: holes until seen claimed
	}
	cl.next = max(cl.next, item+1)
}

func (cl *class) wasRefused(filing string, item int) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return slices.Contains(cl.refused[filing], item)
}

// load reads the claims of a class: which filing has which number, the highest
// number, and the holes below it. Called with cl.mu held.
func (nb *numberer) load(ctx context.Context, cl *class) error {
	keys, items, err := nb.list(ctx, cl.prefix, "")
	if err != nil {
		return err
	}
	owners, err := nb.readAll(ctx, keys)
	if err != nil {
		return err
	}
	for i, item := range items {
		cl.own(owners[i], item)
		cl.markTaken(item)
	}
	if len(keys) > 0 {
		cl.last = keys[len(keys)-1]
	}
	return nil
}

// catchUp lists the claims made since the class was read (or last caught up)
// and marks their numbers taken; with owners, it reads whose they are too (a
// writer taking a generation over looks for its filing's claim among them).
func (nb *numberer) catchUp(ctx context.Context, cl *class, owners bool) error {
	cl.mu.Lock()
	after := cl.last
	cl.mu.Unlock()
	keys, items, err := nb.list(ctx, cl.prefix, after)
	if err != nil {
		return err
	}
	var who []string
	if owners {
		if who, err = nb.readAll(ctx, keys); err != nil {
			return err
		}
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for i, item := range items {
		cl.markTaken(item)
		if owners {
			cl.own(who[i], item)
		}
	}
	if len(keys) > 0 && keys[len(keys)-1] > cl.last {
		cl.last = keys[len(keys)-1]
	}
	return nil
}

// own records that claim item holds filing. Called with mu held.
func (cl *class) own(filing string, item int) {
	if prev, ok := cl.byID[filing]; ok && prev != item {
		cl.twice[filing] = true
	}
	cl.byID[filing] = item
}

func (cl *class) isTwice(filing string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.twice[filing]
}

func (nb *numberer) list(ctx context.Context, prefix, after string) (keys []string, items []int, err error) {
	err = nb.store.List(ctx, prefix, after, func(info blob.Info) error {
		name := strings.TrimPrefix(info.Key, prefix)
		item, err := strconv.Atoi(name)
		if err == nil && item > 0 && len(name) == 4 {
			keys = append(keys, info.Key)
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ingest: archival code: list %s: %w", prefix, err)
	}
	return keys, items, nil
}

// readAll reads the claims under keys, a few at a time: round trips dominate on S3.
func (nb *numberer) readAll(ctx context.Context, keys []string) ([]string, error) {
	owners := make([]string, len(keys))
	err := parallel.For(ctx, len(keys), readParallelism, func(ctx context.Context, i int) error {
		var err error
		owners[i], err = nb.read(ctx, keys[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return owners, nil
}

func (nb *numberer) read(ctx context.Context, key string) (string, error) {
	rc, err := nb.store.Get(ctx, key)
	if err != nil {
		return "", fmt.Errorf("ingest: archival code: read %s: %w", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1024))
	if err != nil {
		return "", fmt.Errorf("ingest: archival code: read %s: %w", key, err)
	}
	return string(b), nil
}
