package portal

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"github.com/gongshi-archive/gongshi/archive"
)

// Rendering for speed. A public page is a function of the index's contents and
// of the day (the clocks count days), nothing else: the visitor is the public, the
// address and its language are the key. So each public page is rendered once per
// generation — the index position and the civil date — compressed once, and served
// from memory with its ETag until the generation moves on. A publish or withdraw
// reaches the index as a ledger event, moves its position, and so retires every
// page at once: no page outlives the state it was rendered from.
//
// Pages for households and staff never come from here (servePage bypasses the
// cache for any viewer but the public), and nothing is shared between viewers.
//
// Search pages read their query string, so each distinct query is a page: they
// have a cache of their own (queryPage), keyed by the canonical form of the
// query the page reads, and only over an index that says when the clock changes
// what it answers (its version): a publicity window that ends mid-day takes its
// record out of the next answer, as out of every other page.

// generation is what every public page depends on.
type generation struct {
	pos int64
	day archive.Date
	// ver is the index's version when it has one (SearchIndex: it moves also
	// when a publicity window opens or closes by the clock, which the ledger
	// position does not); 0 otherwise.
	ver uint64
}

// newer reports whether g is later than o in any part (each only grows).
func (g generation) newer(o generation) bool {
	return g.pos > o.pos || g.day.Compare(o.day) > 0 || g.ver > o.ver
}

// The bounds of the caches. Pages: a county's portal has a few thousand
// addresses of 10-40 KB. Searches: each distinct query is a page of its own, so
// what visitors type decides how many there are; the least recently used go
// first, so that random queries (a crawler, an attacker) cannot grow memory nor
// push out for long the ones people ask.
const (
	maxPageEntries   = 1 << 17
	maxPageBytes     = 256 << 20
	maxSearchEntries = 4096
	maxSearchBytes   = 64 << 20
)

// pageCache holds the rendered pages of one generation, at most maxEntries of
// them and maxBytes of their bytes (plain and gzip), dropping the least recently
// used past either.
type pageCache struct {
	maxEntries int
	maxBytes   int64

	mu      sync.Mutex
	gen     generation
	entries map[string]*list.Element // of *cachedPage
	lru     list.List                // front: most recently used
	bytes   int64                    // held by entries, counted when a render is done
	gz      gzipper
}

// cachedPage is one rendered page. ready is closed when the render is done; the
// fields are read only after that.
type cachedPage struct {
	key      string
	ready    chan struct{}
	body, gz []byte
	etag     string
	err      error
	size     int64 // counted in pageCache.bytes; 0 until then
}

func newPageCache(maxEntries int, maxBytes int64) *pageCache {
	return &pageCache{maxEntries: maxEntries, maxBytes: maxBytes, entries: map[string]*list.Element{}}
}

// get returns the page key of generation gen, rendering it with render when it is
// not cached: concurrent requests for the same page wait for one render. An
// error is returned to the requests that waited for it and is not kept.
func (c *pageCache) get(gen generation, key string, render func() ([]byte, error)) (p *cachedPage, hit bool) {
	c.mu.Lock()
	if gen != c.gen {
		// A newer generation retires every page; an older one (a request that
		// read the position before another moved it) is rendered but not kept.
		if !gen.newer(c.gen) {
			c.mu.Unlock()
			p = &cachedPage{ready: make(chan struct{})}
			p.fill(render, &c.gz)
			return p, false
		}
		c.gen, c.entries, c.bytes = gen, map[string]*list.Element{}, 0
		c.lru.Init()
	}
	if el, ok := c.entries[key]; ok {
		c.lru.MoveToFront(el)
		c.mu.Unlock()
		p = el.Value.(*cachedPage)
		<-p.ready
		return p, true
	}
	p = &cachedPage{key: key, ready: make(chan struct{})}
	el := c.lru.PushFront(p)
	c.entries[key] = el
	c.evict()
	c.mu.Unlock()
	p.fill(render, &c.gz)
	c.mu.Lock()
	if cur, ok := c.entries[key]; ok && cur == el {
		if p.err != nil {
			c.remove(el)
		} else {
			p.size = int64(len(p.body) + len(p.gz))
			c.bytes += p.size
			c.evict()
		}
	}
	c.mu.Unlock()
	return p, false
}

// evict drops the least recently used pages while the cache holds more than
// its bounds. Called with c.mu held.
func (c *pageCache) evict() {
	for c.lru.Len() > 0 && (c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes) {
		c.remove(c.lru.Back())
	}
}

func (c *pageCache) remove(el *list.Element) {
	p := c.lru.Remove(el).(*cachedPage)
	delete(c.entries, p.key)
	c.bytes -= p.size
}

// held says how many pages and bytes the cache holds.
func (c *pageCache) held() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.bytes
}

func (p *cachedPage) fill(render func() ([]byte, error), gz *gzipper) {
	defer close(p.ready)
	p.body, p.err = render()
	if p.err != nil {
		return
	}
	p.gz = gz.compress(p.body)
	p.etag = etagOf(p.body)
}

// etagOf is a strong ETag of a page's bytes.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
