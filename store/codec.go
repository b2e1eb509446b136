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

// Precision is the resolution of every stored time: PostgreSQL's
// timestamptz precision, kept by both backends so they behave the same.
const Precision = time.Microsecond

// Truncate returns t in UTC at the store's precision: what any stored time
// reads back as. Code that sends a time it also stores (a notification's
// startsAt) truncates it first, so every copy carries the same instant.
func Truncate(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

func normTime(t time.Time) time.Time { return Truncate(t) }

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

// zeroNil maps the zero time to nil (a NULL column).
func zeroNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// maxOwedNotifications bounds ListOwedNotifications.
const maxOwedNotifications = 10000

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

// alertEvents prepares the history events of a for writing: they belong to
// a, their times default to now and are kept at Precision, and their text
// is checked.
func alertEvents(a Alert, evs []AlertEvent, now time.Time) ([]AlertEvent, error) {
	out := make([]AlertEvent, len(evs))
	for i, e := range evs {
		e.AlertID, e.Fingerprint = a.ID, a.Fingerprint
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = normTime(e.Time)
		if err := CheckAlertEvent(e); err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

// changeAlert is the backend-independent middle of UpdateAlertEvents: fn
// applied to the alert read in the caller's transaction, then the result
// and its events prepared and checked for writing. fnErr is fn's error, to
// be returned as is.
func changeAlert(a Alert, id string, now time.Time, fn func(*Alert) ([]AlertEvent, error)) (out Alert, evs []AlertEvent, fnErr, err error) {
	events, err := fn(&a)
	if err != nil {
		return Alert{}, nil, err, err
	}
	a.ID = id
	a = normalizeAlert(a)
	// The events first: their fields (by, comment) are what a caller typed,
	// the alert's (acknowledged_by) are copies of them.
	if evs, err = alertEvents(a, events, now); err != nil {
		return Alert{}, nil, nil, fmt.Errorf("update alert: %w", err)
	}
	if err := CheckAlert(a); err != nil {
		return Alert{}, nil, nil, fmt.Errorf("update alert: %w", err)
	}
	return a, evs, nil, nil
}

// normSecurityEvent fills the defaults of an appended event: Time from now
// (or FirstAt), Count 1, LastAt Time; all at the store's precision.
func normSecurityEvent(e SecurityEvent, now func() time.Time) SecurityEvent {
	if e.Time.IsZero() {
		e.Time = e.FirstAt
	}
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = normTime(e.Time)
	if e.LastAt.IsZero() || e.LastAt.Before(e.Time) {
		e.LastAt = e.Time
	}
	e.LastAt = normTime(e.LastAt)
	e.FirstAt = e.Time
	if e.Count <= 0 {
		e.Count = 1
	}
	return e
}

// eventKey is the stored event_key: NULL for an event without a Key.
func eventKey(k string) any {
	if k == "" {
		return nil
	}
	return k
}

// storableSecurityEvent makes every string of a batched security event
// storable (ValidText): the events come from what clients sent, and one
// that cannot be stored must not keep a batch, and the audit trail with
// it, from being written.
func storableSecurityEvent(e SecurityEvent) SecurityEvent {
	for _, p := range []*string{&e.Type, &e.Level, &e.Client, &e.IP, &e.Method, &e.Route, &e.TraceID, &e.Detail, &e.Key} {
		*p = ValidText(*p)
	}
	return e
}
