package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AddUsageMinutes adds every row's counts to its (minute, client, route,
// method) row and to its hour's rollup, all in one transaction. Minutes
// are truncated in UTC.
func (s *SQLite) AddUsageMinutes(ctx context.Context, rows []UsageMinute) error {
	if len(rows) == 0 {
		return nil
	}
	mins := minutesToRows(rows)
	if err := CheckUsage(mins); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := liteAddUsage(ctx, tx, minuteUsage, mins); err != nil {
			return err
		}
		return liteAddUsage(ctx, tx, hourlyUsage, hoursOf(mins))
	})
}

// UsageMinutesSince is when the store began keeping minute rollups: hourly
// rollups of earlier hours have no minute detail.
func (s *SQLite) UsageMinutesSince(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := s.r.QueryRowContext(ctx, `SELECT applied_at FROM schema_migrations WHERE version = ?`,
		minutesMigration).Scan(liteTime{&t}); err != nil {
		return time.Time{}, fmt.Errorf("usage minutes since: %w", err)
	}
	return t, nil
}

// ListUsageMinutes returns minute rollups with Since <= Minute < Until (a
// zero bound is open), ordered by minute, client, route, method.
func (s *SQLite) ListUsageMinutes(ctx context.Context, f UsageFilter) ([]UsageMinute, error) {
	rows, err := s.listUsage(ctx, minuteUsage, f)
	if err != nil {
		return nil, err
	}
	return rowsToMinutes(rows), nil
}

// DeleteUsageMinutesBefore deletes minute rollups whose minute is before t.
func (s *SQLite) DeleteUsageMinutesBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.deleteUsageBefore(ctx, minuteUsage, t)
}

func (s *SQLite) addUsage(ctx context.Context, ut usageTable, rows []UsageRollup) error {
	if err := CheckUsage(rows); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return liteAddUsage(ctx, tx, ut, rows) })
}

// liteAddUsage upserts rows into ut within tx.
func liteAddUsage(ctx context.Context, tx *sql.Tx, ut usageTable, rows []UsageRollup) error {
	//nolint:gosec // table and column names are constants
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+ut.table+`
		(`+ut.col+`, client, route, method, requests, errors, rate_limited, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (`+ut.col+`, client, route, method) DO UPDATE SET
		requests = `+ut.table+`.requests + excluded.requests,
		errors = `+ut.table+`.errors + excluded.errors,
		rate_limited = `+ut.table+`.rate_limited + excluded.rate_limited,
		tokens = `+ut.table+`.tokens + excluded.tokens`)
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, sqliteTime(ut.start(r.Hour)), r.Client, r.Route, r.Method,
			r.Requests, r.Errors, r.RateLimited, r.Tokens); err != nil {
			return fmt.Errorf("add usage: %w", err)
		}
	}
	return nil
}

func (s *SQLite) listUsage(ctx context.Context, ut usageTable, f UsageFilter) ([]UsageRollup, error) {
	q, args := usageQuery(liteDialect, ut, f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	return scanRows("list usage", rows, err, liteScanUsage)
}

func liteScanUsage(sc scanner) (UsageRollup, error) {
	var u UsageRollup
	err := sc.Scan(liteTime{&u.Hour}, &u.Client, &u.Route, &u.Method, &u.Requests, &u.Errors,
		&u.RateLimited, &u.Tokens)
	return u, err
}

func (s *SQLite) deleteUsageBefore(ctx context.Context, ut usageTable, t time.Time) (int64, error) {
	//nolint:gosec // table and column names are constants
	return s.execCount(ctx, "delete usage", `DELETE FROM `+ut.table+` WHERE `+ut.col+` < ?`, sqliteTime(t))
}

// execCount runs a write statement on the writer and returns how many rows
// it changed; what names the operation in errors.
func (s *SQLite) execCount(ctx context.Context, what, query string, args ...any) (int64, error) {
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}
