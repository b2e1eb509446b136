package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AddUsageMinutes adds every row's counts to its (minute, client, route,
// method) row and to its hour's rollup, all in one transaction. Minutes
// are truncated in UTC.
func (p *Postgres) AddUsageMinutes(ctx context.Context, rows []UsageMinute) error {
	if len(rows) == 0 {
		return nil
	}
	mins := minutesToRows(rows)
	if err := CheckUsage(mins); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	var b pgx.Batch
	pgQueueUsage(&b, minuteUsage, mins)
	pgQueueUsage(&b, hourlyUsage, hoursOf(mins))
	return p.sendUsage(ctx, &b)
}

// UsageMinutesSince is when the store began keeping minute rollups: hourly
// rollups of earlier hours have no minute detail.
func (p *Postgres) UsageMinutesSince(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := p.pool.QueryRow(ctx, `SELECT applied_at FROM schema_migrations WHERE version = $1`,
		minutesMigration).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("usage minutes since: %w", err)
	}
	return t.UTC(), nil
}

// ListUsageMinutes returns minute rollups with Since <= Minute < Until (a
// zero bound is open), ordered by minute, client, route, method.
func (p *Postgres) ListUsageMinutes(ctx context.Context, f UsageFilter) ([]UsageMinute, error) {
	rows, err := p.listUsage(ctx, minuteUsage, f)
	if err != nil {
		return nil, err
	}
	return rowsToMinutes(rows), nil
}

// DeleteUsageMinutesBefore deletes minute rollups whose minute is before t.
func (p *Postgres) DeleteUsageMinutesBefore(ctx context.Context, t time.Time) (int64, error) {
	return p.deleteUsageBefore(ctx, minuteUsage, t)
}

func (p *Postgres) addUsage(ctx context.Context, ut usageTable, rows []UsageRollup) error {
	if err := CheckUsage(rows); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	var b pgx.Batch
	pgQueueUsage(&b, ut, rows)
	return p.sendUsage(ctx, &b)
}

// sendUsage runs a batch of usage upserts in one transaction.
func (p *Postgres) sendUsage(ctx context.Context, b *pgx.Batch) error {
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

// pgQueueUsage queues the upserts of rows into ut.
func pgQueueUsage(b *pgx.Batch, ut usageTable, rows []UsageRollup) {
	for _, r := range rows {
		b.Queue(`INSERT INTO `+ut.table+` AS t
			(`+ut.col+`, client, route, method, requests, errors, rate_limited, tokens) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (`+ut.col+`, client, route, method) DO UPDATE SET
			requests = t.requests + excluded.requests,
			errors = t.errors + excluded.errors,
			rate_limited = t.rate_limited + excluded.rate_limited,
			tokens = t.tokens + excluded.tokens`,
			ut.start(r.Hour), r.Client, r.Route, r.Method, r.Requests, r.Errors, r.RateLimited, r.Tokens)
	}
}

func (p *Postgres) listUsage(ctx context.Context, ut usageTable, f UsageFilter) ([]UsageRollup, error) {
	q, args := usageQuery(pgDialect, ut, f)
	rows, err := p.pool.Query(ctx, q, args...)
	return scanRows("list usage", rows, err, pgScanUsage)
}

func pgScanUsage(sc scanner) (UsageRollup, error) {
	var u UsageRollup
	err := sc.Scan(&u.Hour, &u.Client, &u.Route, &u.Method, &u.Requests, &u.Errors, &u.RateLimited, &u.Tokens)
	u.Hour = u.Hour.UTC()
	return u, err
}

func (p *Postgres) deleteUsageBefore(ctx context.Context, ut usageTable, t time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM `+ut.table+` WHERE `+ut.col+` < $1`, normTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete usage: %w", err)
	}
	return tag.RowsAffected(), nil
}
