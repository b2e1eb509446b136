package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/vigilhq/vigil/store"
)

// PostgresBase returns the DSN of the test PostgreSQL server
// (VIGIL_TEST_POSTGRES, default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable), once it
// answers. Without a server the test skips, or fails when CI is set.
func PostgresBase(t testing.TB) string {
	t.Helper()
	base := os.Getenv("VIGIL_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres unreachable (set VIGIL_TEST_POSTGRES): %v", err)
		}
		t.Skipf("postgres unreachable, skipping (CI unset): %v", err)
	}
	_ = conn.Close(ctx)
	return base
}

// PostgresSchema creates a fresh, empty schema on the test server
// (PostgresBase), dropped when the test ends, and returns a DSN whose
// search_path selects it, and its name.
func PostgresSchema(t testing.TB) (dsn, schema string) {
	t.Helper()
	base := PostgresBase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer conn.Close(context.Background())
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema = "vigil_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, schema
}

// PostgresDSN is PostgresSchema's DSN.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn, _ := PostgresSchema(t)
	return dsn
}

// OpenPostgres opens a store on a fresh PostgreSQL schema (PostgresDSN),
// closed when the test ends.
func OpenPostgres(t testing.TB) store.Store {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// OpenSQLite opens a store on a new SQLite file, closed when the test ends.
func OpenSQLite(t testing.TB) store.Store {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
