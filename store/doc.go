// Package store persists everything Vigil must not forget: alerts and their
// append-only history, silences, the notification log, security events,
// usage rollups, readiness runs and leader-election leases. Two backends
// implement the one Store interface and pass one contract suite
// (package storetest).
//
// # Choosing a backend
//
// Open picks the backend from a DSN (the --store flag / VIGIL_STORE):
//
//   - "" or a file path or "sqlite://path": SQLite, embedded, no server.
//     The default, and right for a single process. The application passes
//     <data-dir>/vigil.db to OpenSQLite.
//   - "postgres://..." or "postgresql://...": PostgreSQL, for several
//     replicas sharing state. Parameters pgx does not know (search_path,
//     application_name, ...) become session settings.
//
// For example:
//
//	st, err := store.Open(ctx, os.Getenv("VIGIL_STORE"), store.WithLogger(logger))
//	if err != nil { ... }
//	defer st.Close()
//
// Consumers declare the few methods they need as their own interface.
//
// # Guarantees
//
// Both backends migrate their schema on open (versioned SQL files under
// migrations/<dialect>, recorded in schema_migrations; PostgreSQL replicas
// starting together serialise on an advisory lock). Times are returned in
// UTC with microsecond precision; maps and slices round-trip through JSON,
// nil as nil. UpdateAlert is a read-modify-write in one transaction (row
// lock on PostgreSQL, the single writer on SQLite), AddUsage adds counts
// through an upsert, and AcquireLease is one atomic upsert, timed by the
// database's clock on PostgreSQL. alert_events and security_events refuse
// UPDATE and DELETE at the database.
//
// SQLite runs in WAL mode with synchronous=FULL through one writer
// connection (writers queue, never SQLITE_BUSY) and a small reader pool:
// a committed transaction survives kill -9 and power loss. The fn given to
// UpdateAlert runs inside the write transaction and must not call the
// store.
//
// Lists return empty, non-nil slices. ListAlerts returns newest (ActiveAt)
// first, default 1000 and at most 10000; ListSecurityEvents newest first,
// default 100 and at most 1000, paged with BeforeID; ListRuns newest first,
// default 100 and at most 1000, paged with RunFilter.Before (a run ID);
// ListAlertEvents oldest first.
//
// A security event row may aggregate Count occurrences from Time to LastAt
// (CountSecurityEvents sums them). An event with a Key is stored at most
// once: AppendSecurityEvents skips the keys already stored, so replaying a
// spool after an outage duplicates nothing. UpdateRun
// writes a run's mutable fields (status, progress, total, score, grade,
// error, report, finished_at). Append methods fill a zero Time from the
// clock (WithClock).
package store
