package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/vigilhq/vigil/store"
)

// openStore opens the shared store named by --store, else the embedded
// SQLite store in the data dir.
func openStore(ctx context.Context, opts Options, logger *slog.Logger) (store.Store, error) {
	if opts.Store != "" {
		return store.Open(ctx, opts.Store, store.WithLogger(logger))
	}
	return store.OpenSQLite(ctx, filepath.Join(opts.DataDir, "vigil.db"), store.WithLogger(logger))
}

// leaseName is the lease that makes one replica the evaluator and notifier.
const leaseName = "alerting-leader"

// leader holds the alerting lease in the store. Replicas that share a store
// take turns:
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
type leader struct {
	st       leaseStore
	holder   string
	interval time.Duration
	logger   *slog.Logger
	// validUntil is the local time until which the last renewal is good.
	validUntil atomic.Int64
	now        func() time.Time
}

// leaseStore is the part of the store leader election needs.
type leaseStore interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

func newLeader(st leaseStore, interval time.Duration, logger *slog.Logger) *leader {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &leader{
		st:       st,
		holder:   fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b)),
		interval: interval,
		logger:   logger,
		now:      time.Now,
	}
}

// ttl is how long the database grants the lease.
func (l *leader) ttl() time.Duration { return l.interval * 3 / 2 }

// trust is how long this replica relies on a renewal, from its start.
func (l *leader) trust() time.Duration { return l.interval }

// period is how often the lease is renewed or polled.
func (l *leader) period() time.Duration { return max(l.interval/5, time.Millisecond) }

// IsLeader reports whether this replica holds an unexpired lease.
func (l *leader) IsLeader() bool {
	return l.now().UnixNano() < l.validUntil.Load()
}

// acquire takes or renews the lease once.
func (l *leader) acquire(ctx context.Context) {
	start := l.now()
	ctx, cancel := context.WithTimeout(ctx, l.trust()/2)
	defer cancel()
	ok, err := l.st.AcquireLease(ctx, leaseName, l.holder, l.ttl())
	was := l.IsLeader()
	switch {
	case err != nil:
		l.logger.Warn("renew alerting lease", "error", err, "leader", was)
		return // keep what we had until it expires
	case ok:
		// Measured from before the call, so a slow store never stretches it.
		l.validUntil.Store(start.Add(l.trust()).UnixNano())
	default:
		l.validUntil.Store(0)
	}
	if ok != was {
		l.logger.Info("alerting leadership changed", "leader", ok, "holder", l.holder)
	}
}

// Run renews (or polls for) the lease every fifth of an interval and releases
// it on exit.
func (l *leader) Run(ctx context.Context) error {
	l.acquire(ctx)
	t := time.NewTicker(l.period())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			l.validUntil.Store(0)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			return l.st.ReleaseLease(rctx, leaseName, l.holder)
		case <-t.C:
			l.acquire(ctx)
		}
	}
}
