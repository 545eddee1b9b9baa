package verify

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gongshi-archive/gongshi/archive"
	"github.com/gongshi-archive/gongshi/archive/ledger"
)

// searcher runs the searches of the ledger by content (ledger.Log.FindContent)
// under a bound: one at a time, at most as often as its limiter allows, each
// answer kept for a while per content, so that a request repeated for one
// damaged content costs one search, and requests for many cost at most the
// rate.
type searcher struct {
	ledger   Ledger
	contents ContentFinder // when set, it answers every search
	limiter  *rate.Limiter
	keep     time.Duration
	now      func() time.Time
	running  chan struct{} // holds a token while a search runs

	mu   sync.Mutex
	kept map[archive.Hash]keptSearch
}

type keptSearch struct {
	found []ledger.Found
	at    time.Time
}

// maxKept bounds the answers kept; beyond it the oldest go first.
const maxKept = 1024

func newSearcher(l Ledger, o Options) *searcher {
	s := &searcher{ledger: l, contents: o.Contents, keep: o.SearchKeep, now: o.Now, running: make(chan struct{}, 1),
		kept: map[archive.Hash]keptSearch{}}
	if s.keep <= 0 {
		s.keep = 10 * time.Minute
	}
	if s.now == nil {
		s.now = time.Now
	}
	burst := max(o.SearchBurst, 1)
	s.limiter = rate.NewLimiter(rate.Inf, burst)
	if o.SearchEvery > 0 {
		s.limiter = rate.NewLimiter(rate.Every(o.SearchEvery), burst)
	}
	return s
}

// find returns the entries that name content h: from the content index when
// there is one (ErrBusy until it has read the ledger), else a kept answer, or
// a new search when the limiter allows one (ErrBusy when it does not).
func (s *searcher) find(ctx context.Context, h archive.Hash) ([]ledger.Found, error) {
	if s.contents != nil {
		if !s.contents.Ready() {
			return nil, ErrBusy
		}
		return s.contents.Find(ctx, h)
	}
	if found, ok := s.lookup(h); ok {
		return found, nil
	}
	if !s.limiter.AllowN(s.now(), 1) {
		return nil, ErrBusy
	}
	select {
	case s.running <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.running }()
	if found, ok := s.lookup(h); ok { // found by the search this one waited for
		return found, nil
	}
	found, err := s.ledger.FindContent(ctx, h)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.kept) >= maxKept {
		s.evict()
	}
	s.kept[h] = keptSearch{found: found, at: s.now()}
	return found, nil
}

func (s *searcher) lookup(h archive.Hash) ([]ledger.Found, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.kept[h]
	if ok && s.now().Sub(k.at) > s.keep {
		delete(s.kept, h)
		return nil, false
	}
	return k.found, ok
}

// evict drops the expired answers, and the oldest when none has expired.
// Called with mu held.
func (s *searcher) evict() {
	var oldest archive.Hash
	var at time.Time
	for h, k := range s.kept {
		if s.now().Sub(k.at) > s.keep {
			delete(s.kept, h)
		} else if at.IsZero() || k.at.Before(at) {
			oldest, at = h, k.at
		}
	}
	if len(s.kept) >= maxKept {
		delete(s.kept, oldest)
	}
}
