package telemetry

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// newTemporalProducer adapts a producer of cumulative histograms (the
// server instrumentation's own) to one reader: as is for a cumulative
// reader, converted to delta for a reader whose exporter wants delta
// histograms (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta or
// lowmemory). Each reader needs its own: a delta conversion remembers what
// its reader was last given.
func newTemporalProducer(base sdkmetric.Producer, t metricdata.Temporality) sdkmetric.Producer {
	if t != metricdata.DeltaTemporality {
		return base
	}
	return &deltaProducer{base: base, prev: map[deltaKey]deltaState{}}
}

// deltaProducer reports, for every histogram data point, what was
// recorded since its previous collection, as the SDK does for a delta
// reader: the start time is the previous collection's, a point with no
// new measurement is left out, exemplars are the interval's. Min and max
// are kept only for a point's first interval: the cumulative extrema do
// not say what the interval's were.
type deltaProducer struct {
	base sdkmetric.Producer

	mu   sync.Mutex
	last time.Time // previous collection; zero before the first
	prev map[deltaKey]deltaState
}

type deltaKey struct {
	metric string
	attrs  attribute.Distinct
}

type deltaState struct {
	counts []uint64
	count  uint64
	sum    float64
}

func (p *deltaProducer) Produce(ctx context.Context) ([]metricdata.ScopeMetrics, error) {
	sms, err := p.base.Produce(ctx)
	if err != nil || len(sms) == 0 {
		return sms, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var now time.Time
	out := make([]metricdata.ScopeMetrics, 0, len(sms))
	for _, sm := range sms {
		ms := make([]metricdata.Metrics, 0, len(sm.Metrics))
		for _, m := range sm.Metrics {
			keep := true
			switch h := m.Data.(type) {
			case metricdata.Histogram[float64]:
				m.Data, now, keep = deltaHistogram(p, m.Name, h, now)
			case metricdata.Histogram[int64]:
				m.Data, now, keep = deltaHistogram(p, m.Name, h, now)
			}
			if keep {
				ms = append(ms, m)
			}
		}
		if len(ms) > 0 {
			sm.Metrics = ms
			out = append(out, sm)
		}
	}
	if !now.IsZero() {
		p.last = now
	}
	return out, nil
}

// deltaHistogram converts a cumulative histogram; keep is false when no
// point changed.
func deltaHistogram[N int64 | float64](p *deltaProducer, name string, h metricdata.Histogram[N], now time.Time) (metricdata.Aggregation, time.Time, bool) {
	if h.Temporality == metricdata.CumulativeTemporality {
		h.DataPoints, now = deltaPoints(p, name, h.DataPoints, now)
		h.Temporality = metricdata.DeltaTemporality
	}
	return h, now, len(h.DataPoints) > 0
}

// deltaPoints converts one histogram's cumulative points in place and
// returns the points that changed, and the collection time (every point of
// one collection carries it).
func deltaPoints[N int64 | float64](p *deltaProducer, name string, dps []metricdata.HistogramDataPoint[N], now time.Time) ([]metricdata.HistogramDataPoint[N], time.Time) {
	out := dps[:0]
	for _, dp := range dps {
		if now.IsZero() {
			now = dp.Time
		}
		k := deltaKey{metric: name, attrs: dp.Attributes.Equivalent()}
		cur := deltaState{counts: dp.BucketCounts, count: dp.Count, sum: float64(dp.Sum)}
		prev, seen := p.prev[k]
		if seen && (cur.count < prev.count || len(prev.counts) != len(cur.counts)) {
			seen = false // a reset: report it whole
		}
		p.prev[k] = deltaState{counts: append([]uint64(nil), cur.counts...), count: cur.count, sum: cur.sum}
		if !p.last.IsZero() {
			dp.StartTime = p.last
		}
		if seen {
			if cur.count == prev.count {
				continue
			}
			counts := make([]uint64, len(cur.counts))
			for i := range counts {
				counts[i] = cur.counts[i] - min(prev.counts[i], cur.counts[i])
			}
			dp.BucketCounts = counts
			dp.Count = cur.count - prev.count
			dp.Sum = N(cur.sum - prev.sum)
			dp.Min, dp.Max = metricdata.Extrema[N]{}, metricdata.Extrema[N]{}
		}
		if !p.last.IsZero() {
			kept := dp.Exemplars[:0:0]
			for _, e := range dp.Exemplars {
				if e.Time.After(p.last) {
					kept = append(kept, e)
				}
			}
			dp.Exemplars = kept
		}
		out = append(out, dp)
	}
	return out, now
}
