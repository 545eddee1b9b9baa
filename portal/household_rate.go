package portal

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// clientRate bounds how often each client may do something (file a disclosure
// request): a token bucket per client address, forgotten when full again. Its
// memory is bounded: past maxClients the full buckets are dropped, and if none
// is, all are (an attacker who fills the table with addresses gains a fresh
// burst, not the server's memory).
type clientRate struct {
	every time.Duration
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

const maxClients = 50_000

func newClientRate(every time.Duration, burst int) *clientRate {
	return &clientRate{every: every, burst: burst, m: map[string]*rate.Limiter{}}
}

// allow reports whether client may act at now, and takes a token if so; when
// not, it says how long until it may.
func (c *clientRate) allow(client string, now time.Time) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.m[client]
	if l == nil {
		if len(c.m) >= maxClients {
			for k, x := range c.m {
				if x.TokensAt(now) >= float64(c.burst) {
					delete(c.m, k)
				}
			}
			if len(c.m) >= maxClients {
				clear(c.m)
			}
		}
		l = rate.NewLimiter(rate.Every(c.every), c.burst)
		c.m[client] = l
	}
	r := l.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
