package httpserver_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

func TestUpgrading(t *testing.T) {
	tests := map[string]struct {
		header http.Header
		want   bool
	}{
		"a WebSocket handshake":             {http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, true},
		"an h2c upgrade":                    {http.Header{"Upgrade": {"h2c"}}, true},
		"an EventSource request":            {http.Header{"Accept": {"text/event-stream"}}, true},
		"an event stream among other types": {http.Header{"Accept": {"application/json, text/event-stream;q=0.9"}}, true},
		"an ordinary API request":           {http.Header{"Accept": {"application/json"}}, false},
		"a request with no headers":         {http.Header{}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header = tt.header
			assert.Equal(t, tt.want, httpserver.Upgrading(r))
		})
	}
}

// instrumented returns a handler that runs h between Start and End as an
// adapter does, with every response watched, and the telemetry it records
// to.
func instrumented(t *testing.T, h http.HandlerFunc) (http.Handler, *telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	spans := tracetest.NewSpanRecorder()
	tel, err := telemetry.Setup(context.Background(), telemetry.WithoutRuntimeMetrics(), telemetry.WithoutHostMetrics(),
		telemetry.WithoutGlobalProviders(), telemetry.WithSpanProcessor(spans), telemetry.WithSampler(sdktrace.AlwaysSample()))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tel.Shutdown(context.Background())) })
	in, err := httpserver.New(tel.ServerOptions()...)
	require.NoError(t, err)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, q := in.Start(r, w.Header(), "/x")
		rw := in.Watch(&q, w, req, "")
		defer rw.Release()
		h(rw, req)
		in.End(&q, req, httpserver.Result{Status: rw.Status(), Size: rw.Size()}, rw.ClientAddress)
	}), tel, spans
}

func durationPoints(t *testing.T, tel *telemetry.Telemetry) []metricdata.HistogramDataPoint[float64] {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.CollectMetrics(context.Background(), &rm))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == names.MetricRequestDuration {
				return m.Data.(metricdata.Histogram[float64]).DataPoints
			}
		}
	}
	return nil
}

func statusOf(dp metricdata.HistogramDataPoint[float64]) int64 {
	v, _ := dp.Attributes.Value(names.AttrStatusCode)
	return v.AsInt64()
}

func TestResponseWriter(t *testing.T) {
	tests := map[string]struct {
		handler    http.HandlerFunc
		wantStatus int64
		wantSize   int64
	}{
		"an informational 103 is not the final status": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</app.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				w.WriteHeader(http.StatusCreated)
				_, _ = io.WriteString(w, "made")
			},
			wantStatus: 201, wantSize: 4,
		},
		"a body written without a status is a 200": {
			handler:    func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") },
			wantStatus: 200, wantSize: 5,
		},
		"io.Copy to the response counts the bytes (ReadFrom)": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.Copy(w, strings.NewReader(strings.Repeat("z", 70_000)))
			},
			wantStatus: 200, wantSize: 70_000,
		},
		"a flush before any write sends a 200": {
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.(http.Flusher).Flush()
				_, _ = io.WriteString(w, "late")
			},
			wantStatus: 200, wantSize: 4,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			h, tel, _ := instrumented(t, tt.handler)
			srv := httptest.NewServer(h)
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, int(tt.wantStatus), resp.StatusCode)
			assert.Len(t, body, int(tt.wantSize))
			dps := durationPoints(t, tel)
			require.Len(t, dps, 1)
			assert.Equal(t, tt.wantStatus, statusOf(dps[0]))
		})
	}
}

// A handler that hijacks the connection without any Upgrade header (a
// CONNECT-style tunnel) ends its request at the hijack.
func TestHijackEndsTheRequest(t *testing.T) {
	release := make(chan struct{})
	hijacked := make(chan struct{})
	h, tel, spans := instrumented(t, func(w http.ResponseWriter, _ *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n")
		_ = brw.Flush()
		close(hijacked)
		<-release
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: tunnel\r\n\r\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "HTTP/1.1 200 Connection established\r\n", line)
	<-hijacked

	dps := durationPoints(t, tel)
	require.Len(t, dps, 1, "recorded at the hijack, while the tunnel is open")
	assert.Equal(t, int64(200), statusOf(dps[0]))
	assert.Len(t, spans.Ended(), 1)
	close(release)
}
