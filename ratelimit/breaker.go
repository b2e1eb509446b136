package ratelimit

import (
	"sync"
	"time"
)

// Breaker defaults: a dead Redis is called DefaultBreakerFailures times in
// a row, then not at all for DefaultRedisCooldown, after which one request
// probes it (half-open).
const (
	DefaultRedisTimeout    = 50 * time.Millisecond
	DefaultRedisCooldown   = 5 * time.Second
	DefaultBreakerFailures = 3
)

// breaker is a circuit breaker over the Redis backend. Closed, every call
// goes through; after threshold consecutive failures it opens for cooldown,
// during which no call goes through; then one call probes (half-open): its
// success closes the breaker, its failure opens it again.
type breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time

	mu        sync.Mutex
	failures  int
	openUntil time.Time // zero: closed
	probing   bool
}

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, now: now}
}

// allow reports whether this call may use the backend.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openUntil.IsZero() {
		return true
	}
	if b.probing || b.now().Before(b.openUntil) {
		return false
	}
	b.probing = true
	return true
}

// success records a call that the backend answered: the breaker closes.
func (b *breaker) success() {
	b.mu.Lock()
	b.failures, b.openUntil, b.probing = 0, time.Time{}, false
	b.mu.Unlock()
}

// failure records a failed call; a failed probe or the threshold-th
// consecutive failure opens the breaker.
func (b *breaker) failure() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	if b.probing || b.failures >= b.threshold {
		b.openUntil, b.probing = b.now().Add(b.cooldown), false
	}
}

// release gives back a probe that ended without a verdict (the caller went
// away), so that the next call probes.
func (b *breaker) release() {
	b.mu.Lock()
	b.probing = false
	b.mu.Unlock()
}

// state returns when the breaker reopens for a probe; zero when closed.
func (b *breaker) state() (openUntil time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.openUntil
}
