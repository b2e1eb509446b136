package reporting

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/vigilhq/vigil/store"
)

// UsageStore is what Usage needs of the store: minute rollups (each also
// counted in its hour by the store) and the hourly rollups.
type UsageStore interface {
	AddUsageMinutes(ctx context.Context, rows []store.UsageMinute) error
	ListUsageMinutes(ctx context.Context, f store.UsageFilter) ([]store.UsageMinute, error)
	DeleteUsageMinutesBefore(ctx context.Context, t time.Time) (int64, error)
	UsageMinutesSince(ctx context.Context) (time.Time, error)
	ListUsage(ctx context.Context, f store.UsageFilter) ([]store.UsageRollup, error)
	DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error)
}

// OverflowClient is the client name under which requests of new clients are
// counted once UsageConfig.MaxKeys distinct keys are in memory.
const OverflowClient = "_other"

// UsageConfig configures a Usage.
type UsageConfig struct {
	// Store receives the minute rollups (and from them the hourly ones).
	// Required.
	Store UsageStore
	// Logger. Optional. Default value discards.
	Logger *slog.Logger
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
	// MemorySpan is how far back minute buckets are kept in memory, and
	// minute rollups in the store. Optional. Default value 24h.
	MemorySpan time.Duration
	// MaxKeys bounds the distinct (client, route, method) keys in memory.
	// Optional. Default value 5000.
	MaxKeys int
	// FlushInterval is how often minute deltas go to the store. Optional.
	// Default value 1m.
	FlushInterval time.Duration
	// Retention is how long rollups are kept in the store. Optional. Default
	// value 30 days.
	Retention time.Duration
	// RetentionInterval is how often old rollups are deleted. Optional.
	// Default value 1h.
	RetentionInterval time.Duration
}

func (c UsageConfig) defaults() UsageConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MemorySpan == 0 {
		c.MemorySpan = 24 * time.Hour
	}
	if c.MaxKeys == 0 {
		c.MaxKeys = 5000
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Minute
	}
	if c.Retention == 0 {
		c.Retention = 30 * 24 * time.Hour
	}
	if c.RetentionInterval == 0 {
		c.RetentionInterval = time.Hour
	}
	return c
}

func (c UsageConfig) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("store is required")
	case c.MemorySpan < time.Minute:
		return errors.New("memory span must be at least 1m")
	case c.MaxKeys < 1:
		return errors.New("max keys must be positive")
	case c.FlushInterval < 0 || c.RetentionInterval < 0:
		return errors.New("intervals must be positive")
	case c.Retention < time.Hour:
		return errors.New("retention must be at least 1h")
	}
	return nil
}

// UsageKey identifies what usage is counted by.
type UsageKey struct {
	Client string
	Route  string
	Method string
}

// Counts are the usage counters of one key over some time.
type Counts struct {
	Requests    int64 `json:"requests"`
	Errors      int64 `json:"errors"`
	RateLimited int64 `json:"rate_limited"`
	Tokens      int64 `json:"tokens"`
}

func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.Errors += o.Errors
	c.RateLimited += o.RateLimited
	c.Tokens += o.Tokens
}

type minuteBucket struct {
	minute int64 // unix minutes
	counts map[UsageKey]*Counts
}

type minuteKey struct {
	minute int64 // unix minutes
	key    UsageKey
}

// Usage counts requests exactly per minute and per key, and rolls them up
// per minute (kept MemorySpan) and per hour (kept Retention) into the
// store. Safe for concurrent use.
type Usage struct {
	cfg     UsageConfig
	started time.Time

	mu       sync.Mutex
	buckets  []minuteBucket        // ascending minutes
	keys     map[UsageKey]int64    // key → newest minute it was counted in
	pending  map[minuteKey]*Counts // minute deltas not yet in the store
	overflow uint64
	// From LoadHistory: the newest hourly rollup in the store, and the
	// newest of an hour counted before the store kept minute rollups
	// (whose minutes are unknown).
	newest time.Time
	prior  time.Time

	flushMu sync.Mutex // one flush at a time keeps rows ordered
}

// NewUsage returns a Usage; Run starts its flush and retention loop.
func NewUsage(cfg UsageConfig) (*Usage, error) {
	cfg = cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%w: usage: %w", ErrInvalidConfig, err)
	}
	return &Usage{
		cfg:     cfg,
		started: cfg.Now(),
		keys:    map[UsageKey]int64{},
		pending: map[minuteKey]*Counts{},
	}, nil
}

// LoadHistory reads what the store already holds, so Query knows how to
// answer a window reaching back before Started: not at all when the store
// holds nothing of it (memory is complete), per minute from the minute
// rollups, or per hour for hours the store counted before it kept minute
// rollups (an upgraded store). Call it before the first request is counted.
func (u *Usage) LoadHistory(ctx context.Context) error {
	since, err := u.cfg.Store.UsageMinutesSince(ctx)
	if err != nil {
		return fmt.Errorf("load usage history: %w", err)
	}
	rows, err := u.cfg.Store.ListUsage(ctx, store.UsageFilter{Since: u.started.Add(-u.cfg.MemorySpan).Truncate(time.Hour)})
	if err != nil {
		return fmt.Errorf("load usage history: %w", err)
	}
	var newest, prior time.Time
	var mixedHour int64 // counts of the hour minute rollups began in
	first := since.Truncate(time.Hour)
	for _, r := range rows {
		if r.Hour.After(newest) {
			newest = r.Hour
		}
		switch {
		case r.Hour.Before(first):
			if r.Hour.After(prior) {
				prior = r.Hour
			}
		case r.Hour.Equal(first):
			mixedHour += r.Requests + r.Errors + r.RateLimited + r.Tokens
		}
	}
	if mixedHour > 0 {
		// Counted before the minute rollups began within their first
		// hour? Then the hour holds more than its minutes.
		ms, err := u.cfg.Store.ListUsageMinutes(ctx, store.UsageFilter{Since: first, Until: first.Add(time.Hour)})
		if err != nil {
			return fmt.Errorf("load usage history: %w", err)
		}
		for _, m := range ms {
			mixedHour -= m.Requests + m.Errors + m.RateLimited + m.Tokens
		}
		if mixedHour > 0 {
			prior = first
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.newest, u.prior = newest, prior
	return nil
}

// Started is when the Usage was created: memory holds nothing older.
func (u *Usage) Started() time.Time { return u.started }

// Overflow reports how many requests were counted under OverflowClient.
func (u *Usage) Overflow() uint64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.overflow
}

// Record counts c for k at time t.
func (u *Usage) Record(t time.Time, k UsageKey, c Counts) {
	minute := floorDiv(t.Unix(), 60)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.evict(floorDiv(u.cfg.Now().Unix(), 60))
	if _, known := u.keys[k]; !known && len(u.keys) >= u.cfg.MaxKeys {
		k.Client = OverflowClient
		u.overflow++
	}
	if b := u.bucket(minute); b != nil {
		if p := b.counts[k]; p != nil {
			p.add(c)
		} else {
			cc := c
			b.counts[k] = &cc
		}
		if minute > u.keys[k] || u.keys[k] == 0 {
			u.keys[k] = minute
		}
	}
	mk := minuteKey{minute: minute, key: k}
	if p := u.pending[mk]; p != nil {
		p.add(c)
	} else {
		cc := c
		u.pending[mk] = &cc
	}
}

// bucket finds or creates the bucket of minute; nil if it is older than
// every kept bucket while others exist (it is still rolled up).
func (u *Usage) bucket(minute int64) *minuteBucket {
	n := len(u.buckets)
	if n == 0 || u.buckets[n-1].minute < minute {
		u.buckets = append(u.buckets, minuteBucket{minute: minute, counts: map[UsageKey]*Counts{}})
		return &u.buckets[len(u.buckets)-1]
	}
	i, found := slices.BinarySearchFunc(u.buckets, minute, func(b minuteBucket, m int64) int { return cmp.Compare(b.minute, m) })
	if found {
		return &u.buckets[i]
	}
	if i == 0 {
		return nil
	}
	u.buckets = slices.Insert(u.buckets, i, minuteBucket{minute: minute, counts: map[UsageKey]*Counts{}})
	return &u.buckets[i]
}

// evict drops buckets older than the memory span and keys no bucket holds.
func (u *Usage) evict(nowMinute int64) {
	oldest := nowMinute - int64(u.cfg.MemorySpan/time.Minute)
	i := 0
	for i < len(u.buckets) && u.buckets[i].minute <= oldest {
		i++
	}
	if i == 0 {
		return
	}
	u.buckets = slices.Delete(u.buckets, 0, i)
	for k, last := range u.keys {
		if last <= oldest {
			delete(u.keys, k)
		}
	}
}

// Flush adds the minute deltas counted since the last flush to the store
// (which adds them to their hours in the same transaction). On failure
// the deltas are kept for the next flush.
func (u *Usage) Flush(ctx context.Context) error {
	u.flushMu.Lock()
	defer u.flushMu.Unlock()
	u.mu.Lock()
	pending := u.pending
	u.pending = map[minuteKey]*Counts{}
	u.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	rows := make([]store.UsageMinute, 0, len(pending))
	for mk, c := range pending {
		rows = append(rows, store.UsageMinute{
			Minute: time.Unix(mk.minute*60, 0).UTC(), Client: mk.key.Client, Route: mk.key.Route, Method: mk.key.Method,
			Requests: c.Requests, Errors: c.Errors, RateLimited: c.RateLimited, Tokens: c.Tokens,
		})
	}
	slices.SortFunc(rows, func(a, b store.UsageMinute) int {
		return cmp.Or(a.Minute.Compare(b.Minute), cmp.Compare(a.Client, b.Client), cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method))
	})
	if err := u.cfg.Store.AddUsageMinutes(ctx, rows); err != nil {
		u.mu.Lock()
		for mk, c := range pending {
			if p := u.pending[mk]; p != nil {
				p.add(*c)
			} else {
				u.pending[mk] = c
			}
		}
		u.mu.Unlock()
		return fmt.Errorf("flush usage: %w", err)
	}
	return nil
}

// DeleteExpired removes hourly rollups older than the retention and minute
// rollups older than the memory span (and a minute).
func (u *Usage) DeleteExpired(ctx context.Context) (int64, error) {
	now := u.cfg.Now()
	n, err := u.cfg.Store.DeleteUsageBefore(ctx, now.Add(-u.cfg.Retention).Truncate(time.Hour))
	if err != nil {
		return 0, fmt.Errorf("delete expired usage: %w", err)
	}
	m, err := u.cfg.Store.DeleteUsageMinutesBefore(ctx, now.Add(-u.cfg.MemorySpan-time.Minute).Truncate(time.Minute))
	if err != nil {
		return n, fmt.Errorf("delete expired usage minutes: %w", err)
	}
	return n + m, nil
}

// Run flushes every FlushInterval and deletes expired rollups every
// RetentionInterval (and once at start) until ctx ends. Failures are logged
// and retried on the next tick.
func (u *Usage) Run(ctx context.Context) error {
	flush := time.NewTicker(u.cfg.FlushInterval)
	defer flush.Stop()
	ret := time.NewTicker(u.cfg.RetentionInterval)
	defer ret.Stop()
	u.retain(ctx)
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-flush.C:
			if err := u.Flush(ctx); err != nil && ctx.Err() == nil {
				u.cfg.Logger.Error("usage flush failed; retrying", "error", err)
			}
		case <-ret.C:
			u.retain(ctx)
		}
	}
}

func (u *Usage) retain(ctx context.Context) {
	n, err := u.DeleteExpired(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: not a failure of the store
		}
		u.cfg.Logger.Error("usage retention failed", "error", err)
		return
	}
	if n > 0 {
		u.cfg.Logger.Info("usage rollups expired", "rows", n)
	}
}

// Close flushes what is left. Call it after the last request was counted.
func (u *Usage) Close(ctx context.Context) error {
	return u.Flush(ctx)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
