package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// ErrExporterShutdown is returned by every method of an exporter after
// Shutdown.
var ErrExporterShutdown = errors.New("exporter is shut down")

// ErrQueueFull is returned (wrapped) by Export when a batch was dropped
// because the sink is not keeping up.
var ErrQueueFull = errors.New("exporter queue full")

type item[T any] struct {
	batch   []T
	flushed chan struct{} // non-nil: a flush marker
}

// handoff is a bounded queue drained by one goroutine into deliver.
type handoff[T any] struct {
	queue    chan item[T]
	stop     chan struct{}
	done     chan struct{}
	closed   atomic.Bool
	stopOnce sync.Once
	cancel   context.CancelFunc
	deliver  func(ctx context.Context, batch []T) error
	onDrop   func(n int)
	logger   *slog.Logger
	signal   string
}

func newHandoff[T any](size int, signal string, logger *slog.Logger, deliver func(context.Context, []T) error, onDrop func(int)) *handoff[T] {
	ctx, cancel := context.WithCancel(context.Background()) //nolint:gosec // kept in h.cancel, called by shutdown
	h := &handoff[T]{
		queue:   make(chan item[T], size),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
		cancel:  cancel,
		deliver: deliver,
		onDrop:  onDrop,
		logger:  logger,
		signal:  signal,
	}
	go h.run(ctx)
	return h
}

func (h *handoff[T]) run(ctx context.Context) {
	defer close(h.done)
	for {
		select {
		case it := <-h.queue:
			h.handle(ctx, it)
		case <-h.stop:
			for {
				select {
				case it := <-h.queue:
					h.handle(ctx, it)
				default:
					return
				}
			}
		}
	}
}

func (h *handoff[T]) handle(ctx context.Context, it item[T]) {
	if it.flushed != nil {
		close(it.flushed)
		return
	}
	if err := h.deliver(ctx, it.batch); err != nil {
		h.onDrop(len(it.batch))
		h.logger.LogAttrs(ctx, slog.LevelWarn, "exporter sink failed",
			slog.String("signal", h.signal), slog.Int("items", len(it.batch)), slog.Any("error", err))
	}
}

// enqueue hands batch over without blocking; a full queue drops it.
func (h *handoff[T]) enqueue(batch []T) error {
	if h.closed.Load() {
		return ErrExporterShutdown
	}
	select {
	case h.queue <- item[T]{batch: batch}:
		return nil
	default:
		h.onDrop(len(batch))
		return fmt.Errorf("%w: dropped %d %s items", ErrQueueFull, len(batch), h.signal)
	}
}

// flush waits until every batch enqueued before the call reached the sink.
func (h *handoff[T]) flush(ctx context.Context) error {
	if h.closed.Load() {
		return ErrExporterShutdown
	}
	marker := make(chan struct{})
	select {
	case h.queue <- item[T]{flushed: marker}:
	case <-h.done:
		return ErrExporterShutdown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-marker:
		return nil
	case <-h.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// shutdown stops accepting batches, delivers what is queued and waits for
// the goroutine, or cancels the sink's context when ctx expires.
func (h *handoff[T]) shutdown(ctx context.Context) error {
	if !h.closed.CompareAndSwap(false, true) {
		return ErrExporterShutdown
	}
	h.stopOnce.Do(func() { close(h.stop) })
	select {
	case <-h.done:
		h.cancel()
		return nil
	case <-ctx.Done():
		h.cancel()
		return ctx.Err()
	}
}
