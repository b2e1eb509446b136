package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/internal/clock"
	"github.com/vigilhq/vigil/instrumentation/internal/cowmap"
	"github.com/vigilhq/vigil/instrumentation/internal/httpmetrics"
	"github.com/vigilhq/vigil/instrumentation/names"
)

// Instrumenter records the HTTP server metrics and spans of requests that
// an adapter hands it between [Instrumenter.Start] and [Instrumenter.End].
// It is safe for concurrent use.
type Instrumenter struct {
	tracer      trace.Tracer
	propagator  propagation.TextMapPropagator
	fastExtract bool
	reqIDHeader string
	genID       func() string
	slow        time.Duration
	now         func() time.Time

	// fast, when set, aggregates the three histograms instead of the SDK
	// instruments below (see httpmetrics.Histograms).
	fast     *httpmetrics.Histograms
	duration metric.Float64Histogram
	active   metric.Int64ObservableUpDownCounter
	reqSize  metric.Int64Histogram
	respSize metric.Int64Histogram

	routes cowmap.Map[routeKey, *routeEntry]
	attrs  cowmap.Map[attrKey, *attrEntry]
	// activeMu makes creating an in-flight gauge atomic.
	activeMu sync.Mutex
	// inFlight holds the active-request gauges by (method, scheme): at most
	// 11 methods × 2 schemes. The SDK reads them at collection time, so a
	// request pays two atomic adds instead of two measurements per reader.
	inFlight cowmap.Map[activeKey, *activeEntry]
}

type activeKey struct {
	method string
	https  bool
}

type activeEntry struct {
	n   atomic.Int64
	set attribute.Set
}

type routeKey struct {
	method string
	route  string
	https  bool
}

// routeEntry is everything precomputed for one (method, route, scheme).
type routeEntry struct {
	spanName  string
	startOpts []trace.SpanStartOption
	spanAttrs []attribute.KeyValue
	active    *activeEntry
}

type attrKey struct {
	routeKey
	status  int
	errType string
}

type attrEntry struct {
	record    []metric.RecordOption // SDK instruments
	point     *httpmetrics.Point    // or the fast histograms
	errorType string
}

// New returns an Instrumenter. It fails only when an instrument cannot be
// created.
func New(opts ...Option) (*Instrumenter, error) {
	var cfg config
	for _, o := range opts {
		if o != nil {
			cfg = o.apply(cfg)
		}
	}
	if cfg.meterProvider == nil {
		cfg.meterProvider = otel.GetMeterProvider()
	}
	if cfg.tracerProvider == nil {
		cfg.tracerProvider = otel.GetTracerProvider()
	}
	if cfg.propagator == nil {
		cfg.propagator = otel.GetTextMapPropagator()
	}
	if cfg.slow == 0 {
		cfg.slow = DefaultSlowThreshold
	}
	if cfg.requestIDHeader == "" {
		cfg.requestIDHeader = HeaderRequestID
	}
	m := &Instrumenter{
		tracer:      cfg.tracerProvider.Tracer(names.ScopeName),
		propagator:  cfg.propagator,
		fastExtract: isDefaultPropagator(cfg.propagator),
		reqIDHeader: http.CanonicalHeaderKey(cfg.requestIDHeader),
		genID:       cfg.genID,
		slow:        cfg.slow,
		now:         clock.Middleware,
	}
	meter := cfg.meterProvider.Meter(names.ScopeName)
	var err error
	if m.active, err = meter.Int64ObservableUpDownCounter(names.MetricActiveRequests,
		metric.WithUnit("{request}"),
		metric.WithDescription("Number of active HTTP server requests.")); err != nil {
		return nil, err
	}
	// RegisterCallback, not WithInt64Callback: the SDK ignores the callbacks
	// of an instrument created again, and every middleware built on one
	// MeterProvider gets the same instrument.
	if _, err = meter.RegisterCallback(m.observeActive, m.active); err != nil {
		return nil, err
	}
	if m.fast = httpmetrics.Lookup(cfg.meterProvider); m.fast != nil {
		return m, nil
	}
	dur, reqSize, respSize := httpmetrics.Descs[0], httpmetrics.Descs[1], httpmetrics.Descs[2]
	if m.duration, err = meter.Float64Histogram(dur.Name, metric.WithUnit(dur.Unit),
		metric.WithDescription(dur.Description), metric.WithExplicitBucketBoundaries(dur.Bounds...)); err != nil {
		return nil, err
	}
	if m.reqSize, err = meter.Int64Histogram(reqSize.Name, metric.WithUnit(reqSize.Unit),
		metric.WithDescription(reqSize.Description), metric.WithExplicitBucketBoundaries(reqSize.Bounds...)); err != nil {
		return nil, err
	}
	if m.respSize, err = meter.Int64Histogram(respSize.Name, metric.WithUnit(respSize.Unit),
		metric.WithDescription(respSize.Description), metric.WithExplicitBucketBoundaries(respSize.Bounds...)); err != nil {
		return nil, err
	}
	return m, nil
}

// isDefaultPropagator reports whether p only reads the traceparent,
// tracestate and baggage headers, so extraction can be skipped when none is
// present.
func isDefaultPropagator(p propagation.TextMapPropagator) bool {
	for _, f := range p.Fields() {
		switch f {
		case "traceparent", "tracestate", "baggage":
		default:
			return false
		}
	}
	return true
}

// Request is one request between [Instrumenter.Start] and
// [Instrumenter.End]. Adapters hold it by value.
type Request struct {
	start  time.Time
	ctx    context.Context
	parent context.Context // the extracted context, read only for a late span
	span   trace.Span
	rk     routeKey
	re     *routeEntry
}

// Context returns the request's context, holding its server span.
func (q *Request) Context() context.Context { return q.ctx }

// Start begins instrumenting r, whose matched route template is route (""
// when the framework matched none, or does not know it yet: see
// [Instrumenter.SetRoute]). It starts the server span continuing any valid
// incoming W3C trace, sets the request ID and trace ID headers on
// respHeader (before the handler writes), and counts the request as
// active. It returns r with the span's context; the handler must be given
// that request.
func (m *Instrumenter) Start(r *http.Request, respHeader http.Header, route string) (*http.Request, Request) {
	q := Request{start: m.now()}
	q.rk = routeKey{method: Method(r.Method), route: route, https: isHTTPS(r)}
	q.re = m.routeEntry(q.rk)

	ctx := r.Context()
	if !m.fastExtract || hasTraceHeaders(r.Header) {
		ctx = m.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	}
	q.parent = ctx
	q.ctx, q.span = m.tracer.Start(ctx, q.re.spanName, q.re.startOpts...)
	r = r.WithContext(q.ctx)
	m.setIDHeaders(respHeader, r.Header, q.span.SpanContext())
	q.re.active.n.Add(1)
	return r, q
}

// Result is how a request ended, in the framework's terms translated by
// its adapter.
type Result struct {
	// Status is the status code the client got.
	Status int
	// Size is the number of response body bytes written.
	Size int64
	// Err is the error the handler returned, if any.
	Err error
	// HTTPError says Err is the framework's HTTP error carrying Status (such
	// as *echo.HTTPError): below 500 it is an ordinary client outcome, not
	// an exception, and it names no error.type.
	HTTPError bool
}

// End finishes q: it records the request's measurements and ends its
// server span (or a late one, see [WithSlowThreshold]). r is the request as
// the handler left it; clientAddress, called only for recording spans,
// returns client.address.
func (m *Instrumenter) End(q *Request, r *http.Request, res Result, clientAddress func() string) {
	status, err := res.Status, res.Err
	exception := err != nil && (status >= http.StatusInternalServerError || !res.HTTPError)
	// A 4xx HTTP error is an ordinary client outcome, not an exception.
	if exception && q.span.IsRecording() {
		q.span.RecordError(err)
	}
	errType := ""
	if err != nil && status >= http.StatusInternalServerError && !res.HTTPError {
		errType = ErrorType(err)
	}
	m.finish(q, r, status, errType, err, exception, res.Size, clientAddress)
}

// Panic finishes q for a handler that panicked with v (nil: the handler
// called runtime.Goexit): a 500 with error.type "panic", and the panic as
// an exception event with its stack. The adapter re-raises the panic.
func (m *Instrumenter) Panic(q *Request, r *http.Request, v any, size int64, clientAddress func() string) {
	if v != nil && q.span.IsRecording() {
		perr, ok := v.(error)
		if !ok {
			perr = fmt.Errorf("panic: %v", v)
		}
		q.span.RecordError(perr, trace.WithStackTrace(true))
	}
	m.finish(q, r, http.StatusInternalServerError, "panic", nil, false, size, clientAddress)
}

func (m *Instrumenter) finish(q *Request, r *http.Request, status int, errType string, err error, exception bool,
	size int64, clientAddress func() string,
) {
	ctx, span, re := q.ctx, q.span, q.re
	ae := m.attrEntry(attrKey{routeKey: q.rk, status: status, errType: errType})
	end := m.now()
	elapsed := end.Sub(q.start)
	if !span.IsRecording() && (status >= http.StatusInternalServerError || m.slow > 0 && elapsed >= m.slow) {
		// Recorded before the measurements, so they carry its exemplar.
		span.End()
		ctx, span = m.lateSpan(ctx, re, q.parent, span.SpanContext(), q.start)
		if exception && span.IsRecording() {
			span.RecordError(err)
		}
	}
	// Requests without a body (most GETs) have no request size: a
	// histogram of zeros says nothing and costs a measurement per request.
	if m.fast != nil {
		m.fast.Record(ae.point, span.SpanContext(), end, elapsed, r.ContentLength, size)
	} else {
		m.duration.Record(ctx, elapsed.Seconds(), ae.record...)
		if r.ContentLength > 0 {
			m.reqSize.Record(ctx, r.ContentLength, ae.record...)
		}
		m.respSize.Record(ctx, size, ae.record...)
	}
	re.active.n.Add(-1)

	if !span.IsRecording() {
		span.End()
		return
	}
	// All span attributes in one call (one allocation), and only for
	// recording spans: unsampled requests pay nothing for them.
	attrs := make([]attribute.KeyValue, 0, len(re.spanAttrs)+5)
	attrs = append(attrs, re.spanAttrs...)
	attrs = append(attrs,
		semconv.HTTPResponseStatusCode(status),
		semconv.URLPath(r.URL.Path),
		semconv.ClientAddress(clientAddress()),
		semconv.UserAgentOriginal(r.UserAgent()),
	)
	if ae.errorType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(ae.errorType))
	}
	span.SetAttributes(attrs...)
	if status >= http.StatusInternalServerError {
		desc := ""
		if err != nil {
			desc = err.Error()
		}
		span.SetStatus(codes.Error, desc)
	}
	span.End()
}

// lateSpan starts the server span of a request whose own span was not
// sampled: a child of the request's remote parent when it had one, else of
// the unsampled span itself, so its trace ID is the one in X-Trace-Id. It
// starts at the request's start and is marked for [ForceSampling].
func (m *Instrumenter) lateSpan(ctx context.Context, re *routeEntry, parentCtx context.Context, orig trace.SpanContext, start time.Time) (context.Context, trace.Span) {
	if !orig.HasTraceID() {
		return ctx, trace.SpanFromContext(ctx)
	}
	parent := trace.SpanContextFromContext(parentCtx)
	if !parent.IsValid() || parent.TraceID() != orig.TraceID() {
		parent = orig
	}
	ctx = withForcedSampling(trace.ContextWithRemoteSpanContext(ctx, parent))
	opts := make([]trace.SpanStartOption, 0, len(re.startOpts)+1)
	opts = append(opts, re.startOpts...)
	opts = append(opts, trace.WithTimestamp(start))
	return m.tracer.Start(ctx, re.spanName, opts...)
}

// ErrorType names the Go type of the innermost error of err's wrap chain,
// the error.type of a 5xx a handler error caused.
func ErrorType(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	return reflect.TypeOf(err).String()
}

// isHTTPS reports whether the client used https: the connection is TLS, or a
// proxy said so in X-Forwarded-Proto. Only the two values are ever recorded.
func isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v := r.Header["X-Forwarded-Proto"]
	return len(v) > 0 && v[0] == "https"
}

func hasTraceHeaders(h http.Header) bool {
	if len(h["Traceparent"]) > 0 || len(h["Baggage"]) > 0 {
		return true
	}
	return false
}

func (m *Instrumenter) routeEntry(k routeKey) *routeEntry {
	if re, ok := m.routes.Load(k); ok {
		return re
	}
	name := k.method
	if name == "_OTHER" {
		name = "HTTP"
	}
	scheme := "http"
	if k.https {
		scheme = "https"
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.URLScheme(scheme),
	}
	if k.route != "" {
		name += " " + k.route
		attrs = append(attrs, semconv.HTTPRoute(k.route))
	}
	re := &routeEntry{
		spanName:  name,
		startOpts: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)},
		spanAttrs: attrs,
		active:    m.activeEntry(activeKey{method: k.method, https: k.https}, attrs[0], attrs[1]),
	}
	m.routes.Store(k, re)
	return re
}

// activeEntry returns the in-flight gauge of (method, scheme), creating it
// under the cache's lock so that every route shares one.
func (m *Instrumenter) activeEntry(k activeKey, method, scheme attribute.KeyValue) *activeEntry {
	if ae, ok := m.inFlight.Load(k); ok {
		return ae
	}
	m.activeMu.Lock()
	defer m.activeMu.Unlock()
	if ae, ok := m.inFlight.Load(k); ok {
		return ae
	}
	ae := &activeEntry{set: attribute.NewSet(method, scheme)}
	m.inFlight.Store(k, ae)
	return ae
}

// observeActive reports every in-flight gauge; it is the callback of
// http.server.active_requests.
func (m *Instrumenter) observeActive(_ context.Context, o metric.Observer) error {
	m.inFlight.Range(func(_ activeKey, ae *activeEntry) {
		o.ObserveInt64(m.active, ae.n.Load(), metric.WithAttributeSet(ae.set))
	})
	return nil
}

func (m *Instrumenter) attrEntry(k attrKey) *attrEntry {
	if ae, ok := m.attrs.Load(k); ok {
		return ae
	}
	scheme := "http"
	if k.https {
		scheme = "https"
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.URLScheme(scheme),
		semconv.HTTPResponseStatusCode(k.status),
	}
	if k.route != "" {
		attrs = append(attrs, semconv.HTTPRoute(k.route))
	}
	errType := k.errType
	if errType == "" && k.status >= http.StatusInternalServerError {
		errType = strconv.Itoa(k.status)
	}
	if errType != "" {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
	}
	set := attribute.NewSet(attrs...)
	ae := &attrEntry{errorType: errType}
	if m.fast != nil {
		ae.point = m.fast.Point(set)
	} else {
		ae.record = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	m.attrs.Store(k, ae)
	return ae
}
