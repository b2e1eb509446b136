package notify

import (
	"context"
	"log/slog"
	"time"
)

// RetryStage delivers the notification with at most Attempts tries and
// exponential backoff from Backoff to MaxBackoff, while the context lasts
// and this replica leads. The outcome is left in the flush for the log
// stage; a replica that lost the leadership ends the flush without it
// (the new leader reads the shared log and sends what is still due).
type RetryStage struct {
	Attempts            int
	Backoff, MaxBackoff time.Duration
	IsLeader            func() bool
	Logger              *slog.Logger
	// Observe is told the outcome of every attempt (for metrics). Optional.
	Observe func(ctx context.Context, integration string, err error)
}

// Exec implements Stage.
func (s RetryStage) Exec(ctx context.Context, f *Flush) (bool, error) {
	in, n := f.Integration, f.Notification
	wait := s.Backoff
	var err error
	for attempt := 1; attempt <= max(s.Attempts, 1); attempt++ {
		if s.IsLeader != nil && !s.IsLeader() {
			s.Logger.Info("not the leader any more: leaving the notification to the new leader",
				"receiver", n.Receiver, "group", n.GroupKey)
			return false, nil
		}
		var retry bool
		retry, err = in.Notify(ctx, n)
		f.Tries = attempt
		if s.Observe != nil {
			s.Observe(ctx, in.Name(), err)
		}
		if err == nil || !retry || attempt == s.Attempts {
			break
		}
		s.Logger.Warn("notification failed, retrying", "integration", in.Name(), "receiver", n.Receiver,
			"group", n.GroupKey, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			err = context.Cause(ctx)
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
		wait = min(2*wait, s.MaxBackoff)
	}
	f.Err = err
	return true, nil
}
