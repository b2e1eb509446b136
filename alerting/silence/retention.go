package silence

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultRetention is how long an expired silence is kept, listed with
// state=expired, before it is deleted: Alertmanager's --data.retention.
const DefaultRetention = 120 * time.Hour

// retentionEvery is how often expired silences are looked for.
const retentionEvery = time.Hour

// Deleter is the part of the store [Retention] uses.
type Deleter interface {
	DeleteSilencesEndedBefore(ctx context.Context, t time.Time) (int64, error)
}

// Retention deletes the silences that ended more than Keep ago, so that
// the silences every cycle reads stay the live ones and a few days of
// history. Deleting is idempotent: every replica may run it.
type Retention struct {
	Store  Deleter
	Keep   time.Duration    // default DefaultRetention
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
}

// Collect deletes the silences that ended before now − Keep once and
// returns how many.
func (r Retention) Collect(ctx context.Context) (int64, error) {
	if r.Store == nil {
		return 0, errors.New("silence retention: a store is required")
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return r.Store.DeleteSilencesEndedBefore(ctx, now().Add(-r.keep()))
}

func (r Retention) keep() time.Duration {
	if r.Keep <= 0 {
		return DefaultRetention
	}
	return r.Keep
}

// Run collects at start and then every hour until ctx ends; a failed
// delete is logged and tried again at the next hour.
func (r Retention) Run(ctx context.Context) error {
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		n, err := r.Collect(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			logger.Warn("delete expired silences", "error", err)
		case n > 0:
			logger.Info("deleted expired silences", "count", n, "expired_for_more_than", r.keep().String())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
