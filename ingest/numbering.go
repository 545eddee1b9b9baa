package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// number, so a number is never claimed twice for one filing and never left
// unused by an interrupted run. Concurrent claimers of one number are settled by
// the create-once put: the loser reads the winner's claim and tries the next.
//
// A class is read once per Filer (one list and one small read per number already
// claimed) and then kept in memory; its lock serialises this process's workers,
// and other processes are found by the create-once put.
type numberer struct {
	store blob.Store
	n     Numbering

	mu      sync.Mutex
	classes map[string]*class
}

type class struct {
	mu     sync.Mutex
	loaded bool
	next   int            // the next number to try
	byID   map[string]int // filing identity → its item number
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
		c = &class{byID: map[string]int{}, next: 1}
		nb.classes[prefix] = c
	}
	nb.mu.Unlock()

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.loaded {
		if err := nb.load(ctx, prefix, c); err != nil {
			return "", err
		}
		c.loaded = true
	}
	code := func(item int) string {
		return archive.ArchivalCode{Fonds: nb.n.Fonds, Category: nb.n.Category, Year: year, Retention: ret,
			Department: nb.n.Department, Item: item}.String()
	}
	if item, ok := c.byID[filing]; ok {
		return code(item), nil
	}
	for {
		item := c.next
		if item > 9999 {
			return "", fmt.Errorf("ingest: archival code: class %s is full (件号 has four digits)", prefix)
		}
		_, err := nb.store.Put(ctx, prefix+fmt.Sprintf("%04d", item), strings.NewReader(filing),
			blob.PutOptions{Size: int64(len(filing)), ContentType: "text/plain"})
		switch {
		case err == nil:
			c.byID[filing] = item
			c.next = item + 1
			return code(item), nil
		case errors.Is(err, blob.ErrExists):
			// Another process claimed it: learn whose, and try the next.
			owner, rerr := nb.read(ctx, prefix+fmt.Sprintf("%04d", item))
			if rerr != nil {
				return "", rerr
			}
			c.byID[owner] = item
			c.next = item + 1
			if owner == filing {
				return code(item), nil
			}
		default:
			return "", fmt.Errorf("ingest: archival code: claim %s%04d: %w", prefix, item, err)
		}
	}
}

func (nb *numberer) load(ctx context.Context, prefix string, c *class) error {
	var keys []string
	err := nb.store.List(ctx, prefix, "", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ingest: archival code: list %s: %w", prefix, err)
	}
	for _, k := range keys {
		item, err := strconv.Atoi(strings.TrimPrefix(k, prefix))
		if err != nil {
			continue
		}
		owner, err := nb.read(ctx, k)
		if err != nil {
			return err
		}
		c.byID[owner] = item
		c.next = max(c.next, item+1)
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
