package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreateSilence stores a new silence; an existing ID is ErrConflict.
func (p *Postgres) CreateSilence(ctx context.Context, sl Silence) error {
	if err := CheckSilence(sl); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = p.cfg.now()
	}
	sl = normalizeSilence(sl)
	m, err := toJSON(sl.Matchers)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	tag, err := p.pool.Exec(ctx, `INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at)
		VALUES ($1, $2::text::jsonb, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		sl.ID, m, sl.StartsAt, sl.EndsAt, sl.CreatedBy, sl.Comment, sl.CreatedAt)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create silence %q: %w", sl.ID, ErrConflict)
	}
	return nil
}

func pgScanSilence(sc scanner) (Silence, error) {
	var sl Silence
	var m []byte
	if err := sc.Scan(&sl.ID, &m, &sl.StartsAt, &sl.EndsAt, &sl.CreatedBy, &sl.Comment, &sl.CreatedAt); err != nil {
		return Silence{}, err
	}
	if err := fromJSON(m, &sl.Matchers); err != nil {
		return Silence{}, err
	}
	return normalizeSilence(sl), nil
}

// GetSilence returns the silence or ErrNotFound.
func (p *Postgres) GetSilence(ctx context.Context, id string) (Silence, error) {
	if CheckText("id", id) != nil {
		return Silence{}, fmt.Errorf("get silence: %w", ErrNotFound)
	}
	sl, err := pgScanSilence(p.pool.QueryRow(ctx, `SELECT `+silenceCols+` FROM silences WHERE id = $1`, id))
	if err != nil {
		return Silence{}, pgNotFound(err, "get silence")
	}
	return sl, nil
}

// ListSilences returns every silence, expired ones included, newest first.
func (p *Postgres) ListSilences(ctx context.Context) ([]Silence, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+silenceCols+` FROM silences ORDER BY created_at DESC, id`)
	return scanRows("list silences", rows, err, pgScanSilence)
}

// ExpireSilence ends the silence at at (never later than its EndsAt; a
// silence that had not started yet starts and ends at at).
func (p *Postgres) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	if CheckText("id", id) != nil {
		return fmt.Errorf("expire silence: %w", ErrNotFound)
	}
	at = normTime(at)
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		var starts, ends time.Time
		if err := tx.QueryRow(ctx, `SELECT starts_at, ends_at FROM silences WHERE id = $1 FOR UPDATE`, id).
			Scan(&starts, &ends); err != nil {
			return pgNotFound(err, "expire silence")
		}
		starts, ends = expireWindow(starts.UTC(), ends.UTC(), at)
		if _, err := tx.Exec(ctx, `UPDATE silences SET starts_at = $1, ends_at = $2 WHERE id = $3`,
			starts, ends, id); err != nil {
			return fmt.Errorf("expire silence: %w", err)
		}
		return nil
	})
}

// DeleteSilencesEndedBefore deletes the silences that ended before t.
func (p *Postgres) DeleteSilencesEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	tag, err := p.pool.Exec(ctx, `DELETE FROM silences WHERE ends_at < $1`, normTime(t))
	if err != nil {
		return 0, fmt.Errorf("delete silences: %w", err)
	}
	return tag.RowsAffected(), nil
}

func pgScanNotification(sc scanner) (NotificationEntry, error) {
	var e NotificationEntry
	var firing, resolved, owed []byte
	var owedSince, attemptedAt *time.Time
	if err := sc.Scan(&e.Receiver, &e.GroupKey, &firing, &resolved, &e.SentAt, &e.ExpiresAt,
		&owed, &owedSince, &e.Attempts, &attemptedAt, &e.LastError); err != nil {
		return NotificationEntry{}, err
	}
	for _, f := range []struct {
		b   []byte
		dst *[]string
	}{{firing, &e.FiringAlerts}, {resolved, &e.ResolvedAlerts}, {owed, &e.OwedFiring}} {
		if err := fromJSON(f.b, f.dst); err != nil {
			return NotificationEntry{}, err
		}
	}
	e.SentAt, e.ExpiresAt = e.SentAt.UTC(), e.ExpiresAt.UTC()
	if owedSince != nil {
		e.OwedSince = owedSince.UTC()
	}
	if attemptedAt != nil {
		e.AttemptedAt = attemptedAt.UTC()
	}
	return e, nil
}

// GetNotification returns the log entry or ErrNotFound.
func (p *Postgres) GetNotification(ctx context.Context, receiver, groupKey string) (NotificationEntry, error) {
	if CheckText("receiver", receiver) != nil || CheckText("group_key", groupKey) != nil {
		return NotificationEntry{}, fmt.Errorf("get notification: %w", ErrNotFound)
	}
	e, err := pgScanNotification(p.pool.QueryRow(ctx, `SELECT `+notificationCols+`
		FROM notification_log WHERE receiver = $1 AND group_key = $2`, receiver, groupKey))
	if err != nil {
		return NotificationEntry{}, pgNotFound(err, "get notification")
	}
	return e, nil
}

// ListOwedNotifications returns the entries owing a delivery since since.
func (p *Postgres) ListOwedNotifications(ctx context.Context, since time.Time) ([]NotificationEntry, error) {
	rows, err := p.pool.Query(ctx, `SELECT `+notificationCols+` FROM notification_log
		WHERE owed_since IS NOT NULL AND owed_since >= $1 ORDER BY receiver, group_key LIMIT $2`, normTime(since), maxOwedNotifications)
	return scanRows("list owed notifications", rows, err, pgScanNotification)
}

// PutNotification inserts or replaces the log entry.
func (p *Postgres) PutNotification(ctx context.Context, e NotificationEntry) error {
	if err := CheckNotification(e); err != nil {
		return fmt.Errorf("put notification: %w", err)
	}
	var js [3]string
	for i, v := range [][]string{e.FiringAlerts, e.ResolvedAlerts, e.OwedFiring} {
		j, err := toJSON(v)
		if err != nil {
			return fmt.Errorf("put notification: %w", err)
		}
		js[i] = j
	}
	_, err := p.pool.Exec(ctx, `INSERT INTO notification_log (`+notificationCols+`)
		VALUES ($1, $2, $3::text::jsonb, $4::text::jsonb, $5, $6, $7::text::jsonb, $8, $9, $10, $11)
		ON CONFLICT (receiver, group_key) DO UPDATE SET firing_alerts = excluded.firing_alerts,
		resolved_alerts = excluded.resolved_alerts, sent_at = excluded.sent_at, expires_at = excluded.expires_at,
		owed_firing = excluded.owed_firing, owed_since = excluded.owed_since, attempts = excluded.attempts,
		attempted_at = excluded.attempted_at, last_error = excluded.last_error`,
		e.Receiver, e.GroupKey, js[0], js[1], normTime(e.SentAt), normTime(e.ExpiresAt),
		js[2], normTimePtr(zeroNil(e.OwedSince)), e.Attempts, normTimePtr(zeroNil(e.AttemptedAt)), e.LastError)
	if err != nil {
		return fmt.Errorf("put notification: %w", err)
	}
	return nil
}

const pgInsertSecurity = `INSERT INTO security_events
	(time, type, level, client, ip, method, route, trace_id, detail, count, last_time, event_key)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (event_key) WHERE event_key IS NOT NULL DO NOTHING`

func pgSecurityArgs(e SecurityEvent) []any {
	return []any{e.Time, e.Type, e.Level, e.Client, e.IP, e.Method, e.Route, e.TraceID, e.Detail,
		e.Count, e.LastAt, eventKey(e.Key)}
}

// AppendSecurityEvent appends e and returns it as stored, with its ID; a
// Key already stored is ErrConflict.
func (p *Postgres) AppendSecurityEvent(ctx context.Context, e SecurityEvent) (SecurityEvent, error) {
	if err := CheckSecurityEvent(e); err != nil {
		return SecurityEvent{}, fmt.Errorf("append security event: %w", err)
	}
	e = normSecurityEvent(e, p.cfg.now)
	err := p.pool.QueryRow(ctx, pgInsertSecurity+` RETURNING id`, pgSecurityArgs(e)...).Scan(&e.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return SecurityEvent{}, fmt.Errorf("append security event %q: %w", e.Key, ErrConflict)
	}
	if err != nil {
		return SecurityEvent{}, fmt.Errorf("append security event: %w", err)
	}
	return e, nil
}

// AppendSecurityEvents appends es in one transaction, skipping the events
// whose Key is already stored, and returns how many it stored.
func (p *Postgres) AppendSecurityEvents(ctx context.Context, es []SecurityEvent) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	var b pgx.Batch
	for _, e := range es {
		b.Queue(pgInsertSecurity, pgSecurityArgs(normSecurityEvent(storableSecurityEvent(e), p.cfg.now))...)
	}
	n := 0
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		br := tx.SendBatch(ctx, &b)
		for range es {
			tag, err := br.Exec()
			if err != nil {
				_ = br.Close()
				return err
			}
			n += int(tag.RowsAffected())
		}
		return br.Close()
	})
	if err != nil {
		return 0, fmt.Errorf("append security events: %w", err)
	}
	return n, nil
}

// ListSecurityEvents returns matching events, newest first.
func (p *Postgres) ListSecurityEvents(ctx context.Context, f SecurityFilter) ([]SecurityEvent, error) {
	q, args := securityEventsQuery(pgDialect, f)
	rows, err := p.pool.Query(ctx, q, args...)
	return scanRows("list security events", rows, err, pgScanSecurityEvent)
}

func pgScanSecurityEvent(sc scanner) (SecurityEvent, error) {
	var e SecurityEvent
	err := sc.Scan(&e.ID, &e.Time, &e.Type, &e.Level, &e.Client, &e.IP, &e.Method, &e.Route, &e.TraceID, &e.Detail,
		&e.Count, &e.LastAt)
	e.Time, e.LastAt = e.Time.UTC(), e.LastAt.UTC()
	e.FirstAt = e.Time
	return e, err
}

// CountSecurityEvents sums the occurrences of typ ("" for every type) in
// rows whose last occurrence is at or after since.
func (p *Postgres) CountSecurityEvents(ctx context.Context, typ string, since time.Time) (int64, error) {
	var n int64
	err := p.pool.QueryRow(ctx, `SELECT COALESCE(SUM(count), 0)::bigint FROM security_events
		WHERE ($1 = '' OR type = $1) AND last_time >= $2`,
		typ, normTime(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count security events: %w", err)
	}
	return n, nil
}

// AddUsage adds every row's counts to its (hour, client, route, method) row,
// all in one transaction. Hours are truncated to the hour in UTC.
func (p *Postgres) AddUsage(ctx context.Context, rows []UsageRollup) error {
	return p.addUsage(ctx, hourlyUsage, rows)
}

// ListUsage returns rollups with Since <= Hour < Until (a zero bound is
// open), ordered by hour, client, route, method.
func (p *Postgres) ListUsage(ctx context.Context, f UsageFilter) ([]UsageRollup, error) {
	return p.listUsage(ctx, hourlyUsage, f)
}

// DeleteUsageBefore deletes rollups whose hour is before t.
func (p *Postgres) DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error) {
	return p.deleteUsageBefore(ctx, hourlyUsage, t)
}

// CreateRun stores a new run; an existing ID is ErrConflict.
func (p *Postgres) CreateRun(ctx context.Context, r ReadinessRun) error {
	if err := CheckRun(r); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = p.cfg.now()
	}
	r = normalizeRun(r)
	tag, err := p.pool.Exec(ctx, `INSERT INTO readiness_runs (`+runCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::json, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Target, r.Status, r.Progress, r.Total, r.Score, r.Grade, r.Error, rawJSON(r.Report),
		r.CreatedBy, r.CreatedAt, r.FinishedAt)
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create run %q: %w", r.ID, ErrConflict)
	}
	return nil
}

// UpdateRun writes the run's mutable fields (status, progress, total, score,
// grade, error, report, finished_at); a missing ID is ErrNotFound.
func (p *Postgres) UpdateRun(ctx context.Context, r ReadinessRun) error {
	if err := CheckRun(r); err != nil {
		return fmt.Errorf("update run: %w", err)
	}
	r = normalizeRun(r)
	tag, err := p.pool.Exec(ctx, `UPDATE readiness_runs SET status = $1, progress = $2, total = $3, score = $4,
		grade = $5, error = $6, report = $7::text::json, finished_at = $8 WHERE id = $9`,
		r.Status, r.Progress, r.Total, r.Score, r.Grade, r.Error, rawJSON(r.Report), r.FinishedAt, r.ID)
	if err != nil {
		return fmt.Errorf("update run: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("update run %q: %w", r.ID, ErrNotFound)
	}
	return nil
}

func pgScanRun(sc scanner) (ReadinessRun, error) {
	var r ReadinessRun
	var report []byte
	if err := sc.Scan(&r.ID, &r.Target, &r.Status, &r.Progress, &r.Total, &r.Score, &r.Grade, &r.Error,
		&report, &r.CreatedBy, &r.CreatedAt, &r.FinishedAt); err != nil {
		return ReadinessRun{}, err
	}
	if len(report) > 0 {
		r.Report = report
	}
	return normalizeRun(r), nil
}

// GetRun returns the run or ErrNotFound.
func (p *Postgres) GetRun(ctx context.Context, id string) (ReadinessRun, error) {
	if CheckText("id", id) != nil {
		return ReadinessRun{}, fmt.Errorf("get run: %w", ErrNotFound)
	}
	r, err := pgScanRun(p.pool.QueryRow(ctx, `SELECT `+runCols+` FROM readiness_runs WHERE id = $1`, id))
	if err != nil {
		return ReadinessRun{}, pgNotFound(err, "get run")
	}
	return r, nil
}

// ListRuns returns runs newest first, before f.Before when set; limit 0
// means 100, at most 1000.
func (p *Postgres) ListRuns(ctx context.Context, f RunFilter) ([]ReadinessRun, error) {
	q, args := runsQuery(pgDialect, f)
	rows, err := p.pool.Query(ctx, q, args...)
	return scanRows("list runs", rows, err, pgScanRun)
}

// AcquireLease takes the lease if it is free, expired or already holder's,
// until now()+ttl by the database's clock, in one atomic upsert, and reports
// whether holder owns it.
func (p *Postgres) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("acquire lease: ttl %s must be positive", ttl)
	}
	var got string
	err := p.pool.QueryRow(ctx, `INSERT INTO leases AS l (name, holder, expires_at)
		VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
		RETURNING holder`, name, holder, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	return got == holder, nil
}

// ReleaseLease gives the lease up if holder owns it; otherwise it does
// nothing.
func (p *Postgres) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	if _, err := p.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
