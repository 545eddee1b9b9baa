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

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/blob"
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
// code (a function of project, content and metadata: archive.RecordID). Two
// kinds of create-once object decide, per class of codes (fonds, category, year,
// retention, department):
//
//	ingest/numbers/<fonds>/<category>/<year>/<retention>/<department or _>/<item>   the claim of
//	    a number: the filing identity that holds it. Of the writers of one number
//	    exactly one creates it, so no number has two filings.
//	ingest/filings/<fonds>/<category>/<year>/<retention>/<department or _>/<filing>.<g>   the
//	    binding of generation g of a filing: the number it tries. Of the writers of
//	    one filing exactly one creates each generation, so they all try the same
//	    number, and no filing gets two.
//
// A filing takes its number thus, for g = 1, 2, …: create binding g with the
// lowest number this writer believes free, or read the binding another writer
// created first; then claim that number for the filing (or find it claimed for
// the filing by the writer that created the binding). When the number's claim
// holds another filing, generation g is dead and the filing goes on to g+1.
// Since a claim never changes, a filing whose generation-g claim holds it never
// gets a generation g+1, and a claim that holds a filing is the filing's only
// number: a re-run finds it among the claims it loads and takes it, without
// reading bindings. Before, the number was claimed first and the filing's identity
// was not decided by anything: two writers filing one document at once took two
// numbers, and the record, whose id depends on its code, was filed twice.
//
// No gaps: a number is claimed only for the filing that will carry it, so a
// claim without its record exists only while that filing is in flight or after
// it was interrupted (its re-run takes it). Numbers never claimed below the
// highest (a binding made, its claim lost in a crash) are holes that the next
// writer of the class hands out first.
//
// A number whose record already exists without its claim (the claim was deleted:
// damage that 'gongshi audit' names) is refused by the archive when another
// filing's record would carry it (archive.ErrCodeInUse); the writer marks it
// refused for that filing, which goes on to its next generation. The filing whose
// record carries it keeps it: when a number's claim holds another filing, the
// writer asks whether its own record carries that code (carriesFunc). So a missing
// claim never makes two records with one 档号, nor a second record of a filing.
//
// A manual --archival-code is claimed the same way, by the filing identity: a
// code another filing holds is refused (ErrCodeTaken).
//
// A class is read once per Filer (one list, and one small read per number
// already claimed) and then kept in memory; a lost race lists the newer claims.
type numberer struct {
	store blob.Store
	n     Numbering

	mu      sync.Mutex
	classes map[string]*class
}

type class struct {
	prefix string               // the claims' prefix, with its trailing '/'
	tmpl   archive.ArchivalCode // the class's code, item 0

	mu      sync.Mutex
	loaded  bool
	next    int                      // the lowest number never seen claimed or handed out
	free    []int                    // numbers below next not known to be claimed, ascending
	byID    map[string]int           // filing identity → its number, from the claims
	taken   map[int]bool             // numbers known to be claimed
	refused map[string][]int         // filing → numbers the archive refused it: another record carries them (reject)
	pending map[string]chan struct{} // filings whose number is being settled
	last    string                   // the highest claim key seen, for listing newer ones
}

// maxGenerations bounds the generations one filing walks through in one call:
// each dead one means that another writer claimed the number it tried.
const maxGenerations = 200

func newNumberer(store blob.Store, n Numbering) *numberer {
	return &numberer{store: store, n: n, classes: map[string]*class{}}
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
		cl = &class{prefix: prefix, tmpl: c, byID: map[string]int{}, taken: map[int]bool{}, refused: map[string][]int{},
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

// carriesFunc reports whether the record of the filing being numbered, with the
// archival code code, is stored: its own record carries that code.
type carriesFunc func(ctx context.Context, code string) (bool, error)

// assign returns the archival code of the filing identified by filing, in the
// class of its year and retention period. carries, when not nil, is asked about a
// number whose claim holds another filing: when the filing's own record carries
// it (its claim was deleted and made again for another), it is the filing's.
func (nb *numberer) assign(ctx context.Context, filing string, year int, ret archive.RetentionCode, carries carriesFunc) (string, error) {
	cl, err := nb.class(ctx, nb.code(year, ret, 1))
	if err != nil {
		return "", err
	}
	code := func(item int) string { c := cl.tmpl; c.Item = item; return c.String() }
	cl.mu.Lock()
	for {
		if item, ok := cl.byID[filing]; ok {
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
		item, err := nb.settle(ctx, cl, filing, carries)
		cl.mu.Lock()
		delete(cl.pending, filing)
		close(wait)
		if err != nil {
			cl.mu.Unlock()
			return "", err
		}
		cl.byID[filing] = item
	}
}

// settle walks the generations of filing's bindings until one of them is the
// filing's number (see the notes on numberer), and returns it.
func (nb *numberer) settle(ctx context.Context, cl *class, filing string, carries carriesFunc) (int, error) {
	bindings := bindingPrefix(cl.prefix)
	for g := 1; g <= maxGenerations; g++ {
		key := fmt.Sprintf("%s%s.%03d", bindings, filing, g)
		item, err := cl.take()
		if err != nil {
			return 0, err
		}
		text := fmt.Sprintf("%04d\n", item)
		// Deferred, as the claim: made durable before the code is handed out.
		_, err = nb.store.Put(ctx, key, strings.NewReader(text),
			blob.PutOptions{Size: int64(len(text)), ContentType: "text/plain", Deferred: true})
		if err != nil {
			cl.giveBack(item) // not this writer's proposal: the number stays free
		}
		if errors.Is(err, blob.ErrExists) {
			// Another writer of this filing created generation g: its number
			// is the one to try.
			var b string
			b, err = nb.read(ctx, key)
			if err == nil {
				item, err = strconv.Atoi(strings.TrimSpace(b))
				if err != nil || item < 1 || item > 9999 {
					err = fmt.Errorf("ingest: archival code: %s holds %q, not an item number", key, b)
				}
			}
		}
		if err != nil {
			return 0, fmt.Errorf("ingest: archival code: binding %s: %w", key, err)
		}
		if cl.wasRefused(filing, item) {
			// Carried by a record of another filing whose claim is missing
			// (see reject): a dead generation for this filing.
			continue
		}
		claim := fmt.Sprintf("%s%04d", cl.prefix, item)
		owner, err := nb.claim(ctx, claim, filing)
		if err != nil {
			return 0, err
		}
		cl.mu.Lock()
		cl.markTaken(item)
		cl.mu.Unlock()
		if owner == filing {
			return item, nil
		}
		if carries != nil {
			// Damage: this filing's record carries the number, and its claim
			// was made again for another filing. The record decides.
			c := cl.tmpl
			c.Item = item
			mine, err := carries(ctx, c.String())
			if err != nil {
				return 0, err
			}
			if mine {
				return item, nil
			}
		}
		// The number is another filing's: learn what else was claimed since
		// this class was read, so that the next generation tries a number
		// that is free.
		cl.mu.Lock()
		cl.byID[owner] = item
		cl.mu.Unlock()
		if err := nb.catchUp(ctx, cl); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("ingest: archival code: filing %s found every number it tried claimed by others, %d times", filing, maxGenerations)
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
		cl.byID[owner] = ac.Item
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
		cl.byID[owners[i]] = item
		cl.markTaken(item)
	}
	if len(keys) > 0 {
		cl.last = keys[len(keys)-1]
	}
	return nil
}

// catchUp lists the claims made since the class was read (or last caught up)
// and marks their numbers taken. Whose they are is not read: it matters only to
// a re-run, which finds its own number through its bindings.
func (nb *numberer) catchUp(ctx context.Context, cl *class) error {
	cl.mu.Lock()
	after := cl.last
	cl.mu.Unlock()
	keys, items, err := nb.list(ctx, cl.prefix, after)
	if err != nil {
		return err
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	for _, item := range items {
		cl.markTaken(item)
	}
	if len(keys) > 0 && keys[len(keys)-1] > cl.last {
		cl.last = keys[len(keys)-1]
	}
	return nil
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
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8)
	for i, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			owners[i], errs[i] = nb.read(ctx, k)
		})
	}
	wg.Wait()
	return owners, errors.Join(errs...)
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
