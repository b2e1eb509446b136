package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ Store = (*SQLite)(nil)

// SQLite is the embedded Store: one database file in WAL mode, written
// through a single connection (so concurrent writers queue instead of
// failing with SQLITE_BUSY) and read through a small pool. Every commit is
// synced (synchronous=FULL), so committed state survives kill -9 and power
// loss.
type SQLite struct {
	w   *sql.DB // exactly one connection; BEGIN IMMEDIATE
	r   *sql.DB // read-only connections
	wal *walKeeper
	cfg config
}

// OpenSQLite opens (creating if needed) the SQLite database at path,
// creating its parent directory, and migrates the schema.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path")
	}
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open sqlite: path %q must not contain '?'", path)
	}
	cfg := newConfig(opts)
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open sqlite: create directory: %w", err)
		}
	}
	const common = "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// journal_size_limit: a WAL reset by a checkpoint keeps at most the
	// limit on disk (the walKeeper truncates it to zero when it can).
	w, err := sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)"+
		fmt.Sprintf("&_pragma=journal_size_limit(%d)", cfg.walLimit)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &SQLite{w: w, cfg: cfg}
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	// Readers open after the writer switched the file to WAL (a persistent
	// setting), so they read concurrently with the writer.
	r, err := sql.Open("sqlite", path+common+"&_query_only=1")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	n := cfg.maxConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	s.wal = startWALKeeper(s, path, cfg.walLimit)
	return s, nil
}

func (s *SQLite) migrate(ctx context.Context) error {
	ms, err := loadMigrations("sqlite")
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		applied, err := appliedVersions(rows, err)
		if err != nil {
			return err
		}
		return applyPending(ms, applied, s.cfg.logger, "sqlite", func(m migration) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, sqliteTime(time.Now()))
			return err
		})
	})
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE on the writer).
func (s *SQLite) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping reports whether the database answers.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes the database; committed data is on disk.
func (s *SQLite) Close() error {
	s.wal.close()
	return errors.Join(s.r.Close(), s.w.Close())
}

// scanner is a *sql.Row, *sql.Rows or pgx.Row.

// liteTime scans a stored time into a time.Time (NULL → zero).
type liteTime struct{ dst *time.Time }

func (l liteTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*l.dst = time.Time{}
		return nil
	case string:
		t, err := parseSQLiteTime(v)
		*l.dst = t
		return err
	case []byte:
		t, err := parseSQLiteTime(string(v))
		*l.dst = t
		return err
	case time.Time:
		*l.dst = v.UTC()
		return nil
	}
	return fmt.Errorf("scan time: unexpected %T", v)
}

// liteTimePtr scans a nullable stored time into a *time.Time.
type liteTimePtr struct{ dst **time.Time }

func (l liteTimePtr) Scan(v any) error {
	if v == nil {
		*l.dst = nil
		return nil
	}
	var t time.Time
	if err := (liteTime{&t}).Scan(v); err != nil {
		return err
	}
	*l.dst = &t
	return nil
}

// liteJSON scans JSON text into dst.
type liteJSON struct{ dst any }

func (l liteJSON) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return fromJSON([]byte(v), l.dst)
	case []byte:
		return fromJSON(v, l.dst)
	}
	return fmt.Errorf("scan json: unexpected %T", v)
}

// liteFloat scans a REAL that SQLite stored as NULL for NaN.
type liteFloat struct{ dst *float64 }

func (l liteFloat) Scan(v any) error {
	var n sql.NullFloat64
	if err := n.Scan(v); err != nil {
		return err
	}
	if !n.Valid {
		*l.dst = nan()
		return nil
	}
	*l.dst = n.Float64
	return nil
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}
