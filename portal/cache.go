package portal

import (
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

// generation is what every public page depends on.
type generation struct {
	pos int64
	day archive.Date
}

// maxCacheBytes bounds the memory the cached pages hold (plain and gzip); past
// it, pages are rendered per request until the generation changes. A county's
// portal has a few thousand addresses of 10-40 KB.
const maxCacheBytes = 256 << 20

type pageCache struct {
	mu      sync.Mutex
	gen     generation
	entries map[string]*cachedPage
	bytes   int64 // held by entries, counted when a render is done
}

// cachedPage is one rendered page. ready is closed when the render is done; the
// fields are read only after that.
type cachedPage struct {
	ready    chan struct{}
	body, gz []byte
	etag     string
	err      error
}

func newPageCache() *pageCache { return &pageCache{entries: map[string]*cachedPage{}} }

// get returns the page key of generation gen, rendering it with render when it is
// not cached: concurrent requests for the same page wait for one render. An
// error is returned to the requests that waited for it and is not kept.
func (c *pageCache) get(gen generation, key string, render func() ([]byte, error)) (p *cachedPage, hit bool) {
	c.mu.Lock()
	if gen != c.gen {
		// A newer generation retires every page; an older one (a request that
		// read the position before another moved it) is rendered but not kept.
		if gen.pos > c.gen.pos || gen.day.Compare(c.gen.day) > 0 {
			c.gen, c.entries, c.bytes = gen, map[string]*cachedPage{}, 0
		} else {
			c.mu.Unlock()
			p = &cachedPage{ready: make(chan struct{})}
			p.fill(render)
			return p, false
		}
	}
	if p, ok := c.entries[key]; ok {
		c.mu.Unlock()
		<-p.ready
		return p, true
	}
	p = &cachedPage{ready: make(chan struct{})}
	keep := c.bytes < maxCacheBytes
	if keep {
		c.entries[key] = p
	}
	c.mu.Unlock()
	p.fill(render)
	if keep {
		c.mu.Lock()
		if c.entries[key] == p {
			if p.err != nil {
				delete(c.entries, key)
			} else {
				c.bytes += int64(len(p.body) + len(p.gz))
			}
		}
		c.mu.Unlock()
	}
	return p, false
}

func (p *cachedPage) fill(render func() ([]byte, error)) {
	defer close(p.ready)
	p.body, p.err = render()
	if p.err != nil {
		return
	}
	p.gz = gzipOnce(p.body)
	p.etag = etagOf(p.body)
}

// etagOf is a strong ETag of a page's bytes.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}
