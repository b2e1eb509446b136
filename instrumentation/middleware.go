package instrumentation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// HeaderTraceID is the response header carrying the hex trace ID of the
// request's server span.
const HeaderTraceID = "X-Trace-Id"

// clock is read when a middleware is built; tests replace it.
var clock = time.Now

// maxRequestIDLen is the longest incoming X-Request-Id that is reused.
const maxRequestIDLen = 64

// MiddlewareConfig configures [MiddlewareWithConfig].
type MiddlewareConfig struct {
	// Skipper defines a function to skip the middleware: skipped requests
	// get no span, no metrics and no X-Request-Id/X-Trace-Id headers.
	// It has the type of echo's middleware.Skipper, so one can be assigned.
	// Optional. Default value: skip nothing.
	Skipper func(c echo.Context) bool

	// MeterProvider records the HTTP server metrics.
	// Optional. Default value otel.GetMeterProvider(), read when the
	// middleware is built.
	MeterProvider metric.MeterProvider

	// TracerProvider starts the server spans.
	// Optional. Default value otel.GetTracerProvider(), read when the
	// middleware is built.
	TracerProvider trace.TracerProvider

	// Propagator extracts the incoming trace context (W3C traceparent).
	// Optional. Default value otel.GetTextMapPropagator(), read when the
	// middleware is built.
	Propagator propagation.TextMapPropagator

	// RequestIDHeader is the header of the request ID, reused from the
	// request when it is at most 64 characters of [A-Za-z0-9-_] and
	// generated otherwise.
	// Optional. Default value echo.HeaderXRequestID ("X-Request-Id").
	RequestIDHeader string

	// RequestIDGenerator generates request IDs.
	// Optional. Default value: a process-unique random prefix and a counter.
	RequestIDGenerator func() string

	// HandleError makes the middleware call c.Error(err) for a handler error,
	// so that the recorded status code and response size are the ones the
	// error handler wrote. The error is still returned; the application's
	// HTTPErrorHandler must then ignore committed responses (echo's default
	// one does). When false the status is taken from *echo.HTTPError, or 500.
	// Optional. Default value false.
	HandleError bool

	// SlowThreshold is the duration from which a request counts as slow.
	// A request whose server span was not sampled and that ends in a 5xx,
	// panics or takes at least SlowThreshold gets a late server span: same
	// trace ID (the X-Trace-Id the client got), the request's start time,
	// its attributes and status, started with a context that
	// [ForceSampling] (part of [DefaultSampler]) always samples. Other
	// samplers decide on it as on any span with an unsampled parent.
	// Optional. Default value 1s, the slow threshold of exporter.Spans.
	// Negative: slow requests get no late span (failing ones still do).
	SlowThreshold time.Duration
}

// DefaultSlowThreshold is the default of [MiddlewareConfig.SlowThreshold].
const DefaultSlowThreshold = time.Second

// Middleware returns the instrumentation middleware using the global
// providers and propagator (as installed by [Setup]).
func Middleware() echo.MiddlewareFunc {
	return MiddlewareWithConfig(MiddlewareConfig{})
}

// MiddlewareWithConfig returns the instrumentation middleware. Per request it
// records http.server.request.duration, http.server.active_requests,
// http.server.request.body.size and http.server.response.body.size, starts a
// server span continuing any valid incoming W3C trace, and sets the
// X-Request-Id and X-Trace-Id response headers before the handler runs.
//
// Register it with e.Use (not e.Pre: the route must be known). Inside the
// application's Recover middleware, a panic is recorded as an exception
// event and a 500 and then re-raised for Recover to handle; outside it, the
// error Recover returns is recorded.
//
// It panics if an instrument cannot be created, as echo's own middleware
// constructors do for invalid configuration.
func MiddlewareWithConfig(cfg MiddlewareConfig) echo.MiddlewareFunc {
	m, err := newServerMiddleware(cfg)
	if err != nil {
		panic(fmt.Errorf("instrumentation middleware: %w", err))
	}
	return m.handle
}

type serverMiddleware struct {
	skipper     func(echo.Context) bool
	tracer      trace.Tracer
	propagator  propagation.TextMapPropagator
	fastExtract bool
	reqIDHeader string
	genID       func() string
	handleError bool
	slow        time.Duration
	now         func() time.Time

	// fast, when set, aggregates the three histograms instead of the SDK
	// instruments below (see httpHistograms).
	fast     *httpHistograms
	duration metric.Float64Histogram
	active   metric.Int64ObservableUpDownCounter
	reqSize  metric.Int64Histogram
	respSize metric.Int64Histogram

	routes cowMap[routeKey, *routeEntry]
	attrs  cowMap[attrKey, *attrEntry]
	// activeMu makes creating an in-flight gauge atomic.
	activeMu sync.Mutex
	// inFlight holds the active-request gauges by (method, scheme): at most
	// 11 methods × 2 schemes. The SDK reads them at collection time, so a
	// request pays two atomic adds instead of two measurements per reader.
	inFlight cowMap[activeKey, *activeEntry]
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
	point     *httpPoint            // or the fast histograms
	errorType string
}

func newServerMiddleware(cfg MiddlewareConfig) (*serverMiddleware, error) {
	if cfg.Skipper == nil {
		cfg.Skipper = func(echo.Context) bool { return false }
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
	}
	if cfg.TracerProvider == nil {
		cfg.TracerProvider = otel.GetTracerProvider()
	}
	if cfg.Propagator == nil {
		cfg.Propagator = otel.GetTextMapPropagator()
	}
	if cfg.SlowThreshold == 0 {
		cfg.SlowThreshold = DefaultSlowThreshold
	}
	if cfg.RequestIDHeader == "" {
		cfg.RequestIDHeader = echo.HeaderXRequestID
	}
	m := &serverMiddleware{
		skipper:     cfg.Skipper,
		tracer:      cfg.TracerProvider.Tracer(ScopeName),
		propagator:  cfg.Propagator,
		fastExtract: isDefaultPropagator(cfg.Propagator),
		reqIDHeader: http.CanonicalHeaderKey(cfg.RequestIDHeader),
		genID:       cfg.RequestIDGenerator,
		handleError: cfg.HandleError,
		slow:        cfg.SlowThreshold,
		now:         clock,
	}
	meter := cfg.MeterProvider.Meter(ScopeName)
	var err error
	if m.active, err = meter.Int64ObservableUpDownCounter(MetricActiveRequests,
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
	if m.fast = lookupHTTPHistograms(cfg.MeterProvider); m.fast != nil {
		return m, nil
	}
	dur, reqSize, respSize := httpHistogramDescs[0], httpHistogramDescs[1], httpHistogramDescs[2]
	if m.duration, err = meter.Float64Histogram(dur.name, metric.WithUnit(dur.unit),
		metric.WithDescription(dur.description), metric.WithExplicitBucketBoundaries(dur.bounds...)); err != nil {
		return nil, err
	}
	if m.reqSize, err = meter.Int64Histogram(reqSize.name, metric.WithUnit(reqSize.unit),
		metric.WithDescription(reqSize.description), metric.WithExplicitBucketBoundaries(reqSize.bounds...)); err != nil {
		return nil, err
	}
	if m.respSize, err = meter.Int64Histogram(respSize.name, metric.WithUnit(respSize.unit),
		metric.WithDescription(respSize.description), metric.WithExplicitBucketBoundaries(respSize.bounds...)); err != nil {
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

func (m *serverMiddleware) handle(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if m.skipper(c) {
			return next(c)
		}
		return m.serve(c, next)
	}
}

func (m *serverMiddleware) serve(c echo.Context, next echo.HandlerFunc) (err error) {
	start := m.now()
	req := c.Request()
	route, _ := RouteOf(c)
	rk := routeKey{method: methodOf(req.Method), route: route, https: isHTTPS(req)}
	re := m.routeEntry(rk)

	ctx := req.Context()
	if !m.fastExtract || hasTraceHeaders(req.Header) {
		ctx = m.propagator.Extract(ctx, propagation.HeaderCarrier(req.Header))
	}
	parent := ctx // read only for a late span
	ctx, span := m.tracer.Start(ctx, re.spanName, re.startOpts...)
	req = req.WithContext(ctx)
	c.SetRequest(req)
	resp := c.Response()
	m.setIDHeaders(resp.Header(), req.Header, span.SpanContext())
	re.active.n.Add(1)

	panicked := true
	defer func() {
		if !panicked {
			return
		}
		r := recover()
		if r == nil {
			// runtime.Goexit (t.FailNow in a handler): record, let it go on.
			m.finish(ctx, c, span, parent, rk, re, start, http.StatusInternalServerError, "panic", nil)
			return
		}
		perr, ok := r.(error)
		if !ok {
			perr = fmt.Errorf("panic: %v", r)
		}
		if span.IsRecording() {
			span.RecordError(perr, trace.WithStackTrace(true))
		}
		m.finish(ctx, c, span, parent, rk, re, start, http.StatusInternalServerError, "panic", nil)
		panic(r)
	}()

	err = next(c)
	panicked = false

	if err != nil && m.handleError {
		c.Error(err)
	}
	status, errType := statusOf(resp, err)
	// A 4xx echo.HTTPError is an ordinary client outcome, not an exception.
	if err != nil && span.IsRecording() && (status >= http.StatusInternalServerError || !isHTTPError(err)) {
		span.RecordError(err)
	}
	m.finish(ctx, c, span, parent, rk, re, start, status, errType, err)
	return err
}

func (m *serverMiddleware) finish(ctx context.Context, c echo.Context, span trace.Span, parent context.Context, rk routeKey, re *routeEntry,
	start time.Time, status int, errType string, err error,
) {
	req, resp := c.Request(), c.Response()
	ae := m.attrEntry(attrKey{routeKey: rk, status: status, errType: errType})
	end := m.now()
	elapsed := end.Sub(start)
	if !span.IsRecording() && (status >= http.StatusInternalServerError || m.slow > 0 && elapsed >= m.slow) {
		// Recorded before the measurements, so they carry its exemplar.
		span.End()
		ctx, span = m.lateSpan(ctx, re, parent, span.SpanContext(), start)
		if err != nil && span.IsRecording() && (status >= http.StatusInternalServerError || !isHTTPError(err)) {
			span.RecordError(err)
		}
	}
	// Requests without a body (most GETs) have no request size: a
	// histogram of zeros says nothing and costs a measurement per request.
	if m.fast != nil {
		m.fast.record(ae.point, span.SpanContext(), end, elapsed, req.ContentLength, resp.Size)
	} else {
		m.duration.Record(ctx, elapsed.Seconds(), ae.record...)
		if req.ContentLength > 0 {
			m.reqSize.Record(ctx, req.ContentLength, ae.record...)
		}
		m.respSize.Record(ctx, resp.Size, ae.record...)
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
		semconv.URLPath(req.URL.Path),
		semconv.ClientAddress(c.RealIP()),
		semconv.UserAgentOriginal(req.UserAgent()),
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
func (m *serverMiddleware) lateSpan(ctx context.Context, re *routeEntry, parentCtx context.Context, orig trace.SpanContext, start time.Time) (context.Context, trace.Span) {
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

// statusOf returns the status code the client gets and, for 5xx, the
// error.type value: the Go type of a non-HTTPError handler error, or "".
func statusOf(resp *echo.Response, err error) (int, string) {
	status := resp.Status
	if err != nil && !resp.Committed {
		status = http.StatusInternalServerError
		var he *echo.HTTPError
		if errors.As(err, &he) {
			status = he.Code
		}
	}
	if status < http.StatusInternalServerError || err == nil || isHTTPError(err) {
		return status, ""
	}
	return status, errorTypeOf(err)
}

func isHTTPError(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he)
}

// errorTypeOf names the Go type of the innermost error of a wrap chain.
func errorTypeOf(err error) string {
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
	v := r.Header[echo.HeaderXForwardedProto]
	return len(v) > 0 && v[0] == "https"
}

func hasTraceHeaders(h http.Header) bool {
	if len(h["Traceparent"]) > 0 || len(h["Baggage"]) > 0 {
		return true
	}
	return false
}

func (m *serverMiddleware) routeEntry(k routeKey) *routeEntry {
	if re, ok := m.routes.load(k); ok {
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
	m.routes.store(k, re)
	return re
}

// activeEntry returns the in-flight gauge of (method, scheme), creating it
// under the cache's lock so that every route shares one.
func (m *serverMiddleware) activeEntry(k activeKey, method, scheme attribute.KeyValue) *activeEntry {
	if ae, ok := m.inFlight.load(k); ok {
		return ae
	}
	m.activeMu.Lock()
	defer m.activeMu.Unlock()
	if ae, ok := m.inFlight.load(k); ok {
		return ae
	}
	ae := &activeEntry{set: attribute.NewSet(method, scheme)}
	m.inFlight.store(k, ae)
	return ae
}

// observeActive reports every in-flight gauge; it is the callback of
// http.server.active_requests.
func (m *serverMiddleware) observeActive(_ context.Context, o metric.Observer) error {
	if all := m.inFlight.m.Load(); all != nil {
		for _, ae := range *all {
			o.ObserveInt64(m.active, ae.n.Load(), metric.WithAttributeSet(ae.set))
		}
	}
	return nil
}

func (m *serverMiddleware) attrEntry(k attrKey) *attrEntry {
	if ae, ok := m.attrs.load(k); ok {
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
		ae.point = m.fast.point(set)
	} else {
		ae.record = []metric.RecordOption{metric.WithAttributeSet(set)}
	}
	m.attrs.store(k, ae)
	return ae
}

// idHeaders holds both header values and the bytes of the generated
// strings in one allocation. buf is written once, before the strings that
// point into it are created, and never again.
type idHeaders struct {
	vals [2]string
	buf  [requestIDLen + 32]byte
}

// setIDHeaders sets the request ID and trace ID response headers with a
// single allocation.
func (m *serverMiddleware) setIDHeaders(h, reqHeader http.Header, sc trace.SpanContext) {
	reqID := ""
	if v := reqHeader[m.reqIDHeader]; len(v) > 0 && validRequestID(v[0]) {
		reqID = v[0]
	} else if m.genID != nil {
		reqID = m.genID()
	}
	ih := new(idHeaders)
	n := 0
	if reqID == "" {
		putRequestID(ih.buf[:requestIDLen])
		n = requestIDLen
	}
	traceStart := n
	if sc.HasTraceID() {
		id := sc.TraceID()
		hex.Encode(ih.buf[n:n+32], id[:])
		n += 32
	}
	var str string
	if n > 0 {
		str = unsafe.String(&ih.buf[0], n)
	}
	if reqID == "" {
		reqID = str[:requestIDLen]
	}
	ih.vals[0] = reqID
	h[m.reqIDHeader] = ih.vals[0:1:1]
	if traceStart < n {
		ih.vals[1] = str[traceStart:n]
		h[HeaderTraceID] = ih.vals[1:2:2]
	}
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '_':
		default:
			return false
		}
	}
	return true
}

// Generated request IDs are a random per-process prefix of 12 hex digits, a
// dash and a 16-hex-digit counter: unique across replicas with
// overwhelming probability, and cheap.
const requestIDLen = 12 + 1 + 16

var (
	requestIDPrefix  [12]byte
	requestIDCounter atomic.Uint64
)

func init() {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	hex.Encode(requestIDPrefix[:], b[:])
}

func putRequestID(dst []byte) {
	copy(dst, requestIDPrefix[:])
	dst[12] = '-'
	n := requestIDCounter.Add(1)
	const digits = "0123456789abcdef"
	for i := requestIDLen - 1; i > 12; i-- {
		dst[i] = digits[n&0xf]
		n >>= 4
	}
}
