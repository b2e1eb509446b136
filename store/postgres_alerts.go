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
	var w pgWhere
	if f.State != "" {
		w.add("state = ", f.State)
	}
	if f.Fingerprint != "" {
		w.add("fingerprint = ", f.Fingerprint)
	}
	if f.ActiveOnly {
		w.conds = append(w.conds, "state IN ('pending', 'firing')")
	}
	q := `SELECT ` + alertCols + ` FROM alerts` + w.sql() + ` ORDER BY active_at DESC, id DESC LIMIT ` +
		w.arg(clampLimit(f.Limit, DefaultAlertLimit, MaxAlertLimit))
	rows, err := p.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) { return pgScanAlert(r) })
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	if out == nil {
		out = []Alert{}
	}
	return out, nil
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
	if a.ID == "" {
		return Alert{}, nil, fmt.Errorf("insert alert: empty id: %w", ErrConflict)
	}
	a = normalizeAlert(a)
	if err := CheckAlert(a); err != nil {
		return Alert{}, nil, fmt.Errorf("insert alert: %w", err)
	}
	evs, err := alertEvents(a, events, p.cfg.now())
	if err != nil {
		return Alert{}, nil, fmt.Errorf("insert alert: %w", err)
	}
	args, err := pgAlertArgs(a)
	if err != nil {
		return Alert{}, nil, fmt.Errorf("insert alert: %w", err)
	}
	err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, pgInsertAlert, args...)
		if err != nil {
			return fmt.Errorf("insert alert: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("insert alert %q: %w", a.ID, ErrConflict)
		}
		for i := range evs {
			if evs[i], err = pgInsertEvent(ctx, tx, evs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Alert{}, nil, err
	}
	return a, evs, nil
}

// UpdateAlertEvents locks the alert's row, applies fn, writes it back and
// appends the events fn returns, in one transaction.
func (p *Postgres) UpdateAlertEvents(ctx context.Context, id string, fn func(*Alert) ([]AlertEvent, error)) (Alert, []AlertEvent, error) {
	if CheckText("id", id) != nil {
		return Alert{}, nil, fmt.Errorf("update alert: %w", ErrNotFound)
	}
	var out Alert
	var evs []AlertEvent
	var fnErr error
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		a, err := pgScanAlert(tx.QueryRow(ctx, `SELECT `+alertCols+` FROM alerts WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return pgNotFound(err, "update alert")
		}
		a, evs, fnErr, err = changeAlert(a, id, p.cfg.now(), fn)
		if err != nil {
			return err
		}
		args, err := pgAlertArgs(a)
		if err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		if _, err := tx.Exec(ctx, pgUpsertAlert, args...); err != nil {
			return fmt.Errorf("update alert: %w", err)
		}
		for i := range evs {
			if evs[i], err = pgInsertEvent(ctx, tx, evs[i]); err != nil {
				return err
			}
		}
		out = a
		return nil
	})
	if fnErr != nil {
		return Alert{}, nil, fnErr
	}
	if err != nil {
		return Alert{}, nil, err
	}
	return out, evs, nil
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
	if err != nil {
		return nil, fmt.Errorf("list alert events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlertEvent, error) {
		var e AlertEvent
		var details []byte
		if err := r.Scan(&e.ID, &e.AlertID, &e.Fingerprint, &e.Time, &e.Kind, &e.From, &e.To, &e.By,
			&e.Comment, &e.Value, &details); err != nil {
			return e, err
		}
		e.Time = e.Time.UTC()
		return e, fromJSON(details, &e.Details)
	})
	if err != nil {
		return nil, fmt.Errorf("list alert events: %w", err)
	}
	if out == nil {
		out = []AlertEvent{}
	}
	return out, nil
}

// pgWhere collects conditions with numbered placeholders.
type pgWhere struct {
	conds []string
	args  []any
}

// arg adds v and returns its placeholder.
func (w *pgWhere) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// add appends the condition prefix followed by v's placeholder.
func (w *pgWhere) add(prefix string, v any) {
	w.conds = append(w.conds, prefix+w.arg(v))
}

func (w *pgWhere) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
