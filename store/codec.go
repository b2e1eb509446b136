package store

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// Limits of the list methods.
const (
	DefaultAlertLimit    = 1000
	MaxAlertLimit        = 10000
	DefaultSecurityLimit = 100
	MaxSecurityLimit     = 1000
	DefaultRunLimit      = 100
	MaxRunLimit          = 1000
)

func clampLimit(n, def, max int) int {
	if n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}

// Times are kept with microsecond precision (PostgreSQL's timestamptz
// precision) in UTC by both backends, so they behave the same.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// SQLite keeps times as fixed-width RFC 3339 text in UTC, which sorts and
// compares correctly as text and round-trips the zero time.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

func sqliteTime(t time.Time) string { return normTime(t).Format(sqliteTimeLayout) }

func sqliteTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return sqliteTime(*t)
}

func parseSQLiteTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

func fromJSON(s []byte, v any) error {
	if len(s) == 0 {
		return nil
	}
	if err := json.Unmarshal(s, v); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

// rawJSON turns a readiness report into a nullable column value.
func rawJSON(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

// SQLite turns NaN into NULL; the value column is nullable for that reason.
func nullableFloat(f float64) any {
	if math.IsNaN(f) {
		return nil
	}
	return f
}

func nan() float64 { return math.NaN() }

// normalizeAlert returns a as the store keeps it.
func normalizeAlert(a Alert) Alert {
	a.ActiveAt = normTime(a.ActiveAt)
	a.FiredAt = normTimePtr(a.FiredAt)
	a.ResolvedAt = normTimePtr(a.ResolvedAt)
	a.LastEvalAt = normTime(a.LastEvalAt)
	a.KeepFiringSince = normTimePtr(a.KeepFiringSince)
	a.AcknowledgedAt = normTimePtr(a.AcknowledgedAt)
	a.UpdatedAt = normTime(a.UpdatedAt)
	return a
}

func normalizeSilence(s Silence) Silence {
	s.StartsAt = normTime(s.StartsAt)
	s.EndsAt = normTime(s.EndsAt)
	s.CreatedAt = normTime(s.CreatedAt)
	return s
}

func normalizeRun(r ReadinessRun) ReadinessRun {
	r.CreatedAt = normTime(r.CreatedAt)
	r.FinishedAt = normTimePtr(r.FinishedAt)
	return r
}
