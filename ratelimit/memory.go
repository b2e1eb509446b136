package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Memory is the in-memory GCRA limiter of one process.
type Memory struct {
	cfg  Config
	opts options

	mu        sync.Mutex
	tat       map[string]time.Time // key → theoretical arrival time
	lastSweep time.Time
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns an in-memory limiter for cfg.
func NewMemory(cfg Config, opts ...Option) (*Memory, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := newOptions(opts)
	return &Memory{cfg: cfg.withDefaults(), opts: o, tat: make(map[string]time.Time), lastSweep: o.now()}, nil
}

// Allow admits or refuses one request of client to route. It never returns
// an error.
func (m *Memory) Allow(_ context.Context, client, route string) (Decision, error) {
	l, ok := m.cfg.match(route)
	if !ok {
		return Decision{Allowed: true}, nil
	}
	key := l.Route + "\x00" + client
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.opts.now()
	m.maybeSweep(now)
	d, tat := gcra(l, m.tat[key], now)
	if d.Allowed {
		if _, exists := m.tat[key]; !exists && len(m.tat) >= m.opts.maxKeys {
			m.evictOne()
		}
		m.tat[key] = tat
	}
	return d, nil
}

// Len returns the number of keys held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tat)
}

// Health reports "pass": the in-memory limiter has no dependency.
func (m *Memory) Health() (status, detail string) {
	return "pass", fmt.Sprintf("in-memory, %d keys", m.Len())
}

// maybeSweep drops the buckets that are full again (tat in the past: they
// behave exactly like absent keys) once per minute or when the map is full.
func (m *Memory) maybeSweep(now time.Time) {
	if now.Sub(m.lastSweep) < time.Minute && len(m.tat) < m.opts.maxKeys {
		return
	}
	m.lastSweep = now
	for k, t := range m.tat {
		if !t.After(now) {
			delete(m.tat, k)
		}
	}
}

// evictOne drops the key closest to a full bucket among a small sample: the
// map is full of active clients, and forgetting one gives it a fresh budget.
func (m *Memory) evictOne() {
	var victim string
	var oldest time.Time
	n := 0
	for k, t := range m.tat {
		if n == 0 || t.Before(oldest) {
			victim, oldest = k, t
		}
		n++
		if n == 8 {
			break
		}
	}
	delete(m.tat, victim)
}
