package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/gongshi-archive/gongshi/archive/blob"
	"github.com/gongshi-archive/gongshi/internal/ctxio"
	"github.com/gongshi-archive/gongshi/internal/holder"
)

// The append lease.
//
// Only one process appends to the ledger at a time: before it commits a batch,
// a writer takes the lease for appending at the log's current size n, and gives
// it back when the batch, its tiles, its lookup keys and its checkpoint are
// stored. A writer that finds the lease taken waits (polling, within
// Options.LeaseWait) instead of racing for index n and failing after a few lost
// races; concurrent callers of its own process meanwhile queue into its next
// batch, so a waiting process loses nothing of its throughput.
//
// Everything is a create-once object under a prefix of its own, so the lease
// works on every store, the filesystem and S3 alike:
//
//	lease/ledger/<n/1000>/<n>/<g>         grant g of the lease at size n: holder, expiry
//	lease/ledger/<n/1000>/<n>/<g>.free    grant g given back
//	lease/ledger/<n/1000>/<n>/w.<holder>  a writer waiting at size n (so the holder yields)
//
// The lease at size n is free when it has no grant, when its last grant is given
// back, or when that grant has expired. Taking it is the create-once put of grant
// g+1: of several writers that find it free, or expired, exactly one creates it.
//
// Expiry. A grant records when it expires, by its holder's clock (granted +
// LeaseTTL), and who holds it (internal/holder: a random name, the host, the pid).
// A waiter takes over a grant that has expired by its own clock, that it has
// itself watched unchanged for LeaseTTL of its own monotonic time (a holder whose
// clock runs ahead does not block the others for longer than that), or whose
// holder is a process of this machine that has ended: a batch killed and run
// again at once does not wait for the lease of the killed one.
//
// Clocks and stale holders never decide anything about the log itself: the lease
// only keeps writers from racing. Batches and checkpoints are create-once objects
// at their index, so a holder that was paused past its expiry and resumes after a
// new holder appended at n fails to create batch n, reloads and appends after it:
// nothing it does can overwrite or fork the new holder's work (TestStaleHolder).
// A clock that is wrong makes a waiter take over too early, and the writers race
// as they would without a lease, safely.
//
// Grants are small deferred puts: a lease is only useful while its holder runs,
// so a power failure that takes one back loses nothing.

const leasePrefix = "lease/ledger/"

// Defaults of Options.LeaseTTL and Options.LeaseWait.
const (
	DefaultLeaseTTL  = 30 * time.Second
	DefaultLeaseWait = 2 * time.Minute
)

const (
	// pollMin and pollMax bound the pause between two looks at a lease held by
	// another writer (doubling, with jitter).
	pollMin = 2 * time.Millisecond
	pollMax = 20 * time.Millisecond
	// yieldWait is how long a writer that gave the lease back with others
	// waiting leaves the next one to them before it takes it again: more than
	// pollMax, so that a waiter looks at least once.
	yieldWait = 3 * pollMax
)

// leaseSizeDir is the directory of the lease at size n.
func leaseSizeDir(n int64) string {
	return fmt.Sprintf("%s%013d/%016d/", leasePrefix, n/1000, n)
}

func grantKey(n int64, g int) string { return fmt.Sprintf("%s%06d", leaseSizeDir(n), g) }

// errMoved: the log grew past the size whose lease was asked for; reload it.
var errMoved = errors.New("the log grew while waiting for the lease")

// leaser takes and gives back the append lease of one Log.
type leaser struct {
	store  blob.Store
	me     holder.Holder // this Log in grants (a random name, where it runs, its pid)
	holder string        // me.Name
	ttl    time.Duration
	wait   time.Duration
	now    func() time.Time
	// yield: others were waiting when this Log last gave the lease back.
	yield bool
	// seen is the last grant read of another writer (grants never change).
	seen grant
}

func newLeaser(st blob.Store, ttl, wait time.Duration, now func() time.Time) *leaser {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if wait <= 0 {
		wait = DefaultLeaseWait
	}
	if now == nil {
		now = time.Now
	}
	me := holder.New()
	return &leaser{store: st, me: me, holder: me.Name, ttl: ttl, wait: wait, now: now}
}

// grant is one grant of the lease as stored.
type grant struct {
	size    int64
	gen     int
	holder  string
	by      holder.Holder
	expires time.Time // zero when the grant cannot be read: expired
}

func (g grant) text() string {
	return fmt.Sprintf("gongshi ledger lease\nsize %d\ngrant %d\n%sexpires %s\n",
		g.size, g.gen, g.by.Lines(), g.expires.UTC().Format(timeLayout))
}

func parseGrant(b []byte) (by holder.Holder, expires time.Time) {
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "expires "); ok {
			expires, _ = time.Parse(timeLayout, v)
		}
	}
	return holder.Parse(string(b)), expires
}

// leaseState is what one look at the lease at a size found.
type leaseState struct {
	last    *grant // the highest grant; nil when none
	free    bool   // the last grant was given back
	waiters int    // writers other than this one waiting
}

func (le *leaser) look(ctx context.Context, n int64) (leaseState, error) {
	var st leaseState
	dir := leaseSizeDir(n)
	var lastKey string
	frees := map[int]bool{}
	err := le.store.List(ctx, dir, "", func(info blob.Info) error {
		name := strings.TrimPrefix(info.Key, dir)
		switch {
		case strings.HasPrefix(name, "w."):
			if name != "w."+le.holder {
				st.waiters++
			}
		case strings.HasSuffix(name, ".free"):
			if g, err := strconv.Atoi(strings.TrimSuffix(name, ".free")); err == nil {
				frees[g] = true
			}
		default:
			if g, err := strconv.Atoi(name); err == nil && len(name) == 6 {
				if st.last == nil || g > st.last.gen {
					st.last, lastKey = &grant{size: n, gen: g}, info.Key
				}
			}
		}
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("ledger: lease at %d: %w", n, err)
	}
	if st.last != nil {
		st.free = frees[st.last.gen]
		if !st.free {
			// A grant is created once: read each one once.
			if c := le.seen; c.size == n && c.gen == st.last.gen {
				st.last.holder, st.last.by, st.last.expires = c.holder, c.by, c.expires
				return st, nil
			}
			b, err := readAll(ctx, le.store, lastKey)
			if err != nil && !errors.Is(err, blob.ErrNotFound) {
				return st, fmt.Errorf("ledger: lease at %d: %w", n, err)
			}
			st.last.by, st.last.expires = parseGrant(b)
			st.last.holder = st.last.by.Name
			le.seen = *st.last
		}
	}
	return st, nil
}

// acquire takes the lease for appending at size n, waiting while another writer
// holds it, within le.wait. moved reports whether the log already has a batch at
// n (someone appended while this writer waited): then acquire returns errMoved
// and holds nothing. Waiting longer than le.wait is ErrConflict.
func (le *leaser) acquire(ctx context.Context, n int64, moved func(context.Context) (bool, error)) (grant, error) {
	start := time.Now() // monotonic: how long this writer has waited
	var watched struct {
		gen   int
		since time.Time
	}
	registered := false
	pause := pollMin
	sleep := func(d time.Duration) error { return ctxio.Sleep(ctx, d/2+rand.N(d/2+1)) }
	take := func(gen int) (grant, error) {
		g := grant{size: n, gen: gen, holder: le.holder, by: le.me, expires: le.now().Add(le.ttl)}
		text := g.text()
		_, err := le.store.Put(ctx, grantKey(n, g.gen), strings.NewReader(text),
			blob.PutOptions{Size: int64(len(text)), ContentType: "text/plain", Deferred: true})
		if err != nil && !errors.Is(err, blob.ErrExists) {
			err = fmt.Errorf("ledger: lease at %d: %w", n, err)
		}
		return g, err
	}
	if !le.yield {
		// The common case: nobody has asked for the lease at this size yet, and
		// one put takes it.
		g, err := take(1)
		if !errors.Is(err, blob.ErrExists) {
			return g, err
		}
	} else {
		// Others waited for the lease this writer gave back: leave the next one
		// to them for a moment.
		le.yield = false
		for time.Since(start) < yieldWait {
			st, err := le.look(ctx, n)
			if err != nil {
				return grant{}, err
			}
			if st.last != nil {
				break
			}
			if err := sleep(pollMin * 4); err != nil {
				return grant{}, err
			}
		}
	}
	for {
		st, err := le.look(ctx, n)
		if err != nil {
			return grant{}, err
		}
		taken := st.last != nil && !st.free
		if taken && st.last.holder == le.holder {
			// A grant of this writer's own, left by an append that failed
			// before it could give it back: it holds the lease still.
			return *st.last, nil
		}
		if taken && watched.gen != st.last.gen {
			watched.gen, watched.since = st.last.gen, time.Now()
		}
		// Expired by this writer's clock, watched for a whole TTL, or its
		// holder is a process of this machine that has ended (a killed batch).
		expired := taken && (!le.now().Before(st.last.expires) || time.Since(watched.since) >= le.ttl || st.last.by.Gone())
		if !taken || expired {
			if st.last != nil {
				// Someone held the lease at n before: it may have appended.
				m, err := moved(ctx)
				if err != nil {
					return grant{}, err
				}
				if m {
					return grant{}, errMoved
				}
			}
			gen := 1
			if st.last != nil {
				gen = st.last.gen + 1
			}
			g, err := take(gen)
			if err == nil {
				return g, nil
			}
			if !errors.Is(err, blob.ErrExists) {
				return grant{}, err
			}
			// Another writer took it first: it is theirs now.
			pause = pollMin
			continue
		}
		if !registered {
			// Say that this writer waits, so that the holder yields the next
			// lease to it instead of taking it again at once.
			key := leaseSizeDir(n) + "w." + le.holder
			_, err := le.store.Put(ctx, key, bytes.NewReader(nil), blob.PutOptions{Size: 0, Deferred: true})
			if err != nil && !errors.Is(err, blob.ErrExists) {
				return grant{}, fmt.Errorf("ledger: lease at %d: %w", n, err)
			}
			registered = true
		}
		if time.Since(start) >= le.wait {
			return grant{}, fmt.Errorf("ledger: append at %d: %w: the append lease has been held by %s (grant %d) for longer than %s",
				n, ErrConflict, st.last.holder, st.last.gen, le.wait)
		}
		if err := sleep(pause); err != nil {
			return grant{}, err
		}
		pause = min(2*pause, pollMax)
	}
}

// release gives grant g back and notes whether others were waiting for it (they
// said so beside the grant, so both are done at once). Failing to give it back
// costs the others a wait until it expires, nothing more, so its error is only
// returned for the tests.
func (le *leaser) release(ctx context.Context, g grant) error {
	key := grantKey(g.size, g.gen) + ".free"
	var st leaseState
	var lerr error
	looked := make(chan struct{})
	go func() {
		defer close(looked)
		st, lerr = le.look(ctx, g.size)
	}()
	_, err := le.store.Put(ctx, key, bytes.NewReader(nil), blob.PutOptions{Size: 0, Deferred: true})
	<-looked
	if err != nil && !errors.Is(err, blob.ErrExists) {
		return fmt.Errorf("ledger: release lease at %d: %w", g.size, err)
	}
	le.yield = lerr == nil && st.waiters > 0
	return lerr
}
