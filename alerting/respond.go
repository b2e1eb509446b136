package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/store"
)

// ActionsStore is the part of the store acknowledgements and manual
// resolutions use.
type ActionsStore interface {
	UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error)
}

// Actions are what people do to an alert: acknowledge it or resolve it by
// hand. Each change and its history event are one store transaction.
type Actions struct {
	store ActionsStore
	pub   EventPublisher
	now   func() time.Time
}

// NewActions returns the alert actions writing to st and publishing to pub
// (nil: none); now defaults to time.Now.
func NewActions(st ActionsStore, pub EventPublisher, now func() time.Time) *Actions {
	if now == nil {
		now = time.Now
	}
	return &Actions{store: st, pub: pub, now: now}
}

// Acknowledge marks a firing or pending alert as acknowledged: its group
// stops repeating notifications, the resolved notification is still sent.
// Unknown IDs return an error wrapping ErrNotFound, resolved alerts one
// wrapping ErrAlertResolved (and store.ErrConflict); text the store cannot
// keep one wrapping store.ErrInvalidText.
func (e *Actions) Acknowledge(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := store.Truncate(e.now())
	a, evs, err := e.store.UpdateAlertEvents(ctx, id, func(a *store.Alert) ([]store.AlertEvent, error) {
		if a.State == store.StateResolved {
			return nil, ErrAlertResolved
		}
		a.AcknowledgedAt, a.AcknowledgedBy, a.AckComment = &now, by, comment
		a.UpdatedAt = now
		return stamp(a, now, store.AlertEvent{Kind: "acknowledged", By: by, Comment: comment}), nil
	})
	if err != nil {
		return store.Alert{}, alertErr(id, err)
	}
	publishAll(e.pub, a, evs)
	return a, nil
}

// Resolve resolves an alert by hand; the resolved notification is sent on
// the next evaluation. If the rule's condition still holds, a new incident
// starts.
func (e *Actions) Resolve(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := store.Truncate(e.now())
	a, evs, err := e.store.UpdateAlertEvents(ctx, id, func(a *store.Alert) ([]store.AlertEvent, error) {
		if a.State == store.StateResolved {
			return nil, ErrAlertResolved
		}
		from := a.State
		a.State, a.ResolvedAt, a.ResolvedBy, a.UpdatedAt = store.StateResolved, &now, by, now
		return stamp(a, now, store.AlertEvent{Kind: store.StateResolved, From: from, To: store.StateResolved, By: by,
			Comment: comment, Details: map[string]string{"reason": "manual"}}), nil
	})
	if err != nil {
		return store.Alert{}, alertErr(id, err)
	}
	publishAll(e.pub, a, evs)
	return a, nil
}

func alertErr(id string, err error) error {
	switch {
	case errors.Is(err, ErrAlertResolved):
		return fmt.Errorf("alert %s: %w", id, ErrAlertResolved)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("alert %s: %w", id, ErrNotFound)
	}
	return fmt.Errorf("alert %s: %w", id, err)
}
