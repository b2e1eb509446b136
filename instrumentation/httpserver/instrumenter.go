package httpserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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
	// pattern: the route is r.Pattern when the request ends (StartPattern).
	pattern bool
	// watch, when set, may have ended the request already (Watch).
	watch *ResponseWriter
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
	return m.start(r, respHeader, route, false)
}

// StartPattern is [Instrumenter.Start] for a request whose route is known
// only once a net/http ServeMux has routed it: when the request ends, the
// route is the path part of r.Pattern (see [PatternRoute]) of the request
// End or the ResponseWriter gets, "" when the mux matched no pattern. The
// span is named "METHOD" until then and renamed "METHOD route".
func (m *Instrumenter) StartPattern(r *http.Request, respHeader http.Header) (*http.Request, Request) {
	return m.start(r, respHeader, "", true)
}

func (m *Instrumenter) start(r *http.Request, respHeader http.Header, route string, pattern bool) (*http.Request, Request) {
	q := Request{start: m.now(), pattern: pattern}
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
	if q.watched() {
		return
	}
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
	if q.watched() {
		return
	}
	if v != nil && q.span.IsRecording() {
		perr, ok := v.(error)
		if !ok {
			perr = fmt.Errorf("panic: %v", v)
		}
		q.span.RecordError(perr, trace.WithStackTrace(true))
	}
	m.finish(q, r, http.StatusInternalServerError, "panic", nil, false, size, clientAddress)
}

// watched reports whether q's ResponseWriter ended it already, and makes
// sure it will not from now on.
func (q *Request) watched() bool {
	if q.watch == nil {
		return false
	}
	ended := q.watch.ended
	q.watch.ended = true
	return ended
}

func (m *Instrumenter) finish(q *Request, r *http.Request, status int, errType string, err error, exception bool,
	size int64, clientAddress func() string,
) {
	if q.pattern {
		q.pattern = false
		if route := PatternRoute(r.Pattern); route != "" {
			q.rk.route = route
			q.re = m.routeEntry(q.rk)
			if q.span.IsRecording() {
				q.span.SetName(q.re.spanName)
			}
		}
	}
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
	// All span attributes in one call, and only for recording spans:
	// unsampled requests pay nothing for them. The SDK copies them, so the
	// slice is reused; another SDK's span might keep it and gets its own.
	buf, pooled := m.attrBuf(span)
	attrs := append((*buf)[:0], re.spanAttrs...)
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
	if pooled {
		clear(attrs) // no strings of this request kept alive by the pool
		*buf = attrs[:0]
		attrPool.Put(buf)
	}
	if status >= http.StatusInternalServerError {
		desc := ""
		if err != nil {
			desc = err.Error()
		}
		span.SetStatus(codes.Error, desc)
	}
	span.End()
}

// spanAttrCap is the most attributes finish sets on a span.
const spanAttrCap = 8

var attrPool = sync.Pool{New: func() any {
	b := make([]attribute.KeyValue, 0, spanAttrCap)
	return &b
}}

// attrBuf returns a slice for span's attributes: pooled when span is the
// OTel SDK's, which copies what SetAttributes is given.
func (m *Instrumenter) attrBuf(span trace.Span) (*[]attribute.KeyValue, bool) {
	if _, sdk := span.(sdktrace.ReadWriteSpan); sdk {
		return attrPool.Get().(*[]attribute.KeyValue), true
	}
	b := make([]attribute.KeyValue, 0, spanAttrCap)
	return &b, false
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
