package telemetry

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// DefaultExportQueue is how many batches of one exporter wait while an
// export is in flight; beyond it a batch is dropped and counted.
const DefaultExportQueue = 4

// errQueueShutdown is returned by a queue's methods after Shutdown.
var errQueueShutdown = errors.New("telemetry export queue is shut down")

// queue decouples a batching processor (the SDK's span or log batch
// processor) from the exporter behind it. The processor's export call
// returns at once: the batch waits in a bounded queue for one goroutine
// that calls the real exporter. A collector that is down or slow stalls
// that goroutine, never the processor, whose own queue the SDK would
// otherwise fill and drop from without telling anyone: here every batch
// that cannot wait, or fails, is counted in vigil.exporter.dropped.
type queue[T any] struct {
	jobs   chan queueJob[T]
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool
	once   sync.Once
	cancel context.CancelFunc
	export func(context.Context, []T) error
	clone  func([]T) []T
	drops  *drops
}

type queueJob[T any] struct {
	batch   []T
	flushed chan struct{} // non-nil: a flush marker
}

// newQueue starts the goroutine; clone copies a batch the processor will
// reuse once the export call returns.
func newQueue[T any](size int, export func(context.Context, []T) error, clone func([]T) []T, d *drops) *queue[T] {
	ctx, cancel := context.WithCancel(context.Background()) //nolint:gosec // cancelled by shutdown
	q := &queue[T]{
		jobs:   make(chan queueJob[T], size),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		cancel: cancel,
		export: export,
		clone:  clone,
		drops:  d,
	}
	go q.run(ctx)
	return q
}

func (q *queue[T]) run(ctx context.Context) {
	defer close(q.done)
	for {
		select {
		case j := <-q.jobs:
			q.handle(ctx, j)
		case <-q.stop:
			for {
				select {
				case j := <-q.jobs:
					q.handle(ctx, j)
				default:
					return
				}
			}
		}
	}
}

func (q *queue[T]) handle(ctx context.Context, j queueJob[T]) {
	if j.flushed != nil {
		close(j.flushed)
		return
	}
	if ctx.Err() != nil {
		q.drops.add(len(j.batch), "shut down before export", nil)
		return
	}
	if err := q.export(ctx, j.batch); err != nil {
		q.drops.add(len(j.batch), "export failed", err)
	}
}

// enqueue hands batch over without blocking; a full queue drops it.
func (q *queue[T]) enqueue(batch []T) error {
	if q.closed.Load() {
		return errQueueShutdown
	}
	if len(batch) == 0 {
		return nil
	}
	select {
	case q.jobs <- queueJob[T]{batch: q.clone(batch)}:
	default:
		q.drops.add(len(batch), "export queue full", nil)
	}
	// Dropped or queued, the processor has nothing to retry: the drop is
	// counted and logged here.
	return nil
}

// flush waits until every batch queued before the call was exported.
func (q *queue[T]) flush(ctx context.Context) error {
	if q.closed.Load() {
		return nil
	}
	marker := make(chan struct{})
	select {
	case q.jobs <- queueJob[T]{flushed: marker}:
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-marker:
	case <-q.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// shutdown exports what is queued, or, once ctx ends, cancels the export
// in flight and counts the rest as dropped; then it waits for the
// goroutine.
func (q *queue[T]) shutdown(ctx context.Context) error {
	if !q.closed.CompareAndSwap(false, true) {
		return errQueueShutdown
	}
	q.once.Do(func() { close(q.stop) })
	select {
	case <-q.done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		<-q.done
		return ctx.Err()
	}
}
