package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// pgAlertValues is the VALUES list of an alert: $7 and $8 are JSON text.
var pgAlertValues = func() string {
	var b strings.Builder
	for i := 1; i <= 22; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i))
		if i == 7 || i == 8 {
			b.WriteString("::text::jsonb")
		}
	}
	return b.String()
}()

var pgUpsertAlert = `INSERT INTO alerts (` + alertCols + `) VALUES (` + pgAlertValues + `)
	ON CONFLICT (id) DO UPDATE SET ` + excludedSet(alertCols, "id")

// pgInsertAlert inserts a new alert; a taken ID or incident key inserts
// nothing.
var pgInsertAlert = `INSERT INTO alerts (` + alertCols + `) VALUES (` + pgAlertValues + `) ON CONFLICT DO NOTHING`

func pgAlertArgs(a Alert) ([]any, error) {
	a = normalizeAlert(a)
	labels, err := toJSON(a.Labels)
	if err != nil {
		return nil, err
	}
	ann, err := toJSON(a.Annotations)
	if err != nil {
		return nil, err
	}
	return []any{a.ID, a.Fingerprint, a.RuleName, a.Source, a.State, a.Severity, labels, ann,
		a.Value, a.TraceID, a.GeneratorURL, a.ActiveAt, a.FiredAt, a.ResolvedAt, a.LastEvalAt,
		a.KeepFiringSince, a.AcknowledgedAt, a.AcknowledgedBy, a.AckComment, a.ResolvedBy,
		a.Silenced, a.UpdatedAt}, nil
}

func pgScanAlert(sc scanner) (Alert, error) {
	var a Alert
	var labels, ann []byte
	err := sc.Scan(&a.ID, &a.Fingerprint, &a.RuleName, &a.Source, &a.State, &a.Severity,
		&labels, &ann, &a.Value, &a.TraceID, &a.GeneratorURL, &a.ActiveAt, &a.FiredAt,
		&a.ResolvedAt, &a.LastEvalAt, &a.KeepFiringSince, &a.AcknowledgedAt, &a.AcknowledgedBy,
		&a.AckComment, &a.ResolvedBy, &a.Silenced, &a.UpdatedAt)
	if err != nil {
		return Alert{}, err
	}
	if err := fromJSON(labels, &a.Labels); err != nil {
		return Alert{}, err
	}
	if err := fromJSON(ann, &a.Annotations); err != nil {
		return Alert{}, err
	}
	return normalizeAlert(a), nil
}

// UpsertAlert inserts or replaces the alert with a.ID.
func (p *Postgres) UpsertAlert(ctx context.Context, a Alert) error {
	if a.ID == "" {
		return fmt.Errorf("upsert alert: empty id: %w", ErrConflict)
	}
	if err := CheckAlert(a); err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	args, err := pgAlertArgs(a)
	if err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	if _, err := p.pool.Exec(ctx, pgUpsertAlert, args...); err != nil {
		return fmt.Errorf("upsert alert: %w", err)
	}
	return nil
}

// GetAlert returns the alert or ErrNotFound.
func (p *Postgres) GetAlert(ctx context.Context, id string) (Alert, error) {
	if CheckText("id", id) != nil {
		return Alert{}, fmt.Errorf("get alert: %w", ErrNotFound)
	}
	a, err := pgScanAlert(p.pool.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1`, id))
	if err != nil {
		return Alert{}, pgNotFound(err, "get alert")
	}
	return a, nil
}

// ListAlerts returns matching alerts, newest (ActiveAt) first.
func (p *Postgres) ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	if CheckText("state", f.State) != nil || CheckText("fingerprint", f.Fingerprint) != nil {
		return []Alert{}, nil
	}
	q, args := alertsQuery(pgDialect, f)
	rows, err := p.pool.Query(ctx, q, args...)
	return scanRows("list alerts", rows, err, pgScanAlert)
}

// UpdateAlert locks the alert's row (SELECT ... FOR UPDATE), applies fn and
// writes it back in one transaction.
func (p *Postgres) UpdateAlert(ctx context.Context, id string, fn func(*Alert) error) (Alert, error) {
	a, _, err := p.UpdateAlertEvents(ctx, id, func(a *Alert) ([]AlertEvent, error) { return nil, fn(a) })
	return a, err
}

// InsertAlert stores a new alert and its first history events in one
// transaction; an existing ID is ErrConflict.
func (p *Postgres) InsertAlert(ctx context.Context, a Alert, events ...AlertEvent) (Alert, []AlertEvent, error) {
	return insertAlert(p.alertTx(ctx), p.cfg.now(), a, events)
}

// UpdateAlertEvents locks the alert's row, applies fn, writes it back and
// appends the events fn returns, in one transaction.
func (p *Postgres) UpdateAlertEvents(ctx context.Context, id string, fn func(*Alert) ([]AlertEvent, error)) (Alert, []AlertEvent, error) {
	return updateAlertEvents(p.alertTx(ctx), p.cfg.now, id, fn)
}

// alertTx runs the alert writes in one transaction; the alert read for an
// update locks its row.
func (p *Postgres) alertTx(ctx context.Context) inAlertTx {
	return func(fn func(alertTx) error) error {
		return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgAlertTx{ctx: ctx, tx: tx}) })
	}
}

type pgAlertTx struct {
	ctx context.Context //nolint:containedctx // lives for one transaction
	tx  pgx.Tx
}

func (t pgAlertTx) lockAlert(id string) (Alert, error) {
	a, err := pgScanAlert(t.tx.QueryRow(t.ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1 FOR UPDATE`, id))
	if err != nil {
		return Alert{}, pgNotFound(err, "update alert")
	}
	return a, nil
}

func (t pgAlertTx) putAlert(a Alert) error {
	args, err := pgAlertArgs(a)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(t.ctx, pgUpsertAlert, args...)
	return err
}

func (t pgAlertTx) insertAlert(a Alert) (bool, error) {
	args, err := pgAlertArgs(a)
	if err != nil {
		return false, err
	}
	tag, err := t.tx.Exec(t.ctx, pgInsertAlert, args...)
	return err == nil && tag.RowsAffected() > 0, err
}

func (t pgAlertTx) appendEvent(e AlertEvent) (AlertEvent, error) {
	return pgInsertEvent(t.ctx, t.tx, e)
}

// AppendAlertEvent appends e to its alert's history and returns it with its
// ID (and Time, if it had none).
func (p *Postgres) AppendAlertEvent(ctx context.Context, e AlertEvent) (AlertEvent, error) {
	if e.Time.IsZero() {
		e.Time = p.cfg.now()
	}
	e.Time = normTime(e.Time)
	if err := CheckAlertEvent(e); err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	return pgInsertEvent(ctx, p.pool, e)
}

// pgRowQuerier is a pool or a transaction.
type pgRowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func pgInsertEvent(ctx context.Context, q pgRowQuerier, e AlertEvent) (AlertEvent, error) {
	details, err := toJSON(e.Details)
	if err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	err = q.QueryRow(ctx, `INSERT INTO alert_events
		(alert_id, fingerprint, time, kind, from_state, to_state, actor, comment, value, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb) RETURNING id`,
		e.AlertID, e.Fingerprint, e.Time, e.Kind, e.From, e.To, e.By, e.Comment, e.Value, details).Scan(&e.ID)
	if err != nil {
		return AlertEvent{}, fmt.Errorf("append alert event: %w", err)
	}
	return e, nil
}

// ListAlertEvents returns the alert's history, oldest first.
func (p *Postgres) ListAlertEvents(ctx context.Context, alertID string) ([]AlertEvent, error) {
	if CheckText("alert_id", alertID) != nil {
		return []AlertEvent{}, nil
	}
	rows, err := p.pool.Query(ctx, `SELECT id, alert_id, fingerprint, time, kind, from_state,
		to_state, actor, comment, value, details FROM alert_events WHERE alert_id = $1 ORDER BY id`, alertID)
	return scanRows("list alert events", rows, err, pgScanAlertEvent)
}

func pgScanAlertEvent(sc scanner) (AlertEvent, error) {
	var e AlertEvent
	var details []byte
	if err := sc.Scan(&e.ID, &e.AlertID, &e.Fingerprint, &e.Time, &e.Kind, &e.From, &e.To, &e.By,
		&e.Comment, &e.Value, &details); err != nil {
		return e, err
	}
	e.Time = e.Time.UTC()
	return e, fromJSON(details, &e.Details)
}
