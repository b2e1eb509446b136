package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/store"
)

// withParam adds key=value to a URL DSN.
func withParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// adminExec runs sql on the test database as the test's superuser.
func adminExec(t *testing.T, base, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	require.NoError(t, err)
}

// dropLater drops the schema when the test ends.
func dropLater(t *testing.T, base, schema string) {
	t.Cleanup(func() { adminExec(t, base, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE") })
}

func tablesIn(t *testing.T, base, schema string) int {
	t.Helper()
	c, err := pgx.Connect(t.Context(), base)
	require.NoError(t, err)
	defer c.Close(context.Background())
	var n int
	require.NoError(t, c.QueryRow(t.Context(),
		`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1`, schema).Scan(&n))
	return n
}

func TestPostgresCreatesTheSearchPathSchema(t *testing.T) {
	base := pgBase(t)
	tests := []struct {
		name, searchPath, schema string
	}{
		{"a missing schema is created", "", ""},
		{"a quoted mixed-case schema keeps its case", `"Vigil_Mixed_%s"`, "Vigil_Mixed_%s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := randomName("vigil_test_missing_")
			searchPath := schema
			if tt.searchPath != "" {
				id := randomName("")
				schema = strings.ReplaceAll(tt.schema, "%s", id)
				searchPath = strings.ReplaceAll(tt.searchPath, "%s", id)
			}
			dropLater(t, base, schema)
			s, err := store.OpenPostgres(t.Context(), withParam(t, base, "search_path", searchPath))
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			assert.Positive(t, tablesIn(t, base, schema), "the tables are in %s", schema)
			require.NoError(t, s.Ping(t.Context()))
			_, err = s.ListAlerts(t.Context(), store.AlertFilter{})
			require.NoError(t, err, "every pooled connection finds the tables")
		})
	}
	t.Run("replicas starting together create it once", func(t *testing.T) {
		schema := randomName("vigil_test_missing_")
		dropLater(t, base, schema)
		dsn := withParam(t, base, "search_path", schema)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() {
				s, err := store.OpenPostgres(t.Context(), dsn)
				if err == nil {
					_ = s.Close()
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
	})
	t.Run("a role that may not create it gets a sentence saying so", func(t *testing.T) {
		role := randomName("vigil_test_role_")
		adminExec(t, base, "CREATE ROLE "+role+" LOGIN")
		t.Cleanup(func() { adminExec(t, base, "DROP ROLE IF EXISTS "+role) })
		u, err := url.Parse(base)
		require.NoError(t, err)
		u.User = url.User(role)
		schema := randomName("vigil_test_missing_")
		dropLater(t, base, schema)
		_, err = store.OpenPostgres(t.Context(), withParam(t, u.String(), "search_path", schema))
		require.Error(t, err)
		assert.Contains(t, err.Error(), `schema "`+schema+`" named by search_path does not exist and could not be created`)
		assert.NotContains(t, err.Error(), "no schema has been selected")
	})
}
