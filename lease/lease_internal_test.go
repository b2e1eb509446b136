package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// fakeLeases is one lease table with an explicit clock, shared by the
// leaders of a test.
type fakeLeases struct {
	mu      sync.Mutex
	now     func() time.Time
	holder  string
	expires time.Time
	err     error // returned by AcquireLease when set
}

func (f *fakeLeases) AcquireLease(_ context.Context, _, holder string, ttl time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	now := f.now()
	if f.holder == holder || f.holder == "" || !now.Before(f.expires) {
		f.holder, f.expires = holder, now.Add(ttl)
	}
	return f.holder == holder, nil
}

func (f *fakeLeases) ReleaseLease(_ context.Context, _, holder string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder == holder {
		f.holder = ""
	}
	return nil
}

func TestLeaderLease(t *testing.T) {
	const interval = time.Second
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	quiet := slog.New(slog.DiscardHandler)
	st := &fakeLeases{now: clock}
	newL := func(name string) *Leader {
		l, err := New(Config{Store: st, Interval: interval, Logger: quiet, Holder: name, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := newL("a"), newL("b")
	ctx := context.Background()

	a.acquire(ctx)
	b.acquire(ctx)
	if !a.IsLeader() || b.IsLeader() {
		t.Fatalf("first come: a %v b %v, want only a", a.IsLeader(), b.IsLeader())
	}

	// a renews every fifth of an interval and keeps the lease.
	for range 10 {
		now = now.Add(interval / 5)
		a.acquire(ctx)
		b.acquire(ctx)
		if !a.IsLeader() || b.IsLeader() {
			t.Fatalf("at %s: a %v b %v, want only a", now.Sub(t0), a.IsLeader(), b.IsLeader())
		}
	}

	// The store fails: a trusts its last renewal for one interval, not more.
	st.err = errors.New("connection refused")
	renewed := now
	now = renewed.Add(interval - time.Millisecond)
	a.acquire(ctx)
	if !a.IsLeader() {
		t.Fatal("a lost the lease before its renewal ran out")
	}
	now = renewed.Add(interval)
	if a.IsLeader() {
		t.Fatal("a still leads one interval after its last renewal")
	}
	st.err = nil

	// a is gone (no more renewals): b takes over once the store's 1.5
	// intervals have run, never earlier, so the two never overlap.
	now = renewed.Add(interval*3/2 - time.Millisecond)
	b.acquire(ctx)
	if b.IsLeader() {
		t.Fatal("b took a lease that had not expired")
	}
	now = renewed.Add(interval * 3 / 2)
	b.acquire(ctx)
	if !b.IsLeader() {
		t.Fatal("b did not take the expired lease")
	}
	// Worst case from a's death (just after its last renewal) to b's
	// evaluation: expiry, one poll and one engine leadership check.
	if worst := a.ttl() + b.period() + interval/8; worst >= 2*interval {
		t.Errorf("takeover bound %s, want under two intervals", worst)
	}

	// A clean stop releases the lease at once.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- b.Run(rctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b.IsLeader() {
		t.Error("b leads after stopping")
	}
	a.acquire(ctx)
	if !a.IsLeader() {
		t.Error("a could not take the released lease")
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{Interval: time.Second}); err == nil {
		t.Error("a leader without a store")
	}
	if _, err := New(Config{Store: &fakeLeases{now: time.Now}}); err == nil {
		t.Error("a leader without an interval")
	}
	l, err := New(Config{Store: &fakeLeases{now: time.Now}, Interval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if l.name != DefaultName || l.Holder() == "" || l.IsLeader() {
		t.Errorf("defaults: name %q holder %q leader %v", l.name, l.Holder(), l.IsLeader())
	}
}
