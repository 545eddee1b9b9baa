package staff

import (
	"sync"
	"time"
)

// Limiter slows down password guessing: after a few failures under one key (an
// account, a client address) each further attempt must wait, twice as long as
// the one before, up to a ceiling. It is a delay, never a lockout: the person
// whose account is under attack can still log in once the delay has passed, and
// a success clears their account's count. Counts are forgotten after a quiet
// day. The state is in memory, per server (several servers each slow an attacker
// down on their own; see docs/portal.md).
type Limiter struct {
	// Free is how many failures cost nothing; Base the first delay after them;
	// Max the ceiling.
	Free      int
	Base, Max time.Duration
	// Forget is how long a key stays without a failure before its count ends.
	Forget time.Duration

	mu   sync.Mutex
	keys map[string]*attempts
}

type attempts struct {
	failures int
	last     time.Time
	until    time.Time // no attempt before
}

// maxKeys bounds the limiter's memory: when more keys are counted, the quiet
// ones are forgotten first.
const maxKeys = 100_000

// NewLimiter returns the default policy: three free failures, then 1 s, 2 s,
// 4 s … up to 15 minutes; counts forgotten after 24 hours without a failure.
func NewLimiter() *Limiter {
	return &Limiter{Free: 3, Base: time.Second, Max: 15 * time.Minute, Forget: 24 * time.Hour, keys: map[string]*attempts{}}
}

// Wait returns how long key must still wait before its next attempt (0: now).
func (l *Limiter) Wait(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.keys[key]
	if a == nil || now.Sub(a.last) > l.Forget {
		return 0
	}
	return max(a.until.Sub(now), 0)
}

// Fail counts a failed attempt of key at now and returns the delay before its
// next one.
func (l *Limiter) Fail(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.keys[key]
	if a == nil || now.Sub(a.last) > l.Forget {
		if a == nil && len(l.keys) >= maxKeys {
			l.forgetQuiet(now)
		}
		a = &attempts{}
		l.keys[key] = a
	}
	a.failures++
	a.last = now
	d := time.Duration(0)
	if n := a.failures - l.Free; n > 0 {
		d = l.Base
		for i := 1; i < n && d < l.Max; i++ {
			d *= 2
		}
		d = min(d, l.Max)
	}
	a.until = now.Add(d)
	return d
}

// Succeed clears the count of key.
func (l *Limiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

// forgetQuiet drops the keys whose delay has passed, or, when none has, every
// key: an attacker who fills the table with addresses must not make the
// limiter's memory grow without end.
func (l *Limiter) forgetQuiet(now time.Time) {
	for k, a := range l.keys {
		if !now.Before(a.until) {
			delete(l.keys, k)
		}
	}
	if len(l.keys) >= maxKeys {
		clear(l.keys)
	}
}
