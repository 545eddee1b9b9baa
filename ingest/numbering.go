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

// Item numbers have no gaps within a class, across workers, processes and
// re-runs. Each number is claimed by a create-once object
//
//	ingest/numbers/<fonds>/<category>/<year>/<retention>/<department or _>/<item>
//
// whose content is the filing's identity: the record id the filing would have
// without an archival code (a function of project, content and metadata). The
// claim is made just before the record is created. A re-run of the same filing,
// after a crash at any point, finds its claim by that identity and reuses the
// number. Claims run concurrently (a store round trip each), so a crash can
// leave a hole: number 37 in flight and lost while 38 was stored. The next run
// of the class finds the holes below its highest number and hands them out
// first, so that the archive ends without gaps whatever was interrupted.
// Concurrent claimers of one number, in other processes, are settled by the
// create-once put: the loser reads the winner's claim and tries another number.
//
// A class is read once per Filer (one list, and one small read per number
// already claimed) and then kept in memory.
type numberer struct {
	store blob.Store
	n     Numbering

	mu      sync.Mutex
	classes map[string]*class
}

type class struct {
	mu      sync.Mutex
	loaded  bool
	next    int                      // the lowest number never handed out
	free    []int                    // unclaimed numbers below next, ascending
	byID    map[string]int           // filing identity → its item number
	pending map[string]chan struct{} // filings whose claim is in flight
}

func newNumberer(store blob.Store, n Numbering) *numberer {
	return &numberer{store: store, n: n, classes: map[string]*class{}}
}

func (nb *numberer) classPrefix(year int, ret archive.RetentionCode) string {
	dept := nb.n.Department
	if dept == "" {
		dept = "_"
	}
	return fmt.Sprintf("ingest/numbers/%s/%s/%04d/%s/%s/", nb.n.Fonds, nb.n.Category, year, ret, dept)
}

// assign returns the archival code of the filing identified by filing, in the
// class of its year and retention period.
func (nb *numberer) assign(ctx context.Context, filing string, year int, ret archive.RetentionCode) (string, error) {
	prefix := nb.classPrefix(year, ret)
	nb.mu.Lock()
	c := nb.classes[prefix]
	if c == nil {
		c = &class{byID: map[string]int{}, pending: map[string]chan struct{}{}, next: 1}
		nb.classes[prefix] = c
	}
	nb.mu.Unlock()
	code := func(item int) string {
		return archive.ArchivalCode{Fonds: nb.n.Fonds, Category: nb.n.Category, Year: year, Retention: ret,
			Department: nb.n.Department, Item: item}.String()
	}

	c.mu.Lock()
	if !c.loaded {
		// Loading holds the class lock: nothing of the class can be handed out
		// before its claims are known.
		if err := nb.load(ctx, prefix, c); err != nil {
			c.mu.Unlock()
			return "", err
		}
		c.loaded = true
	}
	for {
		if item, ok := c.byID[filing]; ok {
			c.mu.Unlock()
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
		if wait, ok := c.pending[filing]; ok {
			// The same filing twice in one batch: wait for the first claim.
			c.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			c.mu.Lock()
			continue
		}
		var item int
		if len(c.free) > 0 {
			item, c.free = c.free[0], c.free[1:]
		} else {
			item = c.next
			c.next++
		}
		if item > 9999 {
			c.mu.Unlock()
			return "", fmt.Errorf("ingest: archival code: class %s is full (件号 has four digits)", prefix)
		}
		wait := make(chan struct{})
		c.pending[filing] = wait
		c.mu.Unlock()

		key := prefix + fmt.Sprintf("%04d", item)
		// Deferred: made durable above, before the code is handed out.
		_, err := nb.store.Put(ctx, key, strings.NewReader(filing),
			blob.PutOptions{Size: int64(len(filing)), ContentType: "text/plain", Deferred: true})
		owner := filing
		if errors.Is(err, blob.ErrExists) {
			// Another process claimed it: learn whose, and try another.
			owner, err = nb.read(ctx, key)
		}

		c.mu.Lock()
		delete(c.pending, filing)
		close(wait)
		if err != nil {
			c.free = insertSorted(c.free, item) // not claimed: hand it out again
			c.mu.Unlock()
			return "", fmt.Errorf("ingest: archival code: claim %s: %w", key, err)
		}
		c.byID[owner] = item
	}
}

func insertSorted(s []int, v int) []int {
	i, _ := slices.BinarySearch(s, v)
	return slices.Insert(s, i, v)
}

// load reads the claims of a class: which filing has which number, the highest
// number, and the holes below it.
func (nb *numberer) load(ctx context.Context, prefix string, c *class) error {
	var keys []string
	var items []int
	err := nb.store.List(ctx, prefix, "", func(info blob.Info) error {
		item, err := strconv.Atoi(strings.TrimPrefix(info.Key, prefix))
		if err == nil && item > 0 {
			keys = append(keys, info.Key)
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: archival code: list %s: %w", prefix, err)
	}
	owners := make([]string, len(keys))
	var wg sync.WaitGroup
	errs := make([]error, len(keys))
	sem := make(chan struct{}, 8) // a few reads in flight: round trips dominate on S3
	for i, k := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			owners[i], errs[i] = nb.read(ctx, k)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	claimed := map[int]bool{}
	for i, item := range items {
		c.byID[owners[i]] = item
		claimed[item] = true
		c.next = max(c.next, item+1)
	}
	c.free = nil
	for item := 1; item < c.next; item++ {
		if !claimed[item] {
			c.free = append(c.free, item)
		}
	}
	return nil
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
