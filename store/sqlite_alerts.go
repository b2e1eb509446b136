package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

const alertCols = `id, fingerprint, rule_name, source, state, severity, labels, annotations, value,
	trace_id, generator_url, active_at, fired_at, resolved_at, last_eval_at, keep_firing_since,
	acknowledged_at, acknowledged_by, ack_comment, resolved_by, silenced, updated_at`

func liteAlertArgs(a Alert) ([]any, error) {
	labels, err := toJSON(a.Labels)
	if err != nil {
		return nil, err
	}
	ann, err := toJSON(a.Annotations)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.Fingerprint, a.RuleName, a.Source, a.State, a.Severity, labels, ann,
		nullableFloat(a.Value), a.TraceID, a.GeneratorURL, sqliteTime(a.ActiveAt),
		sqliteTimePtr(a.FiredAt), sqliteTimePtr(a.ResolvedAt), sqliteTime(a.LastEvalAt),
		sqliteTimePtr(a.KeepFiringSince), sqliteTimePtr(a.AcknowledgedAt), a.AcknowledgedBy,
		a.AckComment, a.ResolvedBy, a.Silenced, sqliteTime(a.UpdatedAt)}, nil
}

func liteScanAlert(sc scanner) (Alert, error) {
	var a Alert
	err := sc.Scan(&a.ID, &a.Fingerprint, &a.RuleName, &a.Source, &a.State, &a.Severity,
		liteJSON{&a.Labels}, liteJSON{&a.Annotations}, liteFloat{&a.Value}, &a.TraceID,
		&a.GeneratorURL, liteTime{&a.ActiveAt}, liteTimePtr{&a.FiredAt}, liteTimePtr{&a.ResolvedAt},
		liteTime{&a.LastEvalAt}, liteTimePtr{&a.KeepFiringSince}, liteTimePtr{&a.AcknowledgedAt},
		&a.AcknowledgedBy, &a.AckComment, &a.ResolvedBy, &a.Silenced, liteTime{&a.UpdatedAt})
	return a, err
}

//nolint:gosec // built once from constant column names; values are bound as ? parameters
var liteUpsertAlert = `INSERT INTO alerts (` + alertCols + `) VALUES (` +
	strings.TrimSuffix(strings.Repeat("?, ", 22), ", ") + `)
	ON CONFLICT (id) DO UPDATE SET ` + excludedSet(alertCols, "id")

//nolint:gosec // built once from constant column names; values are bound as ? parameters
var liteInsertAlert = `INSERT INTO alerts (` + alertCols + `) VALUES (` +
	strings.TrimSuffix(strings.Repeat("?, ", 22), ", ") + `) ON CONFLICT DO NOTHING`

// excludedSet renders "c = excluded.c, ..." for every column but skip.
func excludedSet(cols string, skip ...string) string {
	var parts []string
next:
	for _, c := range strings.Split(cols, ",") {
		c = strings.TrimSpace(c)
		for _, s := range skip {
			if c == s {
				continue next
			}
		}
		parts = append(parts, c+" = excluded."+c)
	}
	return strings.Join(parts, ", ")
}

// UpsertAlert inserts or replaces the alert with a.ID.
func (s *SQLite) UpsertAlert(ctx context.Context, a Alert) error {
	if a.ID == "" {
		return fmt.Errorf("upsert alert: empty id: %w", ErrConflict)
	}
	if err := CheckAlert(a); err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	args, err := liteAlertArgs(a)
	if err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, liteUpsertAlert, args...); err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	return nil
}

// GetAlert returns the alert or ErrNotFound.
func (s *SQLite) GetAlert(ctx context.Context, id string) (Alert, error) {
	if CheckText("id", id) != nil {
		return Alert{}, fmt.Errorf("get alert: %w", ErrNotFound)
	}
	a, err := liteScanAlert(s.r.QueryRowContext(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return Alert{}, notFound(err, "get alert")
	}
	return a, nil
}

// ListAlerts returns matching alerts, newest (ActiveAt) first.
func (s *SQLite) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	if CheckText("state", f.State) != nil || CheckText("fingerprint", f.Fingerprint) != nil {
		return []Alert{}, nil
	}
	q, args := alertsQuery(liteDialect, f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	return scanRows("list alerts", rows, err, liteScanAlert)
}

// UpdateAlert applies fn to the stored alert in one write transaction. fn
// must not call the store: it runs while holding the only writer.
func (s *SQLite) UpdateAlert(ctx context.Context, id string, fn func(*Alert) error) (Alert, error) {
	a, _, err := s.UpdateAlertEvents(ctx, id, func(a *Alert) ([]AlertEvent, error) { return nil, fn(a) })
	return a, err
}

// InsertAlert stores a new alert and its first history events in one write
// transaction; an existing ID is ErrConflict.
func (s *SQLite) InsertAlert(ctx context.Context, a Alert, events ...AlertEvent) (Alert, []AlertEvent, error) {
	return insertAlert(s.alertTx(ctx), s.cfg.now(), a, events)
}

// UpdateAlertEvents applies fn to the stored alert and appends the events
// fn returns, in one write transaction. fn must not call the store.
func (s *SQLite) UpdateAlertEvents(ctx context.Context, id string, fn func(*Alert) ([]AlertEvent, error)) (Alert, []AlertEvent, error) {
	return updateAlertEvents(s.alertTx(ctx), s.cfg.now, id, fn)
}

// alertTx runs the alert writes in one write transaction (the only writer
// is held, so the read needs no lock).
func (s *SQLite) alertTx(ctx context.Context) inAlertTx {
	return func(fn func(alertTx) error) error {
		return s.tx(ctx, func(tx *sql.Tx) error { return fn(liteAlertTx{ctx: ctx, tx: tx}) })
	}
}

type liteAlertTx struct {
	ctx context.Context //nolint:containedctx // lives for one transaction
	tx  *sql.Tx
}

func (t liteAlertTx) lockAlert(id string) (Alert, error) {
	a, err := liteScanAlert(t.tx.QueryRowContext(t.ctx, `SELECT `+alertCols+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return Alert{}, notFound(err, "update alert")
	}
	return a, nil
}

func (t liteAlertTx) putAlert(a Alert) error {
	args, err := liteAlertArgs(a)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(t.ctx, liteUpsertAlert, args...)
	return err
}

func (t liteAlertTx) insertAlert(a Alert) (bool, error) {
	args, err := liteAlertArgs(a)
	if err != nil {
		return false, err
	}
	res, err := t.tx.ExecContext(t.ctx, liteInsertAlert, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (t liteAlertTx) appendEvent(e AlertEvent) (AlertEvent, error) {
	return liteInsertEvent(t.ctx, t.tx, e)
}

// AppendAlertEvent appends e to its alert's history and returns it with its
// ID (and Time, if it had none).
func (s *SQLite) AppendAlertEvent(ctx context.Context, e AlertEvent) (AlertEvent, error) {
	if e.Time.IsZero() {
		e.Time = s.cfg.now()
	}
	e.Time = normTime(e.Time)
	if err := CheckAlertEvent(e); err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	return liteInsertEvent(ctx, s.w, e)
}

// rowQuerier is a *sql.DB or *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func liteInsertEvent(ctx context.Context, q rowQuerier, e AlertEvent) (AlertEvent, error) {
	details, err := toJSON(e.Details)
	if err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	err = q.QueryRowContext(ctx, `INSERT INTO alert_events
		(alert_id, fingerprint, time, kind, from_state, to_state, actor, comment, value, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.AlertID, e.Fingerprint, sqliteTime(e.Time), e.Kind, e.From, e.To, e.By, e.Comment,
		nullableFloat(e.Value), details).Scan(&e.ID)
	if err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	return e, nil
}

// ListAlertEvents returns the alert's history, oldest first.
func (s *SQLite) ListAlertEvents(ctx context.Context, alertID string) ([]AlertEvent, error) {
	if CheckText("alert_id", alertID) != nil {
		return []AlertEvent{}, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, alert_id, fingerprint, time, kind, from_state,
		to_state, actor, comment, value, details FROM alert_events WHERE alert_id = ? ORDER BY id`, alertID)
	return scanRows("list alert events", rows, err, liteScanAlertEvent)
}

func liteScanAlertEvent(sc scanner) (AlertEvent, error) {
	var e AlertEvent
	err := sc.Scan(&e.ID, &e.AlertID, &e.Fingerprint, liteTime{&e.Time}, &e.Kind, &e.From,
		&e.To, &e.By, &e.Comment, liteFloat{&e.Value}, liteJSON{&e.Details})
	return e, err
}
