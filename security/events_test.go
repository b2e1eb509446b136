package security_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/store"
)

// blockingStore blocks every append until released, then writes to the
// store it wraps.
type blockingStore struct {
	*store.SQLite
	release chan struct{}
}

func (b blockingStore) AppendSecurityEvents(ctx context.Context, es []store.SecurityEvent) (int, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
	return b.SQLite.AppendSecurityEvents(ctx, es)
}

// TestRecorderNeverBlocks: a stuck store never blocks a request, and what
// cannot be kept (here beyond MaxKeys distinct events in one window) is
// counted, in the metric and in a security_events_dropped row, so that the
// audit trail says how much it misses.
func TestRecorderNeverBlocks(t *testing.T) {
	st := blockingStore{SQLite: openSQLite(t), release: make(chan struct{})}
	reader := sdkmetric.NewManualReader()
	rec, err := security.NewRecorder(security.RecorderConfig{
		Store: st, MaxKeys: 4, Window: time.Hour,
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			rec.Record(t.Context(), store.SecurityEvent{Type: security.EventAuthzFail, IP: fmt.Sprintf("192.0.2.%d", i)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a stuck store")
	}
	assert.Equal(t, int64(96), rec.Stats().Dropped, "beyond MaxKeys distinct events per window, events are dropped from persistence")
	close(st.release)
	require.NoError(t, rec.Close(t.Context()))
	assert.ErrorIs(t, rec.Close(t.Context()), security.ErrRecorderClosed)

	assert.Equal(t, map[string]int64{security.EventAuthzFail: 100}, metricByAttr(t, reader, instrumentation.MetricSecurityEvents, "event.type"),
		"every event is counted, persisted or not")
	assert.Equal(t, map[string]int64{security.DropKeys: 96, security.DropQueue: 0, security.DropSpool: 0, security.DropClosed: 0, security.DropTorn: 0},
		metricByAttr(t, reader, names.MetricSecurityEventsDropped, "reason"), "every reason is exported, at 0 until it drops")
	evs, err := st.ListSecurityEvents(t.Context(), store.SecurityFilter{})
	require.NoError(t, err)
	counts := map[string]int64{}
	for _, e := range evs {
		counts[e.Type] += e.Count
	}
	assert.Equal(t, map[string]int64{security.EventAuthzFail: 4, security.EventDropped: 96}, counts,
		"the trail holds 4 events and says 96 are missing")
}

// metricByAttr sums a counter's points by the value of attribute key.
func metricByAttr(t *testing.T, reader *sdkmetric.ManualReader, name, key string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				v, _ := dp.Attributes.Value(attribute.Key(key))
				out[v.AsString()] += dp.Value
			}
		}
	}
	return out
}

func TestNotFoundWatcher(t *testing.T) {
	sink := &fakeSink{}
	clock := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	e := echo.New()
	e.Use(security.NotFoundWatcher(security.NotFoundConfig{Threshold: 5, Events: sink, Now: func() time.Time { return clock }}))
	e.GET("/api/users/:id", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound, "no user") })
	get := func(path, ip string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.RemoteAddr = ip + ":1000"
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	for i := range 5 {
		get(fmt.Sprint("/scan/", i), "192.0.2.1")
	}
	assert.Empty(t, sink.types(), "five 404s are within the threshold")
	get("/api/users/9", "192.0.2.1")
	assert.Equal(t, []string{security.EventMaliciousExcess404}, sink.types())
	assert.Equal(t, "192.0.2.1", sink.events[0].Client)
	for range 20 {
		get("/x", "192.0.2.1")
		get("/x", "192.0.2.2")
	}
	assert.Len(t, sink.types(), 2, "once per client per minute")
	clock = clock.Add(time.Minute)
	for range 6 {
		get("/x", "192.0.2.1")
	}
	assert.Len(t, sink.types(), 3, "a new minute counts afresh")
}

func TestEventsHandler(t *testing.T) {
	st := openSQLite(t)
	now := time.Now().UTC()
	for i := range 7 {
		typ := security.EventAuthnLoginFail
		if i%2 == 1 {
			typ = security.EventAuthzFail
		}
		_, err := st.AppendSecurityEvent(t.Context(), store.SecurityEvent{
			Time: now.Add(time.Duration(i-7) * time.Minute), Type: typ, Level: "WARN", IP: "192.0.2.1", Route: "/x", Method: "GET"})
		require.NoError(t, err)
	}
	h := security.NewHandlers(security.HandlersConfig{Store: st})
	e := echo.New()
	e.GET("/admin/security/events", h.Events)
	get := func(q url.Values) (*httptest.ResponseRecorder, security.EventsPage) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/security/events?"+q.Encode(), nil))
		var page security.EventsPage
		if rec.Code == http.StatusOK {
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
		}
		return rec, page
	}

	rec, page := get(url.Values{"limit": {"3"}})
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, page.Events, 3)
	assert.True(t, page.Events[0].ID > page.Events[2].ID, "newest first")
	var all []int64
	for _, ev := range page.Events {
		all = append(all, ev.ID)
	}
	for page.NextBefore != 0 {
		_, page = get(url.Values{"limit": {"3"}, "before": {fmt.Sprint(page.NextBefore)}})
		for _, ev := range page.Events {
			all = append(all, ev.ID)
		}
	}
	assert.Len(t, all, 7, "paging visits every event once")

	_, page = get(url.Values{"type": {security.EventAuthzFail}})
	assert.Len(t, page.Events, 3)
	_, page = get(url.Values{"since": {"150s"}})
	assert.Len(t, page.Events, 2, "events of the last 2.5 minutes")
	_, page = get(url.Values{"since": {now.Add(-150 * time.Second).Format(time.RFC3339)}})
	assert.Len(t, page.Events, 2)

	for param, bad := range map[string]string{"limit": "0", "before": "x", "since": "yesterday", "type": "DROP TABLE"} {
		rec, _ := get(url.Values{param: {bad}})
		assert.Equal(t, http.StatusBadRequest, rec.Code, param)
		assert.Contains(t, rec.Body.String(), param, "the error names the parameter")
	}
}

func FuzzParseEventsQuery(f *testing.F) {
	f.Add("authz_fail", "1h", "10", "5")
	f.Add("", "2026-01-01T00:00:00Z", "", "")
	f.Add("x", "-1h", "1001", "-3")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, typ, since, limit, before string) {
		q := map[string]string{"type": typ, "since": since, "limit": limit, "before": before}
		fl, err := security.ParseEventsQuery(func(k string) string { return q[k] }, now)
		if err != nil {
			pe, ok := errors.AsType[*httpapi.ParamError](err)
			require.True(t, ok, "a parameter error: %v", err)
			require.Contains(t, q, pe.Name, "the error names a parameter")
			return
		}
		require.True(t, fl.Limit >= 1 && fl.Limit <= security.MaxEventsLimit)
		require.GreaterOrEqual(t, fl.BeforeID, int64(0))
	})
}

// fakeStats is a recorder reporting fixed stats.
type fakeStats security.RecorderStats

func (f fakeStats) Stats() security.RecorderStats { return security.RecorderStats(f) }

// failingStore fails every count.
type failingStore struct{ security.EventStore }

func (failingStore) CountSecurityEvents(context.Context, string, time.Time) (int64, error) {
	return 0, errors.New("database is locked")
}

func TestPosture(t *testing.T) {
	st := openSQLite(t)
	for range 3 {
		_, err := st.AppendSecurityEvent(t.Context(), store.SecurityEvent{Time: time.Now().UTC(), Type: security.EventAuthnLoginFail, Level: "WARN"})
		require.NoError(t, err)
	}
	withAdmin, err := security.NewAuthenticator(testConfig(true))
	require.NoError(t, err)
	noAdmin, err := security.NewAuthenticator(testConfig(false))
	require.NoError(t, err)

	tests := map[string]struct {
		cfg    security.HandlersConfig
		proto  string
		status string
		code   int
	}{
		"everything configured behind TLS passes":  {cfg: security.HandlersConfig{Store: st, Auth: withAdmin, SecureHeaders: true}, proto: "https", status: "pass", code: 200},
		"no admin key warns":                       {cfg: security.HandlersConfig{Store: st, Auth: noAdmin, SecureHeaders: true}, proto: "https", status: "warn", code: 200},
		"plain HTTP warns":                         {cfg: security.HandlersConfig{Store: st, Auth: withAdmin, SecureHeaders: true}, status: "warn", code: 200},
		"a store that cannot be read fails":        {cfg: security.HandlersConfig{Store: failingStore{}, Auth: withAdmin, SecureHeaders: true}, proto: "https", status: "fail", code: 503},
		"no keys at all warns, never opens routes": {cfg: security.HandlersConfig{Store: st, SecureHeaders: true}, proto: "https", status: "warn", code: 200},
		"demo faults warn":                         {cfg: security.HandlersConfig{Store: st, Auth: withAdmin, SecureHeaders: true, DemoFaults: true}, proto: "https", status: "warn", code: 200},
		"dropped events warn":                      {cfg: security.HandlersConfig{Store: st, Auth: withAdmin, SecureHeaders: true, Recorder: fakeStats{Dropped: 3}}, proto: "https", status: "warn", code: 200},
		"a healthy recorder passes":                {cfg: security.HandlersConfig{Store: st, Auth: withAdmin, SecureHeaders: true, Recorder: fakeStats{Recorded: 3}}, proto: "https", status: "pass", code: 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := echo.New()
			e.GET("/health/security", security.NewHandlers(tc.cfg).Posture)
			req := httptest.NewRequest(http.MethodGet, "/health/security", nil)
			if tc.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tc.proto)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			assert.Equal(t, tc.code, rec.Code)
			assert.Equal(t, "application/health+json", rec.Header().Get("Content-Type"), "as /api/health")
			var rep struct {
				Status string
				Checks map[string][]struct {
					Status        string
					ObservedValue any
					ObservedUnit  string
				}
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &rep))
			assert.Equal(t, tc.status, rep.Status)
			for _, k := range []string{"auth:keys", "auth:admin", "tls", "headers", "demo:faults", "authn:failures", "ratelimit:exceeded"} {
				assert.Contains(t, rep.Checks, k)
			}
			if tc.status != "fail" {
				assert.Equal(t, float64(3), rep.Checks["authn:failures"][0].ObservedValue)
				assert.Equal(t, "events/1h", rep.Checks["authn:failures"][0].ObservedUnit)
			}
		})
	}
}

func TestEventsHandlerShowsCountFirstAndLast(t *testing.T) {
	st := openSQLite(t)
	first := time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond)
	_, err := st.AppendSecurityEvent(t.Context(), store.SecurityEvent{Time: first, LastAt: first.Add(9 * time.Second),
		Count: 8153, Type: security.EventAuthnLoginFail, Level: "WARN", IP: "192.0.2.44", Route: "/api/alerts"})
	require.NoError(t, err)
	e := echo.New()
	e.GET("/admin/security/events", security.NewHandlers(security.HandlersConfig{Store: st}).Events)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/security/events", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var page struct {
		Events []map[string]any `json:"events"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &page))
	require.Len(t, page.Events, 1)
	ev := page.Events[0]
	assert.Equal(t, float64(8153), ev["count"])
	assert.Equal(t, first.Format(time.RFC3339Nano), ev["first_at"])
	assert.Equal(t, first.Add(9*time.Second).Format(time.RFC3339Nano), ev["last_at"])
	assert.NotContains(t, ev, "key", "the idempotency key is not shown")
}
