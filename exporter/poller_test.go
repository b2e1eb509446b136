package exporter_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
)

// sampleKey renders a sample for comparison, without its time.
func sampleKey(s exporter.Sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v %v", s.Name, s.Attrs, s.Kind)
	switch s.Kind {
	case exporter.Histogram:
		fmt.Fprintf(&b, " counts=%v bounds=%v count=%d sum=%.9g", s.Counts, s.Bounds, s.Count, s.Sum)
	default:
		fmt.Fprintf(&b, " value=%.9g", s.Value)
	}
	return b.String()
}

func sampleKeys(samples []exporter.Sample) []string {
	out := make([]string, 0, len(samples))
	for _, s := range samples {
		out = append(out, sampleKey(s))
	}
	sort.Strings(out)
	return out
}

// The poller over a cumulative reader yields what exporter.Metrics yields
// over a delta reader, round after round, for the same measurements.
func TestPollerMatchesTheDeltaExporter(t *testing.T) {
	ctx := context.Background()
	deltaSink, pollSink := &recSink{}, &recSink{}
	deltaExp := exporter.NewMetrics(deltaSink)
	deltaReader := sdkmetric.NewPeriodicReader(deltaExp, sdkmetric.WithInterval(time.Hour))
	cumReader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(deltaReader), sdkmetric.WithReader(cumReader))
	poller := exporter.NewPoller(cumReader.Collect, pollSink, time.Hour)
	defer func() {
		if err := poller.Shutdown(ctx); err != nil {
			t.Error(err)
		}
		_ = mp.Shutdown(ctx)
	}()

	meter := mp.Meter("test")
	ctr, _ := meter.Int64Counter(instrumentation.MetricClientRequests)
	fctr, _ := meter.Float64Counter("f.total")
	hist, _ := meter.Float64Histogram(instrumentation.MetricRequestDuration, metric.WithExplicitBucketBoundaries(0.1, 0.5, 1))
	updown, _ := meter.Int64UpDownCounter(instrumentation.MetricActiveRequests)
	a := metric.WithAttributes(attribute.String(instrumentation.AttrRoute, "/a"))
	b := metric.WithAttributes(attribute.String(instrumentation.AttrRoute, "/b"))

	rounds := []struct {
		name   string
		record func()
	}{
		{"first round: everything is new", func() {
			ctr.Add(ctx, 3, a)
			fctr.Add(ctx, 0.5, a)
			hist.Record(ctx, 0.05, a)
			hist.Record(ctx, 0.7, a)
			hist.Record(ctx, 3, b)
			updown.Add(ctx, 2, a)
		}},
		{"second round: one series changes, the others are left out", func() {
			ctr.Add(ctx, 4, a)
			hist.Record(ctx, 0.2, a)
			updown.Add(ctx, -1, a)
		}},
		{"third round: nothing recorded", func() {}},
		{"fourth round: a new series next to old ones", func() {
			ctr.Add(ctx, 1, b)
			fctr.Add(ctx, 1.25, a)
			hist.Record(ctx, 0.3, b)
		}},
	}
	for _, r := range rounds {
		r.record()
		if err := mp.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := poller.ForceFlush(ctx); err != nil {
			t.Fatal(err)
		}
		want, got := sampleKeys(deltaSink.all()), sampleKeys(pollSink.all())
		if strings.Join(want, "\n") != strings.Join(got, "\n") {
			t.Errorf("%s:\npoller:\n%s\ndelta exporter:\n%s", r.name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// fakeCollect returns what its test sets, as a reader would.
type fakeCollect struct {
	mu sync.Mutex
	rm metricdata.ResourceMetrics
}

func (f *fakeCollect) set(rm metricdata.ResourceMetrics) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rm = rm
}

func (f *fakeCollect) collect(_ context.Context, rm *metricdata.ResourceMetrics) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	*rm = f.rm
	return nil
}

func cumSum(start time.Time, v int64) metricdata.ResourceMetrics {
	return metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
		Name: "c", Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.DataPoint[int64]{{StartTime: start, Value: v}}},
	}}}}}
}

func cumHist(start time.Time, counts []uint64, sum float64) metricdata.ResourceMetrics {
	var n uint64
	for _, c := range counts {
		n += c
	}
	return metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
		Name: "h", Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.HistogramDataPoint[float64]{{StartTime: start, Bounds: []float64{1, 2}, BucketCounts: counts, Count: n, Sum: sum,
				Min: metricdata.NewExtrema(0.5), Max: metricdata.NewExtrema(5.0)}}},
	}}}}}
}

func TestPollerConvertsCumulativeToDelta(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	tests := []struct {
		name  string
		reads []metricdata.ResourceMetrics
		want  []string // keys of the samples of the last read
	}{
		{"a counter's first read is its whole value",
			[]metricdata.ResourceMetrics{cumSum(t0, 5)},
			[]string{"c [] counter value=5"}},
		{"a counter's next read is the increase",
			[]metricdata.ResourceMetrics{cumSum(t0, 5), cumSum(t0, 12)},
			[]string{"c [] counter value=7"}},
		{"an unchanged counter yields nothing",
			[]metricdata.ResourceMetrics{cumSum(t0, 5), cumSum(t0, 5)},
			[]string{}},
		{"a counter that went down was reset: its value is the increase",
			[]metricdata.ResourceMetrics{cumSum(t0, 5), cumSum(t0, 2)},
			[]string{"c [] counter value=2"}},
		{"a counter with a new start time was reset even if it grew",
			[]metricdata.ResourceMetrics{cumSum(t0, 5), cumSum(t1, 9)},
			[]string{"c [] counter value=9"}},
		{"a counter that disappeared and came back starts over",
			[]metricdata.ResourceMetrics{cumSum(t0, 5), {}, cumSum(t0, 6)},
			[]string{"c [] counter value=6"}},
		{"a histogram's next read is the bucket-wise increase",
			[]metricdata.ResourceMetrics{cumHist(t0, []uint64{1, 2, 3}, 10), cumHist(t0, []uint64{1, 4, 4}, 16)},
			[]string{"h [] histogram counts=[0 2 1] bounds=[1 2] count=3 sum=6"}},
		{"a histogram with a bucket that went down was reset",
			[]metricdata.ResourceMetrics{cumHist(t0, []uint64{1, 2, 3}, 10), cumHist(t0, []uint64{0, 5, 3}, 12)},
			[]string{"h [] histogram counts=[0 5 3] bounds=[1 2] count=8 sum=12"}},
		{"an unchanged histogram yields nothing",
			[]metricdata.ResourceMetrics{cumHist(t0, []uint64{1, 2, 3}, 10), cumHist(t0, []uint64{1, 2, 3}, 10)},
			[]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			src, sink := &fakeCollect{}, &recSink{}
			p := exporter.NewPoller(src.collect, sink, time.Hour)
			defer func() { _ = p.Shutdown(ctx) }()
			for _, rm := range tt.reads {
				sink.all()
				src.set(rm)
				if err := p.ForceFlush(ctx); err != nil {
					t.Fatal(err)
				}
			}
			got := sink.all()
			if keys := sampleKeys(got); strings.Join(keys, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("samples:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestPollerHistogramMinMaxBoundTheInterval(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	src, sink := &fakeCollect{}, &recSink{}
	p := exporter.NewPoller(src.collect, sink, time.Hour)
	defer func() { _ = p.Shutdown(ctx) }()
	src.set(cumHist(t0, []uint64{1, 0, 1}, 5.5))
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sink.all(); len(got) != 1 || got[0].Min != 0.5 || got[0].Max != 5 {
		t.Fatalf("first read = %+v, want min 0.5 max 5", got)
	}
	src.set(cumHist(t0, []uint64{2, 0, 1}, 6))
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	// The cumulative extremes did not move: they still bound the interval.
	if got := sink.all(); len(got) != 1 || got[0].Min != 0.5 || got[0].Max != 5 {
		t.Fatalf("second read = %+v, want the bounds min 0.5 max 5", got)
	}
}

// The same reader serves Prometheus scrapes and the poller at the same
// time; the SDK serialises collections (pipeline lock), which -race checks.
func TestPollerSharesThePrometheusReader(t *testing.T) {
	ctx := context.Background()
	reg := prometheus.NewRegistry()
	prom, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(prom))
	sink := &recSink{}
	p := exporter.NewPoller(prom.Collect, sink, time.Hour, exporter.WithQueueSize(64))
	ctr, _ := mp.Meter("test").Int64Counter("requests")

	const writers, perWriter = 4, 500
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range perWriter {
				ctr.Add(ctx, 1)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			if err := p.Poll(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, s := range byName(sink.all(), "requests") {
		total += s.Value
	}
	if total != writers*perWriter {
		t.Errorf("sum of deltas = %v, want %d", total, writers*perWriter)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, mf := range mfs {
		if mf.GetName() == "requests_total" {
			found = mf.GetMetric()[0].GetCounter().GetValue() == writers*perWriter
		}
	}
	if !found {
		t.Error("prometheus lost its cumulative total")
	}
	_ = mp.Shutdown(ctx)
}

func TestPollerPollsEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		rdr := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rdr))
		sink := &recSink{}
		p := exporter.NewPoller(rdr.Collect, sink, 10*time.Second)
		ctr, _ := mp.Meter("test").Int64Counter("c")
		ctr.Add(ctx, 2)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if got := sink.all(); len(got) != 0 {
			t.Fatalf("polled before the interval: %+v", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if got := sink.all(); len(got) != 1 || got[0].Value != 2 {
			t.Fatalf("after one interval: %+v", got)
		}
		ctr.Add(ctx, 3)
		if err := p.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if got := sink.all(); len(got) != 1 || got[0].Value != 3 {
			t.Errorf("shutdown did not deliver the last increase: %+v", got)
		}
		_ = mp.Shutdown(ctx)
	})
}

func TestPollerShutdown(t *testing.T) {
	ctx := context.Background()
	p := exporter.NewPoller((&fakeCollect{}).collect, &recSink{}, time.Hour)
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"poll":     p.Poll(ctx),
		"flush":    p.ForceFlush(ctx),
		"shutdown": p.Shutdown(ctx),
	} {
		if !errors.Is(err, exporter.ErrExporterShutdown) {
			t.Errorf("%s after shutdown: %v", name, err)
		}
	}
}

func TestPollerDropsWhenTheSinkBlocks(t *testing.T) {
	ctx := context.Background()
	sink := &recSink{entered: make(chan struct{}, 1), block: make(chan struct{})}
	src := &fakeCollect{}
	p := exporter.NewPoller(src.collect, sink, time.Hour, exporter.WithQueueSize(1))
	t0 := time.Now()
	for i, wantErr := range []error{nil, nil, exporter.ErrQueueFull} {
		src.set(cumSum(t0, int64(i+1)))
		err := p.Poll(ctx)
		if !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
			t.Fatalf("poll %d: %v, want %v", i, err, wantErr)
		}
		if i == 0 {
			<-sink.entered
		}
	}
	close(sink.block)
	go func() {
		for range sink.entered {
		}
	}()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	close(sink.entered)
	if n := len(sink.all()); n != 2 {
		t.Errorf("delivered %d samples, want 2 (the dropped batch is lost)", n)
	}
}

func TestPollerReturnsCollectErrors(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	p := exporter.NewPoller(func(context.Context, *metricdata.ResourceMetrics) error { return boom }, &recSink{}, time.Hour)
	if err := p.Poll(ctx); !errors.Is(err, boom) {
		t.Errorf("poll = %v, want the collect error", err)
	}
	if err := p.Shutdown(ctx); !errors.Is(err, boom) {
		t.Errorf("shutdown = %v, want the last collect error", err)
	}
}
