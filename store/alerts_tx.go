package store

import (
	"fmt"
	"time"
)

// alertTx is one write transaction of a backend as the alert writes use
// it; each backend adapts its own (liteAlertTx, pgAlertTx), so
// InsertAlert and UpdateAlertEvents are written once.
type alertTx interface {
	// lockAlert reads the alert with id, held until the transaction ends;
	// a missing one is ErrNotFound. Errors say "update alert".
	lockAlert(id string) (Alert, error)
	// putAlert inserts or replaces a.
	putAlert(a Alert) error
	// insertAlert inserts a new alert: false when its ID (or incident key)
	// is taken.
	insertAlert(a Alert) (bool, error)
	// appendEvent appends e to the history and returns it with its ID.
	appendEvent(e AlertEvent) (AlertEvent, error)
}

// inAlertTx runs fn in one write transaction: committed when fn returns
// nil, rolled back otherwise.
type inAlertTx func(fn func(alertTx) error) error

// insertAlert stores a new alert and its first history events in one
// transaction; an existing ID is ErrConflict.
func insertAlert(begin inAlertTx, now time.Time, a Alert, events []AlertEvent) (Alert, []AlertEvent, error) {
	if a.ID == "" {
		return Alert{}, nil, fmt.Errorf("insert alert: empty id: %w", ErrConflict)
	}
	a = normalizeAlert(a)
	if err := CheckAlert(a); err != nil {
		return Alert{}, nil, fmt.Errorf("insert alert: %w", err)
	}
	evs, err := alertEvents(a, events, now)
	if err != nil {
		return Alert{}, nil, fmt.Errorf("insert alert: %w", err)
	}
	err = begin(func(tx alertTx) error {
		inserted, err := tx.insertAlert(a)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		if !inserted {
			return fmt.Errorf("insert alert %q: %w", a.ID, ErrConflict)
		}
		return appendEvents(tx, evs)
	})
	if err != nil {
		return Alert{}, nil, err
	}
	return a, evs, nil
}

// updateAlertEvents applies fn to the stored alert, writes it back and
// appends the events fn returns, in one transaction. An error of fn is
// returned as it is.
func updateAlertEvents(begin inAlertTx, now func() time.Time, id string, fn func(*Alert) ([]AlertEvent, error)) (Alert, []AlertEvent, error) {
	if CheckText("id", id) != nil {
		return Alert{}, nil, fmt.Errorf("update alert: %w", ErrNotFound)
	}
	var out Alert
	var evs []AlertEvent
	var fnErr error
	err := begin(func(tx alertTx) error {
		a, err := tx.lockAlert(id)
		if err != nil {
			return err
		}
		a, evs, fnErr, err = changeAlert(a, id, now(), fn)
		if err != nil {
			return err
		}
		if err := tx.putAlert(a); err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		out = a
		return appendEvents(tx, evs)
	})
	if fnErr != nil {
		return Alert{}, nil, fnErr
	}
	if err != nil {
		return Alert{}, nil, err
	}
	return out, evs, nil
}

func appendEvents(tx alertTx, evs []AlertEvent) error {
	for i := range evs {
		var err error
		if evs[i], err = tx.appendEvent(evs[i]); err != nil {
			return err
		}
	}
	return nil
}
