package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// oldEvent is a security event written by a Vigil before migration 0030.
var oldEventTime = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func assertUpgradedEvent(t *testing.T, s store.Store) {
	t.Helper()
	evs, err := s.ListSecurityEvents(t.Context(), store.SecurityFilter{})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, int64(1), evs[0].Count, "an old row is one occurrence")
	assert.True(t, evs[0].LastAt.Equal(oldEventTime), "its last occurrence is its time: %s", evs[0].LastAt)
	n, err := s.CountSecurityEvents(t.Context(), "authz_fail", oldEventTime)
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
}

func TestSQLiteUpgradeKeepsOldSecurityEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	db := sqliteDB(t, path)
	init, err := os.ReadFile(filepath.Join("migrations", "sqlite", "0001_init.sql"))
	require.NoError(t, err)
	_, err = db.ExecContext(t.Context(), string(init)+`;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
		INSERT INTO schema_migrations VALUES (1, '0001_init', '2026-05-01T00:00:00.000000Z');
		INSERT INTO security_events (time, type, level, client, ip, method, route, trace_id, detail)
		VALUES ('2026-05-01T12:00:00.000000Z', 'authz_fail', 'WARN', 'c', '192.0.2.1', 'GET', '/x', '', 'old');`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	assertUpgradedEvent(t, s)
}

func TestPostgresUpgradeKeepsOldSecurityEvents(t *testing.T) {
	dsn := pgSchemaDSN(t)
	init, err := os.ReadFile(filepath.Join("migrations", "postgres", "0001_init.sql"))
	require.NoError(t, err)
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(t.Context(), string(init)+`;
		CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
		INSERT INTO schema_migrations (version, name) VALUES (1, '0001_init');
		INSERT INTO security_events (time, type, level, client, ip, method, route, trace_id, detail)
		VALUES ('2026-05-01T12:00:00Z', 'authz_fail', 'WARN', 'c', '192.0.2.1', 'GET', '/x', '', 'old');`)
	require.NoError(t, err)

	s, err := store.OpenPostgres(t.Context(), dsn)
	require.NoError(t, err)
	defer s.Close()
	assertUpgradedEvent(t, s)
	_, err = conn.Exec(t.Context(), `UPDATE security_events SET detail = 'rewritten'`)
	assert.ErrorContains(t, err, "append-only", "the trigger is back on after the backfill")
}
