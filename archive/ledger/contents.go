package ledger

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger/proof"
)

// ContentIndex finds a log's entries by the content they name, from memory.
// FindContent reads every batch of the log for each question; a ContentIndex
// reads every batch once, keeps where each entry that names a content is, and
// afterwards reads only the batches appended since. A question then costs a
// listing of the new batches and a read of the batch of each entry found, the
// same small cost whether the archive holds the content or not: what a server
// needs that answers "which entries name this content" for whatever an
// anonymous visitor sends (the portal's verify page), without a search whose
// cost would tell a hidden record's content from content nobody filed.
//
// It points, it does not decide: every entry it finds is read again from its
// batch and compared with the content, and a verdict still comes from the
// entry's inclusion proof under a signed checkpoint. It keeps about 40 bytes
// per entry that names a content (a short key of the content and the entry's
// place): some 40 MB for a million record versions.
type ContentIndex struct {
	l *Log

	catchUp sync.Mutex // one reader of new batches at a time

	mu    sync.RWMutex // guards what follows
	next  int64        // the entries [0, next) are indexed
	ready bool         // the whole log was read once
	at    map[uint64]place
	more  map[uint64][]place // further entries whose content has the same key
}

// place is where an entry is: its index and its batch's start.
type place struct{ index, batch int64 }

// NewContentIndex returns an empty index of the log l; CatchUp (or Follow)
// fills it.
func NewContentIndex(l *Log) *ContentIndex {
	return &ContentIndex{l: l, at: map[uint64]place{}, more: map[uint64][]place{}}
}

// contentKey is the key of a content in the index: its SHA-256's first eight
// bytes. Two contents with one key only cost a read: Find compares the whole
// digest.
func contentKey(h [32]byte) uint64 { return binary.BigEndian.Uint64(h[:8]) }

// CatchUp reads the batches appended since it last ran (the whole log the
// first time). A batch that cannot be read is an error, and nothing of that
// run is kept: the next run reads from the same place.
func (c *ContentIndex) CatchUp(ctx context.Context) error {
	c.catchUp.Lock()
	defer c.catchUp.Unlock()
	c.mu.RLock()
	from := c.next
	c.mu.RUnlock()
	type hit struct {
		key uint64
		at  place
	}
	var hits []hit
	next := from
	err := c.l.entriesFrom(ctx, from, func(loc Located, e []byte) error {
		next = loc.Index + 1
		pe, err := proof.ParseEntry(e)
		if err != nil {
			return nil // not an entry this reader understands: it names nothing
		}
		if d, ok := pe.Content(); ok {
			hits = append(hits, hit{contentKey(d.SHA256), place{loc.Index, loc.batch}})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ledger: content index: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hits {
		if _, ok := c.at[h.key]; ok {
			c.more[h.key] = append(c.more[h.key], h.at)
		} else {
			c.at[h.key] = h.at
		}
	}
	c.next, c.ready = next, true
	return nil
}

// Ready reports whether the index has read the whole log once.
func (c *ContentIndex) Ready() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ready
}

// Size is the number of entries the index has read.
func (c *ContentIndex) Size() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.next
}

// Follow catches up every interval until ctx is done; a failed run is retried
// at the next tick.
func (c *ContentIndex) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = c.CatchUp(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Find catches up and returns the entries that name the content with SHA-256
// h, in log order: what FindContent returns, from the index.
func (c *ContentIndex) Find(ctx context.Context, h archive.Hash) ([]Found, error) {
	if err := c.CatchUp(ctx); err != nil {
		return nil, err
	}
	k := contentKey(h)
	c.mu.RLock()
	var places []place
	if p, ok := c.at[k]; ok {
		places = append(append(places, p), c.more[k]...)
	}
	c.mu.RUnlock()
	slices.SortFunc(places, func(a, b place) int { return cmp.Compare(a.index, b.index) })
	needle := []byte("sha256 " + h.String() + "\n")
	var out []Found
	var batch [][]byte
	batchAt := int64(-1)
	for _, p := range places {
		if p.batch != batchAt {
			var err error
			if batch, err = c.l.readBatch(ctx, p.batch); err != nil {
				return nil, fmt.Errorf("ledger: content index: %w", err)
			}
			batchAt = p.batch
		}
		k := p.index - p.batch
		if k < 0 || k >= int64(len(batch)) {
			return nil, fmt.Errorf("ledger: content index: %w: entry %d is not in batch %d", ErrCorrupt, p.index, p.batch)
		}
		e := batch[k]
		if !bytes.Contains(e, needle) {
			continue // another content with the same key
		}
		pe, err := proof.ParseEntry(e)
		if err != nil {
			continue
		}
		if d, ok := pe.Content(); !ok || d.SHA256 != proof.Hash(h) {
			continue
		}
		out = append(out, Found{Located: Located{Kind: archive.EventKind(pe.Kind()), Index: p.index, batch: p.batch},
			Entry: bytes.Clone(e)})
	}
	return out, nil
}
