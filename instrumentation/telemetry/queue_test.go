package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestQueueDropsWhatCannotWait(t *testing.T) {
	release := make(chan struct{})
	var exported atomic.Int64
	d := newDrops("traces", func() *slog.Logger { return slog.New(slog.DiscardHandler) })
	q := newQueue(2, func(ctx context.Context, b []int) error {
		select {
		case <-release: // a slow collector
		case <-ctx.Done():
			return ctx.Err()
		}
		exported.Add(int64(len(b)))
		return nil
	}, slices.Clone[[]int], d)
	// One batch in flight, two queued, the rest dropped: enqueue never
	// blocks however slow the export is.
	for range 10 {
		if err := q.enqueue([]int{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.total.Load(); got < 21 || got > 27 {
		t.Errorf("dropped %d items, want 21 to 27 (7 to 9 batches of 3)", got)
	}
	close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.flush(ctx); err != nil {
		t.Fatal(err)
	}
	if exported.Load()+d.total.Load() != 30 {
		t.Errorf("exported %d + dropped %d, want all 30 items accounted for", exported.Load(), d.total.Load())
	}
	if err := q.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := q.enqueue([]int{1}); !errors.Is(err, errQueueShutdown) {
		t.Errorf("enqueue after shutdown: %v", err)
	}
}

func TestQueueShutdownCancelsAStuckExport(t *testing.T) {
	d := newDrops("logs", func() *slog.Logger { return slog.New(slog.DiscardHandler) })
	q := newQueue(4, func(ctx context.Context, _ []int) error {
		<-ctx.Done() // a collector that never answers
		return ctx.Err()
	}, slices.Clone[[]int], d)
	for range 3 {
		_ = q.enqueue([]int{1})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := q.shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("shutdown: %v", err)
	}
	if d.total.Load() != 3 {
		t.Errorf("dropped %d, want the 3 items that never left", d.total.Load())
	}
}
