package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CreateSilence stores a new silence; an existing ID is ErrConflict.
func (s *SQLite) CreateSilence(ctx context.Context, sl Silence) error {
	if err := CheckSilence(sl); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	sl = normalizeSilence(sl)
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = normTime(s.cfg.now())
	}
	m, err := toJSON(sl.Matchers)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		sl.ID, m, sqliteTime(sl.StartsAt), sqliteTime(sl.EndsAt), sl.CreatedBy, sl.Comment, sqliteTime(sl.CreatedAt))
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create silence: %w", err)
	} else if n == 0 {
		return fmt.Errorf("create silence %q: %w", sl.ID, ErrConflict)
	}
	return nil
}

const silenceCols = `id, matchers, starts_at, ends_at, created_by, comment, created_at`

func liteScanSilence(sc scanner) (Silence, error) {
	var sl Silence
	err := sc.Scan(&sl.ID, liteJSON{&sl.Matchers}, liteTime{&sl.StartsAt}, liteTime{&sl.EndsAt},
		&sl.CreatedBy, &sl.Comment, liteTime{&sl.CreatedAt})
	return sl, err
}

// GetSilence returns the silence or ErrNotFound.
func (s *SQLite) GetSilence(ctx context.Context, id string) (Silence, error) {
	if CheckText("id", id) != nil {
		return Silence{}, fmt.Errorf("get silence: %w", ErrNotFound)
	}
	sl, err := liteScanSilence(s.r.QueryRowContext(ctx, `SELECT `+silenceCols+` FROM silences WHERE id = ?`, id))
	if err != nil {
		return Silence{}, notFound(err, "get silence")
	}
	return sl, nil
}

// ListSilences returns every silence, expired ones included, newest first.
func (s *SQLite) ListSilences(ctx context.Context) ([]Silence, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+silenceCols+` FROM silences ORDER BY created_at DESC, id`)
	return scanRows("list silences", rows, err, liteScanSilence)
}

// ExpireSilence ends the silence at at (never later than its EndsAt; a
// silence that had not started yet starts and ends at at).
func (s *SQLite) ExpireSilence(ctx context.Context, id string, at time.Time) error {
	if CheckText("id", id) != nil {
		return fmt.Errorf("expire silence: %w", ErrNotFound)
	}
	at = normTime(at)
	return s.tx(ctx, func(tx *sql.Tx) error {
		var starts, ends time.Time
		err := tx.QueryRowContext(ctx, `SELECT starts_at, ends_at FROM silences WHERE id = ?`, id).
			Scan(liteTime{&starts}, liteTime{&ends})
		if err != nil {
			return notFound(err, "expire silence")
		}
		starts, ends = expireWindow(starts, ends, at)
		if _, err := tx.ExecContext(ctx, `UPDATE silences SET starts_at = ?, ends_at = ? WHERE id = ?`,
			sqliteTime(starts), sqliteTime(ends), id); err != nil {
			return fmt.Errorf("expire silence: %w", err)
		}
		return nil
	})
}

// DeleteSilencesEndedBefore deletes the silences that ended before t.
func (s *SQLite) DeleteSilencesEndedBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.execCount(ctx, "delete silences", `DELETE FROM silences WHERE ends_at < ?`, sqliteTime(t))
}

// expireWindow moves a silence's end to at (if earlier) and keeps
// StartsAt <= EndsAt.
func expireWindow(starts, ends, at time.Time) (time.Time, time.Time) {
	if at.Before(ends) {
		ends = at
	}
	if starts.After(ends) {
		starts = ends
	}
	return starts, ends
}

const notificationCols = `receiver, group_key, firing_alerts, resolved_alerts, sent_at, expires_at,
	owed_firing, owed_since, attempts, attempted_at, last_error`

func liteScanNotification(sc scanner) (NotificationEntry, error) {
	var e NotificationEntry
	err := sc.Scan(&e.Receiver, &e.GroupKey, liteJSON{&e.FiringAlerts}, liteJSON{&e.ResolvedAlerts},
		liteTime{&e.SentAt}, liteTime{&e.ExpiresAt}, liteJSON{&e.OwedFiring}, liteTime{&e.OwedSince},
		&e.Attempts, liteTime{&e.AttemptedAt}, &e.LastError)
	return e, err
}

// GetNotification returns the log entry or ErrNotFound.
func (s *SQLite) GetNotification(ctx context.Context, receiver, groupKey string) (NotificationEntry, error) {
	if CheckText("receiver", receiver) != nil || CheckText("group_key", groupKey) != nil {
		return NotificationEntry{}, fmt.Errorf("get notification: %w", ErrNotFound)
	}
	e, err := liteScanNotification(s.r.QueryRowContext(ctx, `SELECT `+notificationCols+`
		FROM notification_log WHERE receiver = ? AND group_key = ?`, receiver, groupKey))
	if err != nil {
		return NotificationEntry{}, notFound(err, "get notification")
	}
	return e, nil
}

// ListOwedNotifications returns the entries owing a delivery since since.
func (s *SQLite) ListOwedNotifications(ctx context.Context, since time.Time) ([]NotificationEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+notificationCols+` FROM notification_log
		WHERE owed_since IS NOT NULL AND owed_since >= ? ORDER BY receiver, group_key LIMIT ?`, sqliteTime(since), maxOwedNotifications)
	return scanRows("list owed notifications", rows, err, liteScanNotification)
}

// PutNotification inserts or replaces the log entry.
func (s *SQLite) PutNotification(ctx context.Context, e NotificationEntry) error {
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO notification_log (`+notificationCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (receiver, group_key) DO UPDATE SET firing_alerts = excluded.firing_alerts,
		resolved_alerts = excluded.resolved_alerts, sent_at = excluded.sent_at, expires_at = excluded.expires_at,
		owed_firing = excluded.owed_firing, owed_since = excluded.owed_since, attempts = excluded.attempts,
		attempted_at = excluded.attempted_at, last_error = excluded.last_error`,
		e.Receiver, e.GroupKey, js[0], js[1], sqliteTime(e.SentAt), sqliteTime(e.ExpiresAt),
		js[2], sqliteTimePtr(zeroNil(e.OwedSince)), e.Attempts, sqliteTimePtr(zeroNil(e.AttemptedAt)), e.LastError)
	if err != nil {
		return fmt.Errorf("put notification: %w", err)
	}
	return nil
}

const securityCols = `id, time, type, level, client, ip, method, route, trace_id, detail, count, last_time`

// AppendSecurityEvent appends e and returns it as stored, with its ID; a
// Key already stored is ErrConflict.
func (s *SQLite) AppendSecurityEvent(ctx context.Context, e SecurityEvent) (SecurityEvent, error) {
	if err := CheckSecurityEvent(e); err != nil {
		return SecurityEvent{}, fmt.Errorf("append security event: %w", err)
	}
	e = normSecurityEvent(e, s.cfg.now)
	err := s.w.QueryRowContext(ctx, `INSERT INTO security_events
		(time, type, level, client, ip, method, route, trace_id, detail, count, last_time, event_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		sqliteTime(e.Time), e.Type, e.Level, e.Client, e.IP, e.Method, e.Route, e.TraceID, e.Detail,
		e.Count, sqliteTime(e.LastAt), eventKey(e.Key)).Scan(&e.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return SecurityEvent{}, fmt.Errorf("append security event %q: %w", e.Key, ErrConflict)
	}
	if err != nil {
		return SecurityEvent{}, fmt.Errorf("append security event: %w", err)
	}
	return e, nil
}

// AppendSecurityEvents appends es in one transaction, skipping the events
// whose Key is already stored, and returns how many it stored.
func (s *SQLite) AppendSecurityEvents(ctx context.Context, es []SecurityEvent) (int, error) {
	if len(es) == 0 {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO security_events
			(time, type, level, client, ip, method, route, trace_id, detail, count, last_time, event_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
		if err != nil {
			return fmt.Errorf("append security events: %w", err)
		}
		defer stmt.Close()
		for _, e := range es {
			e = normSecurityEvent(storableSecurityEvent(e), s.cfg.now)
			res, err := stmt.ExecContext(ctx, sqliteTime(e.Time), e.Type, e.Level, e.Client, e.IP, e.Method, e.Route,
				e.TraceID, e.Detail, e.Count, sqliteTime(e.LastAt), eventKey(e.Key))
			if err != nil {
				return fmt.Errorf("append security events: %w", err)
			}
			if k, err := res.RowsAffected(); err == nil {
				n += int(k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ListSecurityEvents returns matching events, newest first.
func (s *SQLite) ListSecurityEvents(ctx context.Context, f SecurityFilter) ([]SecurityEvent, error) {
	q, args := securityEventsQuery(liteDialect, f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	return scanRows("list security events", rows, err, liteScanSecurityEvent)
}

func liteScanSecurityEvent(sc scanner) (SecurityEvent, error) {
	var e SecurityEvent
	err := sc.Scan(&e.ID, liteTime{&e.Time}, &e.Type, &e.Level, &e.Client, &e.IP, &e.Method,
		&e.Route, &e.TraceID, &e.Detail, &e.Count, liteTime{&e.LastAt})
	e.FirstAt = e.Time
	return e, err
}

// CountSecurityEvents sums the occurrences of typ ("" for every type) in
// rows whose last occurrence is at or after since.
func (s *SQLite) CountSecurityEvents(ctx context.Context, typ string, since time.Time) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(count), 0) FROM security_events
		WHERE (? = '' OR type = ?) AND last_time >= ?`,
		typ, typ, sqliteTime(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count security events: %w", err)
	}
	return n, nil
}

// AddUsage adds every row's counts to its (hour, client, route, method) row,
// all in one transaction. Hours are truncated to the hour in UTC.
func (s *SQLite) AddUsage(ctx context.Context, rows []UsageRollup) error {
	return s.addUsage(ctx, hourlyUsage, rows)
}

// ListUsage returns rollups with Since <= Hour < Until (a zero bound is
// open), ordered by hour, client, route, method.
func (s *SQLite) ListUsage(ctx context.Context, f UsageFilter) ([]UsageRollup, error) {
	return s.listUsage(ctx, hourlyUsage, f)
}

// DeleteUsageBefore deletes rollups whose hour is before t.
func (s *SQLite) DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error) {
	return s.deleteUsageBefore(ctx, hourlyUsage, t)
}

const runCols = `id, target, status, progress, total, score, grade, error, report, created_by, created_at, finished_at`

// CreateRun stores a new run; an existing ID is ErrConflict.
func (s *SQLite) CreateRun(ctx context.Context, r ReadinessRun) error {
	if err := CheckRun(r); err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.cfg.now()
	}
	r = normalizeRun(r)
	res, err := s.w.ExecContext(ctx, `INSERT INTO readiness_runs (`+runCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.Target, r.Status, r.Progress, r.Total, r.Score, r.Grade, r.Error, rawJSON(r.Report),
		r.CreatedBy, sqliteTime(r.CreatedAt), sqliteTimePtr(r.FinishedAt))
	if err != nil {
		return fmt.Errorf("create run: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create run: %w", err)
	} else if n == 0 {
		return fmt.Errorf("create run %q: %w", r.ID, ErrConflict)
	}
	return nil
}

// UpdateRun writes the run's mutable fields (status, progress, total, score,
// grade, error, report, finished_at); a missing ID is ErrNotFound.
func (s *SQLite) UpdateRun(ctx context.Context, r ReadinessRun) error {
	if err := CheckRun(r); err != nil {
		return fmt.Errorf("update run: %w", err)
	}
	r = normalizeRun(r)
	res, err := s.w.ExecContext(ctx, `UPDATE readiness_runs SET status = ?, progress = ?, total = ?, score = ?,
		grade = ?, error = ?, report = ?, finished_at = ? WHERE id = ?`,
		r.Status, r.Progress, r.Total, r.Score, r.Grade, r.Error, rawJSON(r.Report), sqliteTimePtr(r.FinishedAt), r.ID)
	if err != nil {
		return fmt.Errorf("update run: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update run: %w", err)
	} else if n == 0 {
		return fmt.Errorf("update run %q: %w", r.ID, ErrNotFound)
	}
	return nil
}

func liteScanRun(sc scanner) (ReadinessRun, error) {
	var r ReadinessRun
	var report sql.NullString
	err := sc.Scan(&r.ID, &r.Target, &r.Status, &r.Progress, &r.Total, &r.Score, &r.Grade, &r.Error,
		&report, &r.CreatedBy, liteTime{&r.CreatedAt}, liteTimePtr{&r.FinishedAt})
	if report.Valid && report.String != "" {
		r.Report = []byte(report.String)
	}
	return r, err
}

// GetRun returns the run or ErrNotFound.
func (s *SQLite) GetRun(ctx context.Context, id string) (ReadinessRun, error) {
	if CheckText("id", id) != nil {
		return ReadinessRun{}, fmt.Errorf("get run: %w", ErrNotFound)
	}
	r, err := liteScanRun(s.r.QueryRowContext(ctx, `SELECT `+runCols+` FROM readiness_runs WHERE id = ?`, id))
	if err != nil {
		return ReadinessRun{}, notFound(err, "get run")
	}
	return r, nil
}

// ListRuns returns runs newest first, before f.Before when set; limit 0
// means 100, at most 1000.
func (s *SQLite) ListRuns(ctx context.Context, f RunFilter) ([]ReadinessRun, error) {
	q, args := runsQuery(liteDialect, f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	return scanRows("list runs", rows, err, liteScanRun)
}

// AcquireLease takes the lease if it is free, expired or already holder's,
// until now+ttl by the store's clock, and reports whether holder owns it.
func (s *SQLite) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if err := checkLease(name, holder); err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	if ttl <= 0 {
		return false, fmt.Errorf("acquire lease: ttl %s must be positive", ttl)
	}
	now := s.cfg.now()
	var got string
	err := s.w.QueryRowContext(ctx, `INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at <= ?
		RETURNING holder`, name, holder, sqliteTime(now.Add(ttl)), sqliteTime(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease: %w", err)
	}
	return got == holder, nil
}

// ReleaseLease gives the lease up if holder owns it; otherwise it does
// nothing.
func (s *SQLite) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	return nil
}
