package exporter

import (
	"context"
	"math"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/instrumentation/names"
)

const scopeName = "github.com/vigilhq/vigil/exporter"

var _ sdkmetric.Exporter = (*Metrics)(nil)

// Metrics is an sdk/metric Exporter that converts each collection into
// [Sample] values for a [Sink]. Counters and histograms use delta
// temporality, up-down counters and gauges cumulative (their value).
type Metrics struct {
	h       *handoff[Sample]
	ignored atomic.Uint64
}

// NewMetrics returns a Metrics exporter delivering to sink. It starts one
// goroutine, stopped by Shutdown.
func NewMetrics(sink Sink, opts ...Option) *Metrics {
	c := newConfig(opts)
	dropped := newDropCounter(c.meterProvider, "metrics")
	m := &Metrics{}
	m.h = newHandoff(c.queueSize, "metrics", c.logger, sink.Append, dropped)
	return m
}

func newDropCounter(mp metric.MeterProvider, signal string) func(int) {
	ctr, err := mp.Meter(scopeName).Int64Counter(names.MetricExporterDropped,
		metric.WithDescription("Items dropped by Vigil's exporter because the sink did not keep up or failed."),
		metric.WithUnit("{item}"))
	set := metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", signal)))
	return func(n int) {
		if err == nil && n > 0 {
			ctr.Add(context.Background(), int64(n), set)
		}
	}
}

// Temporality returns delta for counters and histograms and cumulative for
// up-down counters and gauges.
func (m *Metrics) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DeltaTemporalitySelector(k)
}

// Aggregation returns the SDK's default aggregation.
func (m *Metrics) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

// Ignored reports how many data points were skipped because their type
// (exponential histogram, summary, cumulative histogram) is not supported.
func (m *Metrics) Ignored() uint64 { return m.ignored.Load() }

// Export converts rm (copying everything) and queues it for the sink. It
// never blocks: a full queue drops the batch and returns ErrQueueFull.
func (m *Metrics) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if m.h.closed.Load() {
		return ErrExporterShutdown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	samples := m.convert(rm)
	if len(samples) == 0 {
		return nil
	}
	return m.h.enqueue(samples)
}

// ForceFlush waits until every exported batch reached the sink, or ctx ends.
func (m *Metrics) ForceFlush(ctx context.Context) error { return m.h.flush(ctx) }

// Shutdown delivers queued batches and stops the goroutine. Later calls
// return ErrExporterShutdown.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.h.shutdown(ctx) }

func (m *Metrics) convert(rm *metricdata.ResourceMetrics) []Sample {
	if rm == nil {
		return nil
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			n += pointCount(md.Data)
		}
	}
	out := make([]Sample, 0, n)
	for _, sm := range rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			out = m.appendMetric(out, md)
		}
	}
	return out
}

func pointCount(d metricdata.Aggregation) int {
	switch v := d.(type) {
	case metricdata.Sum[int64]:
		return len(v.DataPoints)
	case metricdata.Sum[float64]:
		return len(v.DataPoints)
	case metricdata.Gauge[int64]:
		return len(v.DataPoints)
	case metricdata.Gauge[float64]:
		return len(v.DataPoints)
	case metricdata.Histogram[int64]:
		return len(v.DataPoints)
	case metricdata.Histogram[float64]:
		return len(v.DataPoints)
	}
	return 0
}

func (m *Metrics) appendMetric(out []Sample, md metricdata.Metrics) []Sample {
	switch v := md.Data.(type) {
	case metricdata.Sum[int64]:
		return appendSum(out, md.Name, v)
	case metricdata.Sum[float64]:
		return appendSum(out, md.Name, v)
	case metricdata.Gauge[int64]:
		return appendGauge(out, md.Name, v)
	case metricdata.Gauge[float64]:
		return appendGauge(out, md.Name, v)
	case metricdata.Histogram[int64]:
		return appendHistogram(out, md.Name, v, &m.ignored)
	case metricdata.Histogram[float64]:
		return appendHistogram(out, md.Name, v, &m.ignored)
	case metricdata.ExponentialHistogram[int64]:
		m.ignored.Add(uint64(len(v.DataPoints)))
	case metricdata.ExponentialHistogram[float64]:
		m.ignored.Add(uint64(len(v.DataPoints)))
	case metricdata.Summary:
		m.ignored.Add(uint64(len(v.DataPoints)))
	}
	return out
}

func appendSum[N int64 | float64](out []Sample, name string, s metricdata.Sum[N]) []Sample {
	kind := Gauge
	if s.IsMonotonic && s.Temporality == metricdata.DeltaTemporality {
		kind = Counter
	}
	for _, dp := range s.DataPoints {
		out = append(out, Sample{Name: name, Attrs: attrs(dp.Attributes), Kind: kind, Time: dp.Time, Value: float64(dp.Value)})
	}
	return out
}

func appendGauge[N int64 | float64](out []Sample, name string, g metricdata.Gauge[N]) []Sample {
	for _, dp := range g.DataPoints {
		out = append(out, Sample{Name: name, Attrs: attrs(dp.Attributes), Kind: Gauge, Time: dp.Time, Value: float64(dp.Value)})
	}
	return out
}

func appendHistogram[N int64 | float64](out []Sample, name string, h metricdata.Histogram[N], ignored *atomic.Uint64) []Sample {
	if h.Temporality != metricdata.DeltaTemporality {
		ignored.Add(uint64(len(h.DataPoints)))
		return out
	}
	for _, dp := range h.DataPoints {
		s := Sample{
			Name:   name,
			Attrs:  attrs(dp.Attributes),
			Kind:   Histogram,
			Time:   dp.Time,
			Bounds: append([]float64(nil), dp.Bounds...),
			Counts: append([]uint64(nil), dp.BucketCounts...),
			Sum:    float64(dp.Sum),
			Count:  dp.Count,
			Min:    math.NaN(),
			Max:    math.NaN(),
		}
		if v, ok := dp.Min.Value(); ok {
			s.Min = float64(v)
		}
		if v, ok := dp.Max.Value(); ok {
			s.Max = float64(v)
		}
		out = append(out, s)
	}
	return out
}

// attrs copies an attribute set (already sorted by key) into Attrs.
func attrs(set attribute.Set) []Attr {
	if set.Len() == 0 {
		return nil
	}
	key := set.Equivalent()
	attrCache.mu.RLock()
	out, ok := attrCache.m[key]
	attrCache.mu.RUnlock()
	if ok {
		return out
	}
	out = make([]Attr, 0, set.Len())
	it := set.Iter()
	for it.Next() {
		kv := it.Attribute()
		out = append(out, Attr{Key: string(kv.Key), Value: kv.Value.String()})
	}
	attrCache.mu.Lock()
	if len(attrCache.m) >= maxCachedAttrSets {
		clear(attrCache.m) // sets come and go with traffic; start over rather than grow
	}
	attrCache.m[key] = out
	attrCache.mu.Unlock()
	return out
}

// attrCache keeps the converted attributes of each attribute set: reading a
// set goes through reflection in the SDK, and the same few thousand sets
// come back every export. Samples share the cached slices read-only.
var attrCache = struct {
	mu sync.RWMutex
	m  map[attribute.Distinct][]Attr
}{m: map[attribute.Distinct][]Attr{}}

// maxCachedAttrSets bounds attrCache (the SDK's cardinality limit keeps a
// provider far below it).
const maxCachedAttrSets = 65536
