package security_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

// viaProxy rewrites dsn's host to the proxy's address.
func viaProxy(t *testing.T, dsn, addr string) string {
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	u.Host = addr
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestRecorderSurvivesPostgresOutage is issue 21 item 4: during a 30 s
// PostgreSQL outage 0 of 60 events were stored. The store's connection is
// cut (a proxy in front of the shared server, a schema of the test's own);
// the events go to the spool in the data dir, and once the database is back
// they are all written, once.
func TestRecorderSurvivesPostgresOutage(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	proxy := vigiltest.NewProxy(t, u.Host)
	st, err := store.OpenPostgres(t.Context(), viaProxy(t, dsn, proxy.Addr()))
	require.NoError(t, err)
	defer st.Close()
	direct, err := store.OpenPostgres(t.Context(), dsn)
	require.NoError(t, err)
	defer direct.Close()

	dir := t.TempDir()
	rec, err := security.NewRecorder(security.RecorderConfig{Store: st, SpoolDir: dir, Window: time.Hour,
		RetryInterval: time.Hour, WriteTimeout: 3 * time.Second})
	require.NoError(t, err)
	defer rec.Close(context.Background())
	record := func(n int, typ string) {
		for i := range n {
			rec.Record(t.Context(), store.SecurityEvent{Type: typ, IP: fmt.Sprintf("192.0.2.%d", i%4), Route: "/api/alerts"})
		}
	}
	record(10, security.EventAuthzFail)
	require.NoError(t, rec.Flush(t.Context()))

	proxy.Cut()
	record(60, security.EventAuthnLoginFail)
	require.Error(t, rec.Flush(t.Context()), "the database is unreachable")
	assert.Equal(t, 4, rec.Stats().Spooled)
	record(40, security.EventAuthnLoginFail)
	require.Error(t, rec.Flush(t.Context()))
	assert.Equal(t, 8, rec.Stats().Spooled)
	counts, _ := totals(t, direct)
	assert.Equal(t, map[string]int64{security.EventAuthzFail: 10}, counts, "nothing of the outage reached the database yet")

	proxy.Restore()
	require.Eventually(t, func() bool { return rec.Flush(t.Context()) == nil }, 30*time.Second, 50*time.Millisecond,
		"the spool is replayed once the database answers")
	assert.Zero(t, rec.Stats().Spooled)
	assert.Zero(t, rec.Stats().Dropped)
	counts, rows := totals(t, direct)
	assert.Equal(t, map[string]int64{security.EventAuthzFail: 10, security.EventAuthnLoginFail: 100}, counts)
	assert.Equal(t, 4+8, rows, "aggregated: one row per source, type and window, none twice")
}

// TestFailedAuthFlood is issue 21 item 4's flood: of 24 734 failed-auth
// events, 8 153 were stored. 20 000 wrong-key requests through the real
// middleware: every event is either stored (aggregated into a few rows) or
// counted as dropped, and the log holds a handful of lines.
func TestFailedAuthFlood(t *testing.T) {
	st := openSQLite(t)
	var logs vigiltest.SyncBuffer
	clock := &stepClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)} // the flood's one second
	rec, err := security.NewRecorder(security.RecorderConfig{Store: st, Window: time.Hour, MaxKeys: 300,
		SpoolDir: t.TempDir(), Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: clock.Now})
	require.NoError(t, err)
	auth, err := security.NewAuthenticator(testConfig(true), security.WithEvents(rec))
	require.NoError(t, err)
	e := echo.New()
	e.Use(auth.Authenticate())
	e.GET("/api/alerts", func(c echo.Context) error { return c.NoContent(http.StatusOK) }, auth.Require(security.RoleViewer))

	const requests, workers, sources = 20000, 8, 400
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < requests; i += workers {
				req := httptest.NewRequest(http.MethodGet, "/api/alerts", nil)
				req.Header.Set("X-API-Key", "wrong-key")
				req.RemoteAddr = fmt.Sprintf("10.1.%d.%d:5000", (i%sources)/250, (i%sources)%250)
				rr := httptest.NewRecorder()
				e.ServeHTTP(rr, req)
				if rr.Code != http.StatusUnauthorized {
					t.Errorf("request %d: %d", i, rr.Code)
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, rec.Flush(t.Context()))
	stats := rec.Stats()
	require.NoError(t, rec.Close(t.Context()))

	counts, rows := totals(t, st)
	assert.Equal(t, int64(requests), counts[security.EventAuthnLoginFail]+counts[security.EventDropped],
		"nothing lost beyond the counted drops: %v", counts)
	assert.Equal(t, stats.Dropped, counts[security.EventDropped])
	assert.Equal(t, 300+1, rows, "one row per source up to MaxKeys, and one dropped row")
	assert.Len(t, logLines(t, bytes.NewBufferString(logs.String())), 20, "the log is throttled: 20 lines a second at most")
}
