package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a keyed lookup finds nothing.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when an update lost a race or breaks a rule of the
// data (for example acknowledging a resolved alert).
var ErrConflict = errors.New("conflict")

// Store is everything Vigil persists. SQLite (embedded default) and
// PostgreSQL (shared by replicas) implement it and pass one contract suite.
// Consumers declare the subset they need.
//
// Every write checks its strings first (CheckText and the Check* functions
// of text.go): a NUL character or invalid UTF-8 is an error wrapping
// ErrInvalidText that names the field, on both backends, and nothing is
// written.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	// Alerts. UpsertAlert inserts or replaces by ID.
	UpsertAlert(ctx context.Context, a Alert) error
	GetAlert(ctx context.Context, id string) (Alert, error)
	ListAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// UpdateAlert reads the alert, applies fn and writes it back in one
	// transaction, so concurrent replicas never lose an update. fn's error is
	// returned as is and nothing is written.
	UpdateAlert(ctx context.Context, id string, fn func(*Alert) error) (Alert, error)
	// InsertAlert stores a new alert and appends its first history events
	// in one transaction; an existing ID is ErrConflict and nothing is
	// written. It returns the alert and the events as stored (times at
	// Precision, event IDs set; every event's AlertID and Fingerprint are
	// the alert's).
	InsertAlert(ctx context.Context, a Alert, events ...AlertEvent) (Alert, []AlertEvent, error)
	// UpdateAlertEvents is UpdateAlert whose fn also returns the history
	// events of the change, appended in the same transaction: a state
	// change and its history are written together or not at all. fn's
	// error is returned as is and nothing is written.
	UpdateAlertEvents(ctx context.Context, id string, fn func(*Alert) ([]AlertEvent, error)) (Alert, []AlertEvent, error)
	AppendAlertEvent(ctx context.Context, e AlertEvent) (AlertEvent, error)
	ListAlertEvents(ctx context.Context, alertID string) ([]AlertEvent, error)

	// Silences.
	CreateSilence(ctx context.Context, s Silence) error
	GetSilence(ctx context.Context, id string) (Silence, error)
	ListSilences(ctx context.Context) ([]Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	// DeleteSilencesEndedBefore deletes the silences whose EndsAt is before
	// t and returns how many.
	DeleteSilencesEndedBefore(ctx context.Context, t time.Time) (int64, error)

	// Notification log, keyed by (receiver, group key).
	GetNotification(ctx context.Context, receiver, groupKey string) (NotificationEntry, error)
	PutNotification(ctx context.Context, e NotificationEntry) error
	// ListOwedNotifications returns the entries owing a delivery since at
	// or after since (OwedSince set), by receiver and group key.
	ListOwedNotifications(ctx context.Context, since time.Time) ([]NotificationEntry, error)

	// Security events: append-only. AppendSecurityEvent returns
	// ErrConflict for a Key already stored; AppendSecurityEvents appends
	// in one transaction, skips those and returns how many it stored.
	// CountSecurityEvents sums Count over the rows whose last occurrence is
	// at or after since.
	AppendSecurityEvent(ctx context.Context, e SecurityEvent) (SecurityEvent, error)
	AppendSecurityEvents(ctx context.Context, es []SecurityEvent) (int, error)
	ListSecurityEvents(ctx context.Context, f SecurityFilter) ([]SecurityEvent, error)
	CountSecurityEvents(ctx context.Context, typ string, since time.Time) (int64, error)

	// Usage rollups: AddUsage adds counts to (hour, client, route, method).
	AddUsage(ctx context.Context, rows []UsageRollup) error
	ListUsage(ctx context.Context, f UsageFilter) ([]UsageRollup, error)
	DeleteUsageBefore(ctx context.Context, t time.Time) (int64, error)
	// Per-minute usage rollups of the recent past: AddUsageMinutes adds
	// each row to its minute and to its hour's rollup in one transaction;
	// UsageMinutesSince is when minute rollups began (earlier hours have
	// none).
	AddUsageMinutes(ctx context.Context, rows []UsageMinute) error
	ListUsageMinutes(ctx context.Context, f UsageFilter) ([]UsageMinute, error)
	DeleteUsageMinutesBefore(ctx context.Context, t time.Time) (int64, error)
	UsageMinutesSince(ctx context.Context) (time.Time, error)

	// Readiness runs.
	CreateRun(ctx context.Context, r ReadinessRun) error
	UpdateRun(ctx context.Context, r ReadinessRun) error
	GetRun(ctx context.Context, id string) (ReadinessRun, error)
	ListRuns(ctx context.Context, f RunFilter) ([]ReadinessRun, error)

	// Leases for leader election: AcquireLease takes or renews the named
	// lease for holder until now+ttl and reports whether holder owns it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, name, holder string) error

	// API keys and console sessions (keys.go).
	KeyStore
}
