package exporter

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// CollectFunc fills rm with the current data of a metric reader, for example
// the Collect method of the OTel Prometheus exporter
// (*otelprom.Exporter embeds an sdk/metric Reader). The data is expected to
// be cumulative; delta data is passed through unchanged.
type CollectFunc func(ctx context.Context, rm *metricdata.ResourceMetrics) error

// Poller reads an existing cumulative metric reader every interval and hands
// the increase since its previous read to a [Sink] as delta [Sample] values.
// It lets the Prometheus exporter and Vigil's engine share one aggregation:
// every measurement is aggregated once, not once per reader.
//
// Conversion, per series (scope, metric name and attribute set):
// monotonic sums become Counter samples carrying the increase; histograms
// become Histogram samples with per-bucket increases, whose Min and Max
// are the reader's cumulative extremes: exact for a series' first read,
// after a reset and when the extreme moved since the previous read, and
// otherwise a bound (every observation of the interval lies within the
// cumulative extremes);
// non-monotonic sums and gauges become Gauge samples with their value. A
// series whose start time changed or whose value went down was reset: its
// whole value is the increase. Counters and histograms that did not change
// since the previous read produce no sample, as a delta reader would not
// for synchronous instruments (for an asynchronous counter a delta reader
// reports 0; the Poller cannot tell the two apart and reports nothing).
//
// Poller follows the package contract: it copies everything it keeps, never
// blocks the collection on the sink (a bounded queue, drops counted in
// vigil.exporter.dropped{signal="metrics"}) and returns
// [ErrExporterShutdown] after Shutdown.
type Poller struct {
	collect CollectFunc
	h       *handoff[Sample]

	mu      sync.Mutex // serialises polls: state and rm are not shared
	rm      metricdata.ResourceMetrics
	state   map[seriesKey]*cumulative
	gen     uint64
	ignored atomic.Uint64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

type seriesKey struct {
	scope, name string
	attrs       attribute.Distinct
}

// cumulative is the previous read of one series.
type cumulative struct {
	start  time.Time
	value  float64
	count  uint64
	sum    float64
	counts []uint64
	gen    uint64
}

// NewPoller returns a Poller reading collect every interval (a non-positive
// interval means 10s) and delivering to sink. It starts two goroutines
// (the ticker and the delivery queue), stopped by Shutdown.
func NewPoller(collect CollectFunc, sink Sink, interval time.Duration, opts ...Option) *Poller {
	c := newConfig(opts)
	if interval <= 0 {
		interval = 10 * time.Second
	}
	p := &Poller{
		collect: collect,
		state:   map[seriesKey]*cumulative{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	p.h = newHandoff(c.queueSize, "metrics", c.logger, sink.Append, newDropCounter(c.meterProvider, "metrics"))
	go p.run(interval, c)
	return p
}

func (p *Poller) run(interval time.Duration, c config) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), interval)
			if err := p.Poll(ctx); err != nil && !errors.Is(err, ErrQueueFull) {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "metric poll failed", slog.Any("error", err))
			}
			cancel()
		}
	}
}

// Ignored reports how many data points were skipped because their type
// (exponential histogram, summary) is not supported.
func (p *Poller) Ignored() uint64 { return p.ignored.Load() }

// Poll reads the reader once and queues the increases for the sink. It
// never waits for the sink: a full queue drops the batch and returns an
// error wrapping ErrQueueFull. The ticker calls it; tests and ForceFlush may
// too.
func (p *Poller) Poll(ctx context.Context) error {
	if p.h.closed.Load() {
		return ErrExporterShutdown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	samples, err := p.read(ctx)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if len(samples) == 0 {
		return nil
	}
	return p.h.enqueue(samples)
}

// ForceFlush polls once and waits until every queued batch reached the
// sink, or ctx ends.
func (p *Poller) ForceFlush(ctx context.Context) error {
	if err := p.Poll(ctx); err != nil {
		return err
	}
	return p.h.flush(ctx)
}

// Shutdown stops the ticker, polls a last time (so the sink sees the final
// increases, as a PeriodicReader would export them), delivers what is
// queued and stops. Call it before the MeterProvider is shut down. Later
// calls return ErrExporterShutdown.
func (p *Poller) Shutdown(ctx context.Context) error {
	if p.h.closed.Load() {
		return ErrExporterShutdown
	}
	p.once.Do(func() { close(p.stop) })
	var errs []error
	select {
	case <-p.done:
	case <-ctx.Done():
		errs = append(errs, ctx.Err())
	}
	if err := p.Poll(ctx); err != nil && !errors.Is(err, ErrExporterShutdown) {
		errs = append(errs, err)
	}
	errs = append(errs, p.h.shutdown(ctx))
	return errors.Join(errs...)
}

// read collects and converts; p.mu is held.
func (p *Poller) read(ctx context.Context) ([]Sample, error) {
	if err := p.collect(ctx, &p.rm); err != nil {
		return nil, err
	}
	p.gen++
	n := 0
	for _, sm := range p.rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			n += pointCount(md.Data)
		}
	}
	out := make([]Sample, 0, n)
	for _, sm := range p.rm.ScopeMetrics {
		for _, md := range sm.Metrics {
			out = p.appendMetric(out, sm.Scope.Name, md)
		}
	}
	// Forget series the reader no longer reports.
	for k, c := range p.state {
		if c.gen != p.gen {
			delete(p.state, k)
		}
	}
	return out, nil
}

func (p *Poller) appendMetric(out []Sample, scope string, md metricdata.Metrics) []Sample {
	switch v := md.Data.(type) {
	case metricdata.Sum[int64]:
		return p.appendSum(out, scope, md.Name, v.Temporality, v.IsMonotonic, sumPoints(v.DataPoints))
	case metricdata.Sum[float64]:
		return p.appendSum(out, scope, md.Name, v.Temporality, v.IsMonotonic, sumPoints(v.DataPoints))
	case metricdata.Gauge[int64]:
		return appendGauge(out, md.Name, v)
	case metricdata.Gauge[float64]:
		return appendGauge(out, md.Name, v)
	case metricdata.Histogram[int64]:
		return appendCumulativeHistogram(p, out, scope, md.Name, v)
	case metricdata.Histogram[float64]:
		return appendCumulativeHistogram(p, out, scope, md.Name, v)
	case metricdata.ExponentialHistogram[int64]:
		p.ignored.Add(uint64(len(v.DataPoints)))
	case metricdata.ExponentialHistogram[float64]:
		p.ignored.Add(uint64(len(v.DataPoints)))
	case metricdata.Summary:
		p.ignored.Add(uint64(len(v.DataPoints)))
	}
	return out
}

type sumPoint struct {
	attrs       attribute.Set
	start, time time.Time
	value       float64
}

func sumPoints[N int64 | float64](dps []metricdata.DataPoint[N]) func(yield func(sumPoint) bool) {
	return func(yield func(sumPoint) bool) {
		for _, dp := range dps {
			if !yield(sumPoint{attrs: dp.Attributes, start: dp.StartTime, time: dp.Time, value: float64(dp.Value)}) {
				return
			}
		}
	}
}

func (p *Poller) appendSum(out []Sample, scope, name string, temp metricdata.Temporality, monotonic bool, points func(func(sumPoint) bool)) []Sample {
	for dp := range points {
		switch {
		case !monotonic:
			out = append(out, Sample{Name: name, Attrs: attrs(dp.attrs), Kind: Gauge, Time: dp.time, Value: dp.value})
		case temp == metricdata.DeltaTemporality:
			out = append(out, Sample{Name: name, Attrs: attrs(dp.attrs), Kind: Counter, Time: dp.time, Value: dp.value})
		default:
			k := seriesKey{scope: scope, name: name, attrs: dp.attrs.Equivalent()}
			prev, seen := p.state[k]
			if !seen {
				prev = &cumulative{}
				p.state[k] = prev
			}
			delta := dp.value
			if seen && prev.start.Equal(dp.start) && dp.value >= prev.value {
				delta = dp.value - prev.value
			}
			prev.start, prev.value, prev.gen = dp.start, dp.value, p.gen
			if seen && delta == 0 {
				continue
			}
			out = append(out, Sample{Name: name, Attrs: attrs(dp.attrs), Kind: Counter, Time: dp.time, Value: delta})
		}
	}
	return out
}

func appendCumulativeHistogram[N int64 | float64](p *Poller, out []Sample, scope, name string, h metricdata.Histogram[N]) []Sample {
	if h.Temporality == metricdata.DeltaTemporality {
		return appendHistogram(out, name, h, &p.ignored)
	}
	for _, dp := range h.DataPoints {
		k := seriesKey{scope: scope, name: name, attrs: dp.Attributes.Equivalent()}
		prev, seen := p.state[k]
		if !seen {
			prev = &cumulative{}
			p.state[k] = prev
		}
		reset := !seen || !prev.start.Equal(dp.StartTime) || dp.Count < prev.count || len(prev.counts) != len(dp.BucketCounts)
		if !reset {
			for i, c := range dp.BucketCounts {
				if c < prev.counts[i] {
					reset = true
					break
				}
			}
		}
		s := Sample{
			Name:   name,
			Attrs:  nil,
			Kind:   Histogram,
			Time:   dp.Time,
			Bounds: nil,
			Counts: make([]uint64, len(dp.BucketCounts)),
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
		if reset {
			copy(s.Counts, dp.BucketCounts)
		} else {
			for i, c := range dp.BucketCounts {
				s.Counts[i] = c - prev.counts[i]
			}
			s.Count = dp.Count - prev.count
			s.Sum = float64(dp.Sum) - prev.sum
		}
		prev.start, prev.count, prev.sum, prev.gen = dp.StartTime, dp.Count, float64(dp.Sum), p.gen
		prev.counts = append(prev.counts[:0], dp.BucketCounts...)
		if seen && !reset && s.Count == 0 {
			continue
		}
		s.Attrs = attrs(dp.Attributes)
		s.Bounds = append([]float64(nil), dp.Bounds...)
		out = append(out, s)
	}
	return out
}
