package conformance_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
	"github.com/vigilhq/vigil/instrumentation/internal/clock"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/instrumentation/telemetry"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type adapter struct {
	name string
	app  func(*telemetry.Telemetry, hooks) http.Handler
}

var adapters = []adapter{
	{"echo v4", echoV4App},
	{"echo v5", echoV5App},
	{"net/http", netHTTPApp},
}

// canonicalRoute writes a net/http pattern's parameters as echo does, so
// that routes compare across adapters: "/api/users/{id}" is
// "/api/users/:id".
var muxParam = regexp.MustCompile(`\{([a-z]+)\}`)

func canonicalRoute(r string) string { return muxParam.ReplaceAllString(r, ":$1") }

// exchange is one request of the suite and what the client saw.
type exchange struct {
	name           string
	method, target string
	body           string
	header         http.Header
	wantStatus     int
}

var exchanges = []exchange{
	{name: "a matched route", method: "GET", target: "/api/users/42", wantStatus: 200},
	{name: "a request body", method: "POST", target: "/api/chat", body: strings.Repeat("x", 300), wantStatus: 200},
	{name: "a 4xx the framework renders", method: "GET", target: "/api/teapot", wantStatus: 418},
	{name: "a 5xx the handler writes", method: "GET", target: "/api/unavailable", wantStatus: 503},
	{name: "a Go error behind a 500", method: "GET", target: "/api/broken", wantStatus: 500},
	{name: "a panic", method: "GET", target: "/api/panic", wantStatus: 500},
	{name: "a slow request", method: "GET", target: "/api/slow", wantStatus: 200},
	{name: "a streamed response", method: "GET", target: "/api/stream", wantStatus: 200},
	{name: "an unknown path (404)", method: "GET", target: "/no/such/path/7", wantStatus: 404},
	{name: "a wrong method (405)", method: "POST", target: "/api/users/42", wantStatus: 405},
	{name: "an unknown method", method: "PURGE", target: "/api/users/42", wantStatus: 405},
	{name: "a continued trace", method: "GET", target: "/api/users/7", wantStatus: 200,
		header: http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}},
	{name: "a client request ID", method: "GET", target: "/api/users/8", wantStatus: 200,
		header: http.Header{"X-Request-Id": {"client-chosen-id"}}},
}

// heldFor is how long, on the instrumentation's clock, the event stream
// and the WebSocket stay open: far beyond every latency threshold.
const heldFor = 30 * time.Second

// recording is everything one adapter recorded, in comparable form.
type recording struct {
	statuses map[string]int         // exchange name → status the client got
	headers  map[string]http.Header // exchange name → X-Request-Id, X-Trace-Id
	// whileHeld is the metrics while the event stream and WebSocket are
	// open; final, once they closed.
	whileHeld, final map[string]series
	spans            []span
	spansWhileHeld   int
	traceIDs         map[string]string // exchange name → X-Trace-Id
}

// series is one metric's data points by canonical attribute set.
type series map[string]point

type point struct {
	Count   uint64
	Buckets []uint64
	Sum     float64
	Value   int64 // gauges and counters
}

type span struct {
	Name       string
	Kind       string
	Status     string
	Attributes map[string]string
	Events     []string
	Remote     bool // has a remote parent
	TraceID    string
}

// manualClock is the instrumentation's clock: handlers advance it, so
// every adapter sees the same durations.
type manualClock struct{ ns atomic.Int64 }

func (c *manualClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *manualClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func record(t *testing.T, a adapter, sampler sdktrace.Sampler) recording {
	t.Helper()
	clk := &manualClock{}
	clk.ns.Store(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	old := clock.Middleware
	clock.Middleware = clk.now
	t.Cleanup(func() { clock.Middleware = old })

	spans := tracetest.NewSpanRecorder()
	ctx := context.Background()
	tel, err := telemetry.Setup(ctx,
		telemetry.WithoutRuntimeMetrics(), telemetry.WithoutHostMetrics(), telemetry.WithoutGlobalProviders(),
		telemetry.WithSpanProcessor(spans), telemetry.WithSampler(sampler))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tel.Shutdown(context.Background())) })

	release := make(chan struct{})
	held := make(chan struct{}, 2)
	var running sync.WaitGroup
	h := hooks{
		advance: func(ms int) { clk.advance(time.Duration(ms) * time.Millisecond) },
		held:    func() { held <- struct{}{} },
		release: release,
	}
	srv := httptest.NewServer(trackHeld(a.app(tel, h), &running))
	defer srv.Close()

	rec := recording{statuses: map[string]int{}, headers: map[string]http.Header{}, traceIDs: map[string]string{}}
	for _, x := range exchanges {
		req, err := http.NewRequestWithContext(ctx, x.method, srv.URL+x.target, strings.NewReader(x.body))
		require.NoError(t, err)
		if x.body == "" {
			req.Body = http.NoBody
		}
		for k, v := range x.header {
			req.Header[k] = v
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err, x.name)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		rec.note(x.name, resp)
	}

	// An event stream, held open.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events", nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/event-stream")
	sse, err := srv.Client().Do(req)
	require.NoError(t, err)
	rec.note("an event stream", sse)
	line := make([]byte, len("data: hello\n\n"))
	_, err = io.ReadFull(sse.Body, line)
	require.NoError(t, err)
	<-held

	// A WebSocket, held open.
	ws, wsResp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", &websocket.DialOptions{HTTPClient: srv.Client()})
	require.NoError(t, err)
	rec.note("a WebSocket", wsResp)
	require.NoError(t, ws.Write(ctx, websocket.MessageText, []byte("ping")))
	_, msg, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "ping", string(msg))
	<-held

	clk.advance(heldFor) // both sessions last heldFor on the instrumentation's clock
	rec.whileHeld = collect(t, tel)
	rec.spansWhileHeld = len(spans.Ended())

	close(release)
	_, _ = io.Copy(io.Discard, sse.Body)
	_ = sse.Body.Close()
	_ = ws.Close(websocket.StatusNormalClosure, "")
	running.Wait() // every handler has returned
	rec.final = collect(t, tel)
	for _, s := range spans.Ended() {
		rec.spans = append(rec.spans, spanOf(s))
	}
	return rec
}

// trackHeld counts the handlers running, so that the suite knows when the
// held ones have returned (a hijacked connection no longer counts for
// httptest.Server.Close).
func trackHeld(h http.Handler, running *sync.WaitGroup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		running.Add(1)
		defer running.Done()
		h.ServeHTTP(w, r)
	})
}

func (rec *recording) note(name string, resp *http.Response) {
	rec.statuses[name] = resp.StatusCode
	rec.headers[name] = http.Header{
		"X-Request-Id": resp.Header.Values("X-Request-Id"),
		"X-Trace-Id":   resp.Header.Values("X-Trace-Id"),
	}
	rec.traceIDs[name] = resp.Header.Get("X-Trace-Id")
}

func collect(t *testing.T, tel *telemetry.Telemetry) map[string]series {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tel.CollectMetrics(context.Background(), &rm))
	out := map[string]series{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			s := series{}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					s[attrKey(dp.Attributes)] = point{Count: dp.Count, Buckets: dp.BucketCounts, Sum: dp.Sum}
				}
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					s[attrKey(dp.Attributes)] = point{Count: dp.Count, Buckets: dp.BucketCounts, Sum: float64(dp.Sum)}
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					s[attrKey(dp.Attributes)] = point{Value: dp.Value}
				}
			default:
				t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = s
		}
	}
	return out
}

func attrKey(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		v := kv.Value.String()
		if string(kv.Key) == names.AttrRoute {
			v = canonicalRoute(v)
		}
		parts = append(parts, string(kv.Key)+"="+v)
	}
	return strings.Join(parts, ",")
}

func spanOf(s sdktrace.ReadOnlySpan) span {
	out := span{
		Name:       canonicalRoute(s.Name()),
		Kind:       s.SpanKind().String(),
		Status:     s.Status().Code.String() + ":" + s.Status().Description,
		Attributes: map[string]string{},
		Remote:     s.Parent().IsRemote(),
		TraceID:    s.SpanContext().TraceID().String(),
	}
	for _, kv := range s.Attributes() {
		v := kv.Value.String()
		if string(kv.Key) == names.AttrRoute {
			v = canonicalRoute(v)
		}
		out.Attributes[string(kv.Key)] = v
	}
	for _, e := range s.Events() {
		ev := e.Name
		for _, kv := range e.Attributes {
			if kv.Key == "exception.type" || kv.Key == "exception.message" {
				ev += " " + string(kv.Key) + "=" + kv.Value.String()
			}
		}
		out.Events = append(out.Events, ev)
	}
	return out
}

// sortedSpans orders spans by what they are, not by when they ended
// (a streamed response's span may end after the next request started).
func sortedSpans(spans []span) []span {
	out := slices.Clone(spans)
	for i := range out {
		out[i].TraceID = "" // random per run; checked against X-Trace-Id separately
	}
	slices.SortFunc(out, func(a, b span) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	return out
}

var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func TestAdaptersRecordTheSame(t *testing.T) {
	samplers := map[string]sdktrace.Sampler{
		// Every span recorded: attributes, status and events compare.
		"every request sampled": sdktrace.AlwaysSample(),
		// Nothing sampled: only the late spans of failing and slow
		// requests appear.
		"no request sampled": httpserver.ForceSampling(sdktrace.ParentBased(sdktrace.NeverSample())),
	}
	for name, sampler := range samplers {
		t.Run(name, func(t *testing.T) {
			recs := make([]recording, len(adapters))
			for i, a := range adapters {
				recs[i] = record(t, a, sampler)
				checkRecording(t, a.name, recs[i], sampler == samplers["every request sampled"])
			}
			for i := 1; i < len(adapters); i++ {
				a, b := adapters[0].name, adapters[i].name
				assert.Equal(t, recs[0].statuses, recs[i].statuses, "statuses: %s vs %s", a, b)
				assert.Equal(t, recs[0].whileHeld, recs[i].whileHeld, "metrics while held: %s vs %s", a, b)
				assert.Equal(t, recs[0].final, recs[i].final, "metrics: %s vs %s", a, b)
				assert.Equal(t, sortedSpans(recs[0].spans), sortedSpans(recs[i].spans), "spans: %s vs %s", a, b)
				assert.Equal(t, recs[0].spansWhileHeld, recs[i].spansWhileHeld, "spans ended while held: %s vs %s", a, b)
			}
		})
	}
}

// checkRecording asserts what every adapter must record, so that the
// comparison above cannot pass on three identical mistakes.
func checkRecording(t *testing.T, adapter string, rec recording, allSampled bool) {
	t.Helper()
	for _, x := range exchanges {
		assert.Equal(t, x.wantStatus, rec.statuses[x.name], "%s: %s: status", adapter, x.name)
	}
	assert.Equal(t, 200, rec.statuses["an event stream"], adapter)
	assert.Equal(t, 101, rec.statuses["a WebSocket"], adapter)
	for name, h := range rec.headers {
		require.Len(t, h["X-Request-Id"], 1, "%s: %s: X-Request-Id", adapter, name)
		assert.Regexp(t, saneRequestID, h["X-Request-Id"][0], "%s: %s", adapter, name)
		require.Len(t, h["X-Trace-Id"], 1, "%s: %s: X-Trace-Id", adapter, name)
		assert.Regexp(t, `^[0-9a-f]{32}$`, h["X-Trace-Id"][0], "%s: %s", adapter, name)
	}
	assert.Equal(t, "client-chosen-id", rec.headers["a client request ID"]["X-Request-Id"][0], adapter)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", rec.traceIDs["a continued trace"], adapter)

	// Nothing is recorded once a held stream or WebSocket closes: the
	// requests ended at their response headers and 101.
	assert.Equal(t, rec.whileHeld, rec.final, "%s: metrics changed when the held connections closed", adapter)
	assert.Equal(t, len(rec.spans), rec.spansWhileHeld, "%s: a span ended when the held connections closed", adapter)

	dur := rec.final[names.MetricRequestDuration]
	get := func(route string, status int, extra ...string) point {
		key := []string{"http.request.method=GET", fmt.Sprintf("http.response.status_code=%d", status)}
		if route != "" {
			key = append(key, "http.route="+route)
		}
		key = append(key, "url.scheme=http")
		key = append(key, extra...)
		slices.Sort(key)
		p, ok := dur[strings.Join(key, ",")]
		require.True(t, ok, "%s: no duration series %v in %v", adapter, key, keys(dur))
		return p
	}
	users := get("/api/users/:id", 200)
	assert.Equal(t, uint64(3), users.Count, adapter)
	assert.InDelta(t, 0.09, users.Sum, 1e-9, "%s: three 30 ms requests", adapter)
	assert.Equal(t, uint64(3), users.Buckets[3], "%s: 30 ms is in (0.025, 0.05]", adapter)
	assert.InDelta(t, 2.0, get("/api/slow", 200).Sum, 1e-9, adapter)
	ws := get("/ws", 101)
	assert.Equal(t, uint64(1), ws.Count, "%s: the WebSocket handshake is one request", adapter)
	assert.Less(t, ws.Sum, 0.005, "%s: the held WebSocket's %s is no request duration", adapter, heldFor)
	assert.Less(t, get("/api/events", 200).Sum, 0.005, "%s: the held event stream's %s is no request duration", adapter, heldFor)
	assert.Equal(t, uint64(1), get("", 404).Count, "%s: a 404 has no route", adapter)
	get("/api/broken", 500, "error.type=conformance_test.errDatabase")
	get("/api/panic", 500, "error.type=panic")
	get("/api/unavailable", 503, "error.type=503")
	for key := range dur {
		assert.NotContains(t, key, "/no/such", adapter)
	}

	resp := rec.final[names.MetricResponseBodySize]
	streamed := 0
	for _, c := range streamChunks {
		streamed += len(c)
	}
	assert.InDelta(t, float64(streamed), resp["http.request.method=GET,http.response.status_code=200,http.route=/api/stream,url.scheme=http"].Sum, 0, adapter)
	assert.InDelta(t, float64(3*len(userJSON)), resp["http.request.method=GET,http.response.status_code=200,http.route=/api/users/:id,url.scheme=http"].Sum, 0, adapter)
	req := rec.final[names.MetricRequestBodySize]
	require.Len(t, req, 1, "%s: only the POST with a body has a request size: %v", adapter, keys(req))
	assert.InDelta(t, 300, req["http.request.method=POST,http.response.status_code=200,http.route=/api/chat,url.scheme=http"].Sum, 0, adapter)

	for key, p := range rec.whileHeld[names.MetricActiveRequests] {
		assert.Zero(t, p.Value, "%s: %s: a held stream or WebSocket is not an active request", adapter, key)
	}

	byName := map[string][]span{}
	for _, s := range rec.spans {
		byName[s.Name] = append(byName[s.Name], s)
		assert.Equal(t, "server", s.Kind, adapter)
	}
	if allSampled {
		assert.Len(t, rec.spans, len(exchanges)+2, adapter)
		u := byName["GET /api/users/:id"][0]
		assert.Equal(t, map[string]string{
			"http.request.method": "GET", "url.scheme": "http", "http.route": "/api/users/:id",
			"http.response.status_code": "200", "url.path": u.Attributes["url.path"],
			"client.address": clientAddress, "user_agent.original": "Go-http-client/1.1",
		}, u.Attributes, adapter)
		assert.Len(t, byName["POST"], 1, "%s: a 405 span has no route", adapter)
		assert.Len(t, byName["HTTP"], 1, "%s: an unknown method is HTTP", adapter)
		assert.Equal(t, []string{"exception exception.type=*fmt.wrapError exception.message=load user: database unavailable"},
			byName["GET /api/broken"][0].Events, adapter)
		assert.Equal(t, "Error:load user: database unavailable", byName["GET /api/broken"][0].Status, adapter)
		assert.Equal(t, []string{"exception exception.type=*errors.errorString exception.message=panic: handler exploded"},
			byName["GET /api/panic"][0].Events, adapter)
		assert.Empty(t, byName["GET /api/teapot"][0].Events, "%s: a 4xx is no exception", adapter)
		assert.Equal(t, "Unset:", byName["GET /api/teapot"][0].Status, adapter)
		assert.Equal(t, "101", byName["GET /ws"][0].Attributes["http.response.status_code"], adapter)
		assert.Empty(t, byName["GET /api/unavailable"][0].Events, "%s: a 5xx without an error is no exception", adapter)
		assert.Equal(t, "Error:", byName["GET /api/unavailable"][0].Status, adapter)
	} else {
		var got []string
		for _, s := range rec.spans {
			got = append(got, s.Name)
		}
		slices.Sort(got)
		assert.Equal(t, []string{"GET /api/broken", "GET /api/panic", "GET /api/slow", "GET /api/unavailable",
			"GET /api/users/:id"}, got,
			"%s: late spans for the failing and slow requests, and the continued sampled trace", adapter)
	}
	for _, s := range rec.spans {
		var x string
		for name, id := range rec.traceIDs {
			if id == s.TraceID {
				x = name
			}
		}
		assert.NotEmpty(t, x, "%s: span %s has a trace ID no client got", adapter, s.Name)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
