package alerting

import (
	"context"
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/store"
)

// HistoryStore is the part of the store History writes.
type HistoryStore interface {
	AppendAlertEvent(ctx context.Context, e store.AlertEvent) (store.AlertEvent, error)
}

// History appends standalone events to an alert's history (a notification
// sent or failed: nothing about the alert itself changes) and publishes
// them. A change of the alert and its events are written together by the
// part that makes the change (store.Store.UpdateAlertEvents), not here.
type History struct {
	store HistoryStore
	pub   EventPublisher
	log   *slog.Logger
	now   func() time.Time
}

// NewHistory returns a History appending to st and publishing to pub (nil:
// none). logger and now default to slog.Default and time.Now.
func NewHistory(st HistoryStore, pub EventPublisher, logger *slog.Logger, now func() time.Time) *History {
	if logger == nil {
		logger = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	return &History{store: st, pub: pub, log: logger, now: now}
}

// Record appends ev to a's history and publishes it. ev's alert ID and
// fingerprint are a's; a zero Time is now, a zero Value a's value. A
// failure is logged: what happened has happened, the history lacks it.
func (h *History) Record(ctx context.Context, a store.Alert, ev store.AlertEvent) {
	ev.AlertID, ev.Fingerprint = a.ID, a.Fingerprint
	ev = stamp(&a, h.now(), ev)[0]
	saved, err := h.store.AppendAlertEvent(ctx, ev)
	if err != nil {
		h.log.Error("append alert event", "alert", a.ID, "kind", ev.Kind, "err", err)
		saved = ev
	}
	publishAll(h.pub, a, []store.AlertEvent{saved})
}
