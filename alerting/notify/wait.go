package notify

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Timers are a route's notification timers.
type Timers struct {
	GroupWait      time.Duration // before a group's first notification
	GroupInterval  time.Duration // between notifications of a changed group
	RepeatInterval time.Duration // between notifications of an unchanged group
}

// OwedBackoff spaces the deliveries of an owed notification: after the
// n-th failed delivery the next waits Base·2ⁿ⁻¹, at most Max.
type OwedBackoff struct {
	Base, Max time.Duration
}

func (b OwedBackoff) after(failures int) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := b.Base
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Due reports whether a group may be notified at now: a group never told
// firing alerts waits group_wait from its first firing alert; afterwards
// notifications are at least min(group_interval, repeat_interval) apart
// (the dedup stage decides whether one is needed at all). After a failed
// delivery the next waits the owed backoff.
func Due(entry *store.NotificationEntry, g *Group, t Timers, b OwedBackoff, now time.Time) bool {
	if entry != nil && entry.Attempts > 0 && now.Before(entry.AttemptedAt.Add(b.after(entry.Attempts))) {
		return false
	}
	if entry == nil || len(entry.FiringAlerts) == 0 {
		first := now
		for _, a := range g.Firing {
			if a.FiredAt != nil && a.FiredAt.Before(first) {
				first = *a.FiredAt
			}
		}
		return !now.Before(first.Add(t.GroupWait))
	}
	return !now.Before(entry.SentAt.Add(min(t.GroupInterval, t.RepeatInterval)))
}

// WaitStage holds a flush until its group is due (see Due).
type WaitStage struct{ Backoff OwedBackoff }

// Exec implements Stage.
func (s WaitStage) Exec(_ context.Context, f *Flush) (bool, error) {
	r := f.Group.Route
	return Due(f.Entry, f.Group, Timers{r.GroupWait, r.GroupInterval, r.RepeatInterval}, s.Backoff, f.Now), nil
}
