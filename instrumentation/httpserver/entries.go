package httpserver

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/internal/httpmetrics"
)

// What is computed once per (method, route, scheme[, status, error type])
// and cached: span names and start options, attribute sets, data points
// and the in-flight gauges.

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

// scheme returns the url.scheme value of k.
func (k routeKey) scheme() string {
	if k.https {
		return "https"
	}
	return "http"
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

func (m *Instrumenter) routeEntry(k routeKey) *routeEntry {
	if re, ok := m.routes.Load(k); ok {
		return re
	}
	name := k.method
	if name == "_OTHER" {
		name = "HTTP"
	}
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.URLScheme(k.scheme()),
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
	attrs := []attribute.KeyValue{
		semconv.HTTPRequestMethodKey.String(k.method),
		semconv.URLScheme(k.scheme()),
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
