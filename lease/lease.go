package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// DefaultName is the lease that makes one replica the alerting evaluator
// and notifier.
const DefaultName = "alerting-leader"

// Store is the part of the store leader election needs. AcquireLease takes
// or renews the named lease for holder until now+ttl by the store's clock
// and reports whether holder owns it.
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Config configures a Leader.
type Config struct {
	// Store keeps the lease. Required.
	Store Store
	// Interval is the evaluation interval the lease is sized for. Required.
	Interval time.Duration
	// Name of the lease. Optional. Default DefaultName.
	Name string
	// Holder identifies this replica. Optional. Default host-pid-random.
	Holder string
	// Logger reports leadership changes and failed renewals. Optional.
	// Default slog.Default().
	Logger *slog.Logger
	// Now is the local clock. Optional. Default time.Now.
	Now func() time.Time
}

func (c Config) defaults() Config {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		c.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if c.Store == nil {
		return errors.New("invalid configuration: lease: store is required")
	}
	if c.Interval <= 0 {
		return fmt.Errorf("invalid configuration: lease: interval %s must be positive", c.Interval)
	}
	return nil
}

// Leader holds a lease in the store. Replicas that share a store take
// turns:
//
//   - the holder renews every fifth of an interval, for 1.5 intervals by
//     the database's clock;
//   - it trusts its lease for one interval after the start of the last
//     successful renewal, half an interval less than the database grants,
//     so a cycle that starts just before its belief ends still finishes
//     before another replica can take over; a store outage therefore stops
//     it from evaluating after one interval, not never;
//   - when it dies (kill -9) its lease expires at most 1.5 intervals after
//     its last renewal; a follower polling every fifth of an interval takes
//     it, and the engine evaluates as soon as it sees the change (it checks
//     every eighth of an interval), so a takeover happens within
//     1.5 + 0.2 + 0.125 < 2 evaluation intervals;
//   - on a clean shutdown it releases the lease, and a follower takes over
//     within a third of an interval.
type Leader struct {
	st       Store
	name     string
	holder   string
	interval time.Duration
	logger   *slog.Logger
	// validUntil is the local time until which the last renewal is good.
	validUntil atomic.Int64
	now        func() time.Time
}

// New returns a leader that has not tried the lease yet: it leads once Run
// acquired it.
func New(cfg Config) (*Leader, error) {
	cfg = cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Leader{st: cfg.Store, name: cfg.Name, holder: cfg.Holder, interval: cfg.Interval,
		logger: cfg.Logger, now: cfg.Now}, nil
}

// Holder is this replica's name in the lease.
func (l *Leader) Holder() string { return l.holder }

// ttl is how long the database grants the lease.
func (l *Leader) ttl() time.Duration { return l.interval * 3 / 2 }

// trust is how long this replica relies on a renewal, from its start.
func (l *Leader) trust() time.Duration { return l.interval }

// period is how often the lease is renewed or polled.
func (l *Leader) period() time.Duration { return max(l.interval/5, time.Millisecond) }

// IsLeader reports whether this replica holds an unexpired lease.
func (l *Leader) IsLeader() bool {
	return l.now().UnixNano() < l.validUntil.Load()
}

// acquire takes or renews the lease once.
func (l *Leader) acquire(ctx context.Context) {
	start := l.now()
	ctx, cancel := context.WithTimeout(ctx, l.trust()/2)
	defer cancel()
	ok, err := l.st.AcquireLease(ctx, l.name, l.holder, l.ttl())
	was := l.IsLeader()
	switch {
	case err != nil:
		l.logger.Warn("renew lease", "lease", l.name, "error", err, "leader", was)
		return // keep what we had until it expires
	case ok:
		// Measured from before the call, so a slow store never stretches it.
		l.validUntil.Store(start.Add(l.trust()).UnixNano())
	default:
		l.validUntil.Store(0)
	}
	if ok != was {
		l.logger.Info("leadership changed", "lease", l.name, "leader", ok, "holder", l.holder)
	}
}

// Run renews (or polls for) the lease every fifth of an interval until ctx
// ends, then releases it.
func (l *Leader) Run(ctx context.Context) error {
	l.acquire(ctx)
	t := time.NewTicker(l.period())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.validUntil.Store(0)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			return l.st.ReleaseLease(rctx, l.name, l.holder)
		case <-t.C:
			l.acquire(ctx)
		}
	}
}
