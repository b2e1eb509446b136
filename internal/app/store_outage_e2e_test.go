package app_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// pgAddr is the test PostgreSQL's address, failing under CI (skipping
// otherwise) when it does not answer.
func pgAddr(t *testing.T) string {
	t.Helper()
	addr := "127.0.0.1:5432"
	if v := os.Getenv("VIGIL_TEST_POSTGRES_ADDR"); v != "" {
		addr = v
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("postgres unreachable at %s: %v", addr, err)
		}
		t.Skipf("postgres unreachable at %s, skipping (CI unset): %v", addr, err)
	}
	_ = c.Close()
	return addr
}

// proxiedStore gives a DSN reaching the test PostgreSQL through a proxy the
// test can cut, in a fresh schema (created by vigil itself, dropped at
// cleanup).
func proxiedStore(t *testing.T, name string) (*vigiltest.Proxy, string) {
	t.Helper()
	pg := pgAddr(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "vigil_test_" + name + "_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, "postgres://postgres@"+pg+"/test?sslmode=disable"); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
			_ = c.Close(ctx)
		}
	})
	proxy := vigiltest.NewProxy(t, pg)
	return proxy, "postgres://postgres@" + proxy.Addr() + "/test?sslmode=disable&connect_timeout=3&search_path=" + schema
}

// TestStoreOutageIsA503 runs vigil serve on PostgreSQL through a proxy and
// cuts the proxy: the alert API answers 503 problem details with
// Retry-After, and recovers when the database is reachable again.
func TestStoreOutageIsA503(t *testing.T) {
	proxy, storeDSN := proxiedStore(t, "outage")
	const admin = "outage-admin-token-0123456789"
	p := startVigil(t, t.TempDir(), []string{"VIGIL_ADMIN_TOKEN=" + admin,
		"VIGIL_STORE=" + storeDSN})
	resp, body := p.Do(http.MethodGet, "/api/alerts", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	proxy.Cut()
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/alerts"},
		{http.MethodGet, "/api/silences"},
		{http.MethodPost, "/api/alerts/nope/acknowledge"},
	} {
		var reqBody any
		if r.method == http.MethodPost {
			reqBody = map[string]string{"by": "ana"}
		}
		resp, body := p.Do(r.method, r.path, admin, reqBody)
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "%s %s: %s", r.method, r.path, body)
		assert.Equal(t, "5", resp.Header.Get("Retry-After"), r.path)
		assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"), r.path)
		var prob struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		require.NoError(t, json.Unmarshal(body, &prob), string(body))
		assert.Equal(t, http.StatusServiceUnavailable, prob.Status)
		assert.Contains(t, prob.Detail, "store is unavailable")
	}

	proxy.Restore()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, _ := p.Do(http.MethodGet, "/api/alerts", admin, nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		require.True(t, time.Now().Before(deadline), "the API never recovered: %d", resp.StatusCode)
		time.Sleep(200 * time.Millisecond) // waiting for another process's pool to reconnect
	}
}
