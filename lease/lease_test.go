package lease_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigilhq/vigil/lease"
	"github.com/vigilhq/vigil/store"
)

// TestLeadersShareARealStore runs two leaders on one SQLite file: exactly
// one leads, and stopping it hands the lease to the other.
func TestLeadersShareARealStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quiet := slog.New(slog.DiscardHandler)
	// A long interval: renewals never matter within the test, the first
	// acquisition and the release do.
	newL := func(name string) *lease.Leader {
		l, err := lease.New(lease.Config{Store: st, Interval: time.Hour, Holder: name, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := newL("a"), newL("b")
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan error)
	go func() { aDone <- a.Run(actx) }()
	waitFor(t, "a leads", a.IsLeader)

	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	bDone := make(chan error)
	go func() { bDone <- b.Run(bctx) }()
	ok, err := st.AcquireLease(ctx, lease.DefaultName, "b", time.Minute)
	if err != nil || ok {
		t.Fatalf("b took a's lease: %v %v", ok, err)
	}
	if b.IsLeader() {
		t.Fatal("two leaders")
	}
	stopA()
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	if a.IsLeader() {
		t.Error("a leads after stopping")
	}
	// b polls every fifth of an hour; a fresh leader on b's name finds the
	// lease free at once.
	ok, err = st.AcquireLease(ctx, lease.DefaultName, "b", time.Minute)
	if err != nil || !ok {
		t.Fatalf("the released lease is not free: %v %v", ok, err)
	}
	stopB()
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
