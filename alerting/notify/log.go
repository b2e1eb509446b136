package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/vigilhq/vigil/store"
)

// NotificationLog is the notification log of the store, keyed by
// (receiver key, group key).
type NotificationLog interface {
	GetNotification(ctx context.Context, receiver, groupKey string) (store.NotificationEntry, error)
	PutNotification(ctx context.Context, e store.NotificationEntry) error
}

// Recorder appends an event to an alert's history (ev.Time is set).
type Recorder interface {
	Record(ctx context.Context, a store.Alert, ev store.AlertEvent)
}

// ReadLogStage reads the group's notification log entry.
type ReadLogStage struct{ Log NotificationLog }

// Exec implements Stage.
func (s ReadLogStage) Exec(ctx context.Context, f *Flush) (bool, error) {
	e, err := s.Log.GetNotification(ctx, f.LogKey, f.Group.Key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		f.Entry = nil
	case err != nil:
		return false, fmt.Errorf("notification log %s %s: %w", f.LogKey, f.Group.Key, err)
	default:
		f.Entry = &e
	}
	return true, nil
}

// LogStage writes the outcome of a delivery: on success the log entry of
// what the receiver now knows; on failure the entry keeps what it knew and
// records the delivery as owed (the alerts, since when, how many
// attempts). Every alert of the notification gets a notified or
// notify_failed history event.
type LogStage struct {
	Log      NotificationLog
	Recorder Recorder
	Receiver string
	Horizon  time.Duration
	Logger   *slog.Logger
}

// Next is the log entry after a delivery with outcome err (pure).
func Next(prev *store.NotificationEntry, logKey, groupKey string, d Decision, repeat, horizon time.Duration, err error, now time.Time) store.NotificationEntry {
	var e store.NotificationEntry
	if prev != nil {
		e = *prev
	}
	e.Receiver, e.GroupKey = logKey, groupKey
	if err == nil {
		e.FiringAlerts = d.FiringKeys
		e.ResolvedAlerts = nil
		for _, a := range d.Resolved {
			e.ResolvedAlerts = append(e.ResolvedAlerts, a.ID)
		}
		e.SentAt, e.ExpiresAt = now, now.Add(repeat+24*time.Hour)
		e.OwedFiring, e.Attempts, e.AttemptedAt, e.LastError = nil, 0, time.Time{}, ""
		if d.Reason != ReasonMissedFiring {
			e.OwedSince = time.Time{} // else the resolutions are still owed
		}
	} else {
		if !Owed(prev, horizon, now) {
			e.OwedSince, e.OwedFiring, e.Attempts = now, nil, 0
		}
		for _, a := range d.Firing {
			if !slices.Contains(e.OwedFiring, a.ID) {
				e.OwedFiring = append(e.OwedFiring, a.ID)
			}
		}
		e.Attempts++
		e.AttemptedAt, e.LastError = now, store.ValidText(err.Error())
		e.ExpiresAt = maxTime(e.ExpiresAt, e.OwedSince.Add(horizon))
	}
	if e.FiringAlerts == nil {
		e.FiringAlerts = []string{}
	}
	return e
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Exec implements Stage.
func (s LogStage) Exec(ctx context.Context, f *Flush) (bool, error) {
	n, in := f.Notification, f.Integration
	next := Next(f.Entry, f.LogKey, f.Group.Key, f.Decision, f.Group.Route.RepeatInterval, s.Horizon, f.Err, f.Now)
	kind := "notified"
	if f.Err != nil {
		kind = "notify_failed"
		s.Logger.Error("notification failed", "integration", in.Name(), "receiver", n.Receiver, "group", n.GroupKey,
			"attempts", next.Attempts, "err", f.Err)
	}
	var err error
	if perr := s.Log.PutNotification(context.WithoutCancel(ctx), next); perr != nil {
		err = fmt.Errorf("write notification log %s %s: %w", next.Receiver, n.GroupKey, perr)
		s.Logger.Error("write notification log", "receiver", next.Receiver, "group", n.GroupKey, "err", perr)
	}
	if ctx.Err() != nil {
		return false, err
	}
	for _, a := range n.Alerts() {
		details := map[string]string{"receiver": n.Receiver, "integration": in.Name(), "status": a.State,
			"tries": strconv.Itoa(f.Tries)}
		if f.Err != nil {
			details["error"] = f.Err.Error()
			details["attempts"] = strconv.Itoa(next.Attempts)
		} else if f.Entry != nil && f.Entry.Attempts > 0 {
			details["attempts"] = strconv.Itoa(f.Entry.Attempts + 1) // delivered after owed attempts
		}
		s.Recorder.Record(ctx, a, store.AlertEvent{Kind: kind, Time: f.Now, Details: details})
	}
	return true, err
}
