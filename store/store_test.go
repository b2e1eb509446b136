package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

const childEnv = "VIGIL_STORE_TEST_CHILD_DB"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childWriter(path))
	}
	goleak.VerifyTestMain(m)
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	s, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "nested", "vigil.db"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, openSQLite)
}

func TestPostgresContract(t *testing.T) {
	pgSchemaDSN(t) // skip (or fail) once without a server
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenPostgres(t.Context(), pgSchemaDSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, s.Close()) })
		return s
	})
}

// pgSchemaDSN creates a fresh schema, dropped when the test ends, and
// returns a DSN whose search_path selects it (skipping, or failing when CI
// is set, without a server).
func pgSchemaDSN(t *testing.T) string { return storetest.PostgresDSN(t) }

// pgBase is the test PostgreSQL's DSN (storetest.PostgresBase).
func pgBase(t *testing.T) string { return storetest.PostgresBase(t) }

func TestOpenChoosesBackend(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name    string
		dsn     string
		want    string // type name, or "" for an error
		created string // file that must exist afterwards
	}{
		{"empty dsn opens sqlite in the default path", "", "*store.SQLite", store.DefaultSQLitePath},
		{"plain path opens sqlite", "a/b.db", "*store.SQLite", "a/b.db"},
		{"sqlite scheme opens sqlite", "sqlite://c/d.db", "*store.SQLite", "c/d.db"},
		{"unknown scheme is an error", "mysql://u@h/db", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.dsn)
			if tc.want == "" {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, tc.want, fmt.Sprintf("%T", s))
			assert.FileExists(t, tc.created)
		})
	}
}

func TestOpenPostgresScheme(t *testing.T) {
	dsn := pgSchemaDSN(t)
	for _, d := range []string{dsn, strings.Replace(dsn, "postgres://", "postgresql://", 1)} {
		s, err := store.Open(t.Context(), d)
		require.NoError(t, err)
		assert.Equal(t, "*store.Postgres", fmt.Sprintf("%T", s))
		require.NoError(t, s.Ping(t.Context()))
		require.NoError(t, s.Close())
	}
}

func TestOpenErrorsHideSecrets(t *testing.T) {
	_, err := store.OpenPostgres(t.Context(), "postgres://user:hunter2@127.0.0.1:5432/db?sslmode=bogus")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestOpenSQLiteRejectsEmptyPath(t *testing.T) {
	_, err := store.OpenSQLite(t.Context(), "")
	assert.Error(t, err)
}

func TestSQLiteSurvivesCloseAndReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	require.NoError(t, s.UpsertAlert(t.Context(), store.Alert{ID: "a1", State: store.StateFiring, Labels: map[string]string{"k": "v"}}))
	e, err := s.AppendAlertEvent(t.Context(), store.AlertEvent{AlertID: "a1", Kind: "firing"})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	a, err := s.GetAlert(t.Context(), "a1")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"k": "v"}, a.Labels)
	evs, err := s.ListAlertEvents(t.Context(), "a1")
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, e.ID, evs[0].ID)
	assertMigrationsOnce(t, sqliteDB(t, path))
}

func sqliteDB(t *testing.T, path string) *sql.DB {
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// assertMigrationsOnce checks schema_migrations lists every migration's
// version once.
func assertMigrationsOnce(t *testing.T, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v, n int
		require.NoError(t, rows.Scan(&v, &n))
		assert.Equal(t, 1, n, "version %d", v)
		got = append(got, v)
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, migrationVersions(t, "sqlite"), got, "every migration applied, in order")
}

// migrationVersions lists the versions of a dialect's migration files, in
// order. Branches number their migrations in separate ranges, so versions
// need not be consecutive.
func migrationVersions(t *testing.T, dialect string) []int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("migrations", dialect))
	require.NoError(t, err)
	var out []int
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		require.NoError(t, err, e.Name())
		out = append(out, v)
	}
	slices.Sort(out)
	require.NotEmpty(t, out, "at least one migration")
	return out
}

func TestSQLiteAppendOnlyTables(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.AppendAlertEvent(t.Context(), store.AlertEvent{AlertID: "a", Kind: "firing"})
	require.NoError(t, err)
	_, err = s.AppendSecurityEvent(t.Context(), store.SecurityEvent{Type: "authz_fail"})
	require.NoError(t, err)
	db := sqliteDB(t, path+"?_pragma=busy_timeout(5000)")
	for _, q := range []string{
		`UPDATE alert_events SET kind = 'x'`, `DELETE FROM alert_events`,
		`UPDATE security_events SET type = 'x'`, `DELETE FROM security_events`,
		`UPDATE security_events SET count = count + 1`,
	} {
		_, err := db.ExecContext(t.Context(), q)
		assert.ErrorContains(t, err, "append-only", q)
	}
}

func TestPostgresAppendOnlyTables(t *testing.T) {
	dsn := pgSchemaDSN(t)
	s, err := store.OpenPostgres(t.Context(), dsn)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.AppendAlertEvent(t.Context(), store.AlertEvent{AlertID: "a", Kind: "firing"})
	require.NoError(t, err)
	_, err = s.AppendSecurityEvent(t.Context(), store.SecurityEvent{Type: "authz_fail"})
	require.NoError(t, err)
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	for _, q := range []string{`UPDATE alert_events SET kind = 'x'`, `DELETE FROM security_events`,
		`UPDATE security_events SET count = count + 1`} {
		_, err := conn.Exec(t.Context(), q)
		assert.ErrorContains(t, err, "append-only", q)
	}
}

func TestPostgresConcurrentMigrations(t *testing.T) {
	dsn := pgSchemaDSN(t)
	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	stores := make([]store.Store, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = store.OpenPostgres(t.Context(), dsn)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "replica %d", i)
		require.NoError(t, stores[i].Ping(t.Context()))
		defer stores[i].Close()
	}
	conn, err := pgx.Connect(t.Context(), dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	rows, err := conn.Query(t.Context(), `SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version`)
	require.NoError(t, err)
	type vc struct {
		V int32
		N int64
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[vc])
	require.NoError(t, err)
	require.NotEmpty(t, got)
	var versions []int
	for _, r := range got {
		assert.Equal(t, int64(1), r.N, "version %d applied once", r.V)
		versions = append(versions, int(r.V))
	}
	assert.Equal(t, migrationVersions(t, "postgres"), versions, "every migration applied, in order")
	// Replicas share state: one writes, another reads.
	require.NoError(t, stores[0].UpsertAlert(t.Context(), store.Alert{ID: "shared", State: store.StateFiring}))
	a, err := stores[4].GetAlert(t.Context(), "shared")
	require.NoError(t, err)
	assert.Equal(t, store.StateFiring, a.State)
}

func TestSQLiteReopenDoesNotRemigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	for range 3 {
		s, err := store.OpenSQLite(t.Context(), path)
		require.NoError(t, err)
		require.NoError(t, s.Close())
	}
	assertMigrationsOnce(t, sqliteDB(t, path))
}

func TestSQLiteConcurrentWritersAcrossStores(t *testing.T) {
	// Two handles on one file (as during a restart overlap) must queue,
	// not fail with SQLITE_BUSY.
	path := filepath.Join(t.TempDir(), "vigil.db")
	a, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer a.Close()
	b, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer b.Close()
	hour := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 40 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			assert.NoError(t, s.AddUsage(t.Context(), []store.UsageRollup{{Hour: hour, Client: "c", Route: "/", Method: "GET", Requests: 1}}))
		})
	}
	wg.Wait()
	rows, err := a.ListUsage(t.Context(), store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, int64(40), rows[0].Requests)
}

// childWriter appends security events forever, printing each committed ID.
func childWriter(path string) int {
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; ; i++ {
		e, err := s.AppendSecurityEvent(context.Background(), store.SecurityEvent{Type: "authz_fail", Detail: strconv.Itoa(i)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		if _, err := s.UpdateAlert(context.Background(), "counter", func(a *store.Alert) error { a.Value++; return nil }); err != nil {
			if err := s.UpsertAlert(context.Background(), store.Alert{ID: "counter", Value: 1}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 4
			}
		}
		fmt.Printf("%d\n", e.ID)
	}
}

func TestSQLiteSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "vigil.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())

	// Read acknowledged IDs until enough commits happened, then kill -9 in
	// the middle of the write loop.
	sc := bufio.NewScanner(out)
	var last int64
	for sc.Scan() {
		id, err := strconv.ParseInt(sc.Text(), 10, 64)
		require.NoError(t, err)
		last = id
		if id >= 200 {
			break
		}
	}
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.GreaterOrEqual(t, last, int64(200), "child stderr: %s", stderr.String())

	s, err := store.OpenSQLite(t.Context(), path)
	require.NoError(t, err)
	defer s.Close()
	n, err := s.CountSecurityEvents(t.Context(), "", time.Time{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, last, "every acknowledged commit survived")
	evs, err := s.ListSecurityEvents(t.Context(), store.SecurityFilter{BeforeID: last + 1, Limit: 1})
	require.NoError(t, err)
	require.Len(t, evs, 1)
	assert.Equal(t, last, evs[0].ID)
	a, err := s.GetAlert(t.Context(), "counter")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, a.Value, float64(last), "the counter kept every acknowledged update")
	var check string
	require.NoError(t, sqliteDB(t, path).QueryRowContext(t.Context(), "PRAGMA integrity_check").Scan(&check))
	assert.Equal(t, "ok", check)
}

func TestPostgresReplicasDoNotLoseUpdates(t *testing.T) {
	dsn := pgSchemaDSN(t)
	var replicas [3]*store.Postgres
	for i := range replicas {
		s, err := store.OpenPostgres(t.Context(), dsn, store.WithMaxConns(2))
		require.NoError(t, err)
		defer s.Close()
		replicas[i] = s
	}
	require.NoError(t, replicas[0].UpsertAlert(t.Context(), store.Alert{ID: "a", State: store.StateFiring}))
	hour := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	leases := make(chan bool, 30)
	for i := range 30 {
		s := replicas[i%len(replicas)]
		wg.Go(func() {
			_, err := s.UpdateAlert(t.Context(), "a", func(a *store.Alert) error { a.Value++; return nil })
			assert.NoError(t, err)
			assert.NoError(t, s.AddUsage(t.Context(), []store.UsageRollup{{Hour: hour, Client: "c", Route: "/", Method: "GET", Requests: 1, Tokens: 2}}))
			ok, err := s.AcquireLease(t.Context(), "leader", fmt.Sprintf("replica-%d", i), time.Hour)
			assert.NoError(t, err)
			leases <- ok
		})
	}
	wg.Wait()
	close(leases)
	a, err := replicas[1].GetAlert(t.Context(), "a")
	require.NoError(t, err)
	assert.Equal(t, float64(30), a.Value)
	u, err := replicas[2].ListUsage(t.Context(), store.UsageFilter{})
	require.NoError(t, err)
	require.Len(t, u, 1)
	assert.Equal(t, int64(30), u[0].Requests)
	assert.Equal(t, int64(60), u[0].Tokens)
	won := 0
	for ok := range leases {
		if ok {
			won++
		}
	}
	assert.Equal(t, 1, won, "exactly one replica leads")
}
