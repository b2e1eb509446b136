package notify

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Flush is one group on its way to the integrations of one receiver: what
// the stages read and fill in. The fan-out gives each integration its own
// copy; Group is shared and read-only past the mute stage.
type Flush struct {
	Now   time.Time
	Group *Group

	// Per integration, set by the stages in order.
	Integration  Integration
	LogKey       string                   // the notification log's receiver key
	Entry        *store.NotificationEntry // ReadLogStage; nil: never notified
	Decision     Decision                 // DedupStage
	Notification *Notification            // DedupStage
	Tries        int                      // RetryStage: attempts made
	Err          error                    // RetryStage: the delivery's outcome
}

// A Stage processes a flush. It returns false to end the pipeline for this
// flush (nothing to do), or an error.
type Stage interface {
	Exec(ctx context.Context, f *Flush) (bool, error)
}

// StageFunc adapts a function to a Stage.
type StageFunc func(ctx context.Context, f *Flush) (bool, error)

// Exec calls fn.
func (fn StageFunc) Exec(ctx context.Context, f *Flush) (bool, error) { return fn(ctx, f) }

// MultiStage runs its stages in order until one ends the flush or fails.
type MultiStage []Stage

// Exec implements Stage.
func (ms MultiStage) Exec(ctx context.Context, f *Flush) (bool, error) {
	for _, s := range ms {
		ok, err := s.Exec(ctx, f)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// FanoutStage runs each stage concurrently on its own copy of the flush
// and waits for all of them. The errors are joined.
type FanoutStage []Stage

// Exec implements Stage.
func (fs FanoutStage) Exec(ctx context.Context, f *Flush) (bool, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, s := range fs {
		own := *f
		wg.Go(func() {
			if _, err := s.Exec(ctx, &own); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return true, errors.Join(errs...)
}
