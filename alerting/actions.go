package alerting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Acknowledge marks a firing or pending alert as acknowledged: its group
// stops repeating notifications, the resolved notification is still sent.
// Unknown IDs return an error wrapping ErrNotFound, resolved alerts one
// wrapping ErrAlertResolved (and store.ErrConflict).
func (e *Engine) Acknowledge(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := e.now()
	a, err := e.deps.Store.UpdateAlert(ctx, id, func(a *store.Alert) error {
		if a.State == store.StateResolved {
			return ErrAlertResolved
		}
		a.AcknowledgedAt, a.AcknowledgedBy, a.AckComment = &now, by, comment
		a.UpdatedAt = now
		return nil
	})
	if err != nil {
		return store.Alert{}, e.alertErr(id, err)
	}
	e.record(ctx, a, store.AlertEvent{Kind: "acknowledged", By: by, Comment: comment}, now)
	return a, nil
}

// Resolve resolves an alert by hand; the resolved notification is sent on
// the next evaluation. If the rule's condition still holds, a new incident
// starts.
func (e *Engine) Resolve(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := e.now()
	var from string
	a, err := e.deps.Store.UpdateAlert(ctx, id, func(a *store.Alert) error {
		if a.State == store.StateResolved {
			return ErrAlertResolved
		}
		from = a.State
		a.State, a.ResolvedAt, a.ResolvedBy, a.UpdatedAt = store.StateResolved, &now, by, now
		return nil
	})
	if err != nil {
		return store.Alert{}, e.alertErr(id, err)
	}
	e.record(ctx, a, store.AlertEvent{Kind: store.StateResolved, From: from, To: store.StateResolved, By: by, Comment: comment,
		Details: map[string]string{"reason": "manual"}}, now)
	return a, nil
}

func (e *Engine) alertErr(id string, err error) error {
	switch {
	case errors.Is(err, ErrAlertResolved):
		return fmt.Errorf("alert %s: %w", id, ErrAlertResolved)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("alert %s: %w", id, ErrNotFound)
	}
	return fmt.Errorf("alert %s: %w", id, err)
}

// applySilences marks the cycle's active alerts silenced or unsilenced and
// refreshes the active-alerts gauge. active is updated in place.
func (e *Engine) applySilences(ctx context.Context, active []store.Alert, now time.Time) error {
	defer e.setCounts(active)
	return e.silences.Apply(ctx, active, now)
}
