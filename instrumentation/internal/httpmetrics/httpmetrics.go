package httpmetrics

import (
	"context"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkinstrumentation "go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/names"
)

// SecondsBoundaries are the explicit bucket boundaries, in seconds, of every
// histogram with unit "s" (OTel semantic-convention advice for
// http.server.request.duration). The SDK default is in milliseconds.
var SecondsBoundaries = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// BytesBoundaries are the explicit bucket boundaries, in bytes, of every
// histogram with unit "By" (request and response body sizes): powers of
// four from 128 B to 8 MiB.
var BytesBoundaries = []float64{0, 128, 512, 2048, 8192, 32768, 131072, 524288, 2097152, 8388608}

// Histograms aggregates the three HTTP server histograms of the
// middleware itself and hands them to the Prometheus exporter's reader as a
// [sdkmetric.Producer].
//
// Why not the SDK's synchronous instruments: since sdk/metric v1.47 every
// measurement re-normalises its attribute set (map-key de-duplication,
// open-telemetry/opentelemetry-go#8479) and looks the set up in a sync.Map
// keyed by its reflective hash, which together were a third of the
// middleware's cost. Here the middleware resolves a request's data point
// once per (method, route, scheme, status, error type) and a measurement is
// a binary search and a few atomic adds.
//
// The output is what the SDK would produce for the same instruments under
// telemetry.Setup's views: cumulative explicit-bucket histograms with sum, min and
// max, the instrument's cardinality limit (the last point is the
// otel.metric.overflow=true set), and one exemplar per bucket, the last
// measurement the exemplar filter let through (OTEL_METRICS_EXEMPLAR_FILTER,
// default trace_based). A collection reads each point's buckets one by one
// while requests go on, so a point's sum may miss a measurement its
// buckets counted; the next collection has it. Count is the sum of the
// buckets read, so it always equals the +Inf bucket.
type Histograms struct {
	start    time.Time
	limit    int
	exemplar func(trace.SpanContext) bool

	mu     sync.Mutex
	byAttr map[attribute.Distinct]*Point
	all    atomic.Pointer[[]*Point]
	// overflow is the otel.metric.overflow=true point, created with the
	// limit-th attribute set.
	overflow *Point
}

// Point is one attribute set's data point of each of the three
// histograms.
type Point struct {
	attrs    attribute.Set
	duration histPoint[float64]
	reqSize  histPoint[int64]
	respSize histPoint[int64]
}

// histPoint is one cumulative histogram data point, updated without locks.
type histPoint[N int64 | float64] struct {
	bounds    []float64
	counts    []atomic.Uint64
	sum       atomic.Uint64 // float64 bits or int64, see add
	min, max  atomic.Uint64 // float64 bits; valid once count > 0
	exemplars []atomic.Pointer[exemplar[N]]
}

// exemplar is a bucket's last kept measurement: one allocation, converted
// to metricdata.Exemplar when collected.
type exemplar[N int64 | float64] struct {
	time    time.Time
	value   N
	traceID trace.TraceID
	spanID  trace.SpanID
}

// fast maps a MeterProvider built by telemetry.Setup to the histograms
// that bypass its synchronous instruments. Only providers whose every
// reader carries the producer are here.
var fast sync.Map // metric.MeterProvider → *Histograms

// Register makes h the histograms of the middlewares built on mp. Every
// reader of mp must carry h as a producer.
func Register(mp metric.MeterProvider, h *Histograms) { fast.Store(mp, h) }

// Unregister forgets the histograms of mp (at its shutdown).
func Unregister(mp metric.MeterProvider) { fast.Delete(mp) }

// Lookup returns the histograms registered for mp, or nil: the middleware
// then records through mp's instruments.
func Lookup(mp metric.MeterProvider) *Histograms {
	// A provider of the user's may be an incomparable value, which a map
	// lookup would panic on; it is not one of Setup's anyway.
	if mp == nil || !reflect.TypeOf(mp).Comparable() {
		return nil
	}
	if h, ok := fast.Load(mp); ok {
		return h.(*Histograms)
	}
	return nil
}

// New returns empty histograms that keep at most limit attribute sets per
// instrument (the SDK's cardinality limit; ≤ 0: no limit).
func New(limit int) *Histograms {
	h := &Histograms{
		start:    time.Now(),
		limit:    limit,
		exemplar: exemplarFilterFromEnv(),
		byAttr:   make(map[attribute.Distinct]*Point),
	}
	return h
}

// exemplarFilterFromEnv mirrors how sdk/metric reads
// OTEL_METRICS_EXEMPLAR_FILTER: trace_based unless always_on or always_off.
func exemplarFilterFromEnv() func(trace.SpanContext) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_METRICS_EXEMPLAR_FILTER"))) {
	case "always_on":
		return func(trace.SpanContext) bool { return true }
	case "always_off":
		return nil
	default:
		return trace.SpanContext.IsSampled
	}
}

// Point returns the data point of attrs, or the overflow point once the
// cardinality limit is reached. It is called once per attribute set by each
// middleware (which caches the result), never per request.
func (h *Histograms) Point(attrs attribute.Set) *Point {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p, ok := h.byAttr[attrs.Equivalent()]; ok {
		return p
	}
	// The SDK's limit counts the overflow point: limit-1 ordinary sets.
	if h.limit > 0 && len(h.byAttr) >= h.limit-1 {
		if h.overflow == nil {
			h.overflow = h.newPoint(attribute.NewSet(attribute.Bool("otel.metric.overflow", true)))
		}
		return h.overflow
	}
	p := h.newPoint(attrs)
	h.byAttr[attrs.Equivalent()] = p
	return p
}

func (h *Histograms) newPoint(attrs attribute.Set) *Point {
	p := &Point{attrs: attrs}
	p.duration.init(SecondsBoundaries, h.exemplar != nil)
	p.reqSize.init(BytesBoundaries, h.exemplar != nil)
	p.respSize.init(BytesBoundaries, h.exemplar != nil)
	next := []*Point{p}
	if old := h.all.Load(); old != nil {
		next = append(slices.Clip(*old), p)
	}
	h.all.Store(&next)
	return p
}

// Record adds one request: its duration, its request body size when it had
// a body, and its response body size. sc is the server span's context and
// end the time the request ended (exemplar time).
func (h *Histograms) Record(p *Point, sc trace.SpanContext, end time.Time, elapsed time.Duration, reqSize, respSize int64) {
	var ex bool
	if h.exemplar != nil {
		ex = h.exemplar(sc)
	}
	p.duration.add(elapsed.Seconds(), ex, sc, end)
	if reqSize > 0 {
		p.reqSize.add(reqSize, ex, sc, end)
	}
	p.respSize.add(respSize, ex, sc, end)
}

func (p *histPoint[N]) init(bounds []float64, exemplars bool) {
	p.bounds = bounds
	p.counts = make([]atomic.Uint64, len(bounds)+1)
	p.min.Store(math.Float64bits(math.Inf(1)))
	p.max.Store(math.Float64bits(math.Inf(-1)))
	if exemplars {
		p.exemplars = make([]atomic.Pointer[exemplar[N]], len(bounds)+1)
	}
}

func (p *histPoint[N]) add(v N, keep bool, sc trace.SpanContext, t time.Time) {
	f := float64(v)
	// The bucket (bounds[i-1], bounds[i]], as the SDK and Prometheus' le.
	i := sort.SearchFloat64s(p.bounds, f)
	p.counts[i].Add(1)
	switch any(v).(type) {
	case int64:
		p.sum.Add(uint64(int64(v))) //nolint:gosec // two's complement: the sum is read back as int64
	default:
		casFloat(&p.sum, func(old float64) (float64, bool) { return old + f, true })
	}
	casFloat(&p.min, func(old float64) (float64, bool) { return f, f < old })
	casFloat(&p.max, func(old float64) (float64, bool) { return f, f > old })
	if keep {
		p.exemplars[i].Store(&exemplar[N]{time: t, value: v, traceID: sc.TraceID(), spanID: sc.SpanID()})
	}
}

// casFloat replaces the float64 stored as bits in a when next says so.
func casFloat(a *atomic.Uint64, next func(old float64) (float64, bool)) {
	for {
		old := a.Load()
		v, ok := next(math.Float64frombits(old))
		if !ok || a.CompareAndSwap(old, math.Float64bits(v)) {
			return
		}
	}
}

// dataPoint reads p; ok is false when nothing was recorded (the SDK has no
// data point for a set it never measured).
func (p *histPoint[N]) dataPoint(attrs attribute.Set, start, now time.Time) (metricdata.HistogramDataPoint[N], bool) {
	dp := metricdata.HistogramDataPoint[N]{
		Attributes:   attrs,
		StartTime:    start,
		Time:         now,
		Bounds:       slices.Clone(p.bounds),
		BucketCounts: make([]uint64, len(p.counts)),
	}
	for i := range p.counts {
		dp.BucketCounts[i] = p.counts[i].Load()
		dp.Count += dp.BucketCounts[i]
	}
	if dp.Count == 0 {
		return dp, false
	}
	bits := p.sum.Load()
	switch any(dp.Sum).(type) {
	case int64:
		dp.Sum = N(int64(bits)) //nolint:gosec // stored by add as two's complement
	default:
		dp.Sum = N(math.Float64frombits(bits))
	}
	dp.Min = metricdata.NewExtrema(N(math.Float64frombits(p.min.Load())))
	dp.Max = metricdata.NewExtrema(N(math.Float64frombits(p.max.Load())))
	for i := range p.exemplars {
		e := p.exemplars[i].Load()
		if e == nil {
			continue
		}
		x := metricdata.Exemplar[N]{Time: e.time, Value: e.value}
		// As the SDK: IDs only for a measurement made in a span's context.
		if e.traceID.IsValid() {
			x.TraceID, x.SpanID = slices.Clone(e.traceID[:]), slices.Clone(e.spanID[:])
		}
		dp.Exemplars = append(dp.Exemplars, x)
	}
	return dp, true
}

// Produce implements [sdkmetric.Producer]: the three histograms under this
// package's scope, as the SDK would report the instruments the middleware
// creates on other MeterProviders.
func (h *Histograms) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	all := h.all.Load()
	if all == nil {
		return nil, nil
	}
	now := time.Now()
	var dur []metricdata.HistogramDataPoint[float64]
	var reqSize, respSize []metricdata.HistogramDataPoint[int64]
	for _, p := range *all {
		if dp, ok := p.duration.dataPoint(p.attrs, h.start, now); ok {
			dur = append(dur, dp)
		}
		if dp, ok := p.reqSize.dataPoint(p.attrs, h.start, now); ok {
			reqSize = append(reqSize, dp)
		}
		if dp, ok := p.respSize.dataPoint(p.attrs, h.start, now); ok {
			respSize = append(respSize, dp)
		}
	}
	var ms []metricdata.Metrics
	for _, d := range Descs {
		var data metricdata.Aggregation
		switch d.Name {
		case names.MetricRequestDuration:
			if len(dur) == 0 {
				continue
			}
			data = metricdata.Histogram[float64]{DataPoints: dur, Temporality: metricdata.CumulativeTemporality}
		case names.MetricRequestBodySize:
			if len(reqSize) == 0 {
				continue
			}
			data = metricdata.Histogram[int64]{DataPoints: reqSize, Temporality: metricdata.CumulativeTemporality}
		case names.MetricResponseBodySize:
			if len(respSize) == 0 {
				continue
			}
			data = metricdata.Histogram[int64]{DataPoints: respSize, Temporality: metricdata.CumulativeTemporality}
		}
		ms = append(ms, metricdata.Metrics{Name: d.Name, Description: d.Description, Unit: d.Unit, Data: data})
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return []metricdata.ScopeMetrics{{Scope: sdkinstrumentation.Scope{Name: names.ScopeName}, Metrics: ms}}, nil
}

var _ sdkmetric.Producer = (*Histograms)(nil)

// Desc names a histogram of the middleware; the SDK
// instruments and the producer share these.
type Desc struct {
	Name, Unit, Description string
	Bounds                  []float64
}

// Descs describes the request duration, request body size and response
// body size histograms, in this order.
var Descs = []Desc{
	{names.MetricRequestDuration, "s", "Duration of HTTP server requests.", SecondsBoundaries},
	{names.MetricRequestBodySize, "By", "Size of HTTP server request bodies.", BytesBoundaries},
	{names.MetricResponseBodySize, "By", "Size of HTTP server response bodies.", BytesBoundaries},
}
