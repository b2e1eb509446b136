package exporter_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recSink records what it is given; block, when set, holds Append until
// closed (entered is signalled first).
type recSink struct {
	mu      sync.Mutex
	batches [][]exporter.Sample
	entered chan struct{}
	block   chan struct{}
}

func (s *recSink) Append(ctx context.Context, samples []exporter.Sample) error {
	if s.block != nil {
		s.entered <- struct{}{}
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, samples)
	return nil
}

func (s *recSink) all() []exporter.Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []exporter.Sample
	for _, b := range s.batches {
		out = append(out, b...)
	}
	s.batches = nil
	return out
}

func byName(samples []exporter.Sample, name string) []exporter.Sample {
	var out []exporter.Sample
	for _, s := range samples {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func setup(t *testing.T, sink exporter.Sink, opts ...exporter.Option) (*sdkmetric.MeterProvider, metric.Meter) {
	t.Helper()
	exp := exporter.NewMetrics(sink, opts...)
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(time.Hour))))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp, mp.Meter("test")
}

func TestMetricsExportsDeltas(t *testing.T) {
	sink := &recSink{}
	mp, meter := setup(t, sink)
	ctx := context.Background()
	ctr, _ := meter.Int64Counter(instrumentation.MetricClientRequests)
	hist, _ := meter.Float64Histogram(instrumentation.MetricRequestDuration, metric.WithExplicitBucketBoundaries(0.1, 0.5, 1))
	gauge, _ := meter.Int64UpDownCounter(instrumentation.MetricActiveRequests)
	route := attribute.String(instrumentation.AttrRoute, "/api/chat")
	code := attribute.Int(instrumentation.AttrStatusCode, 500)

	ctr.Add(ctx, 3, metric.WithAttributes(route, code))
	hist.Record(ctx, 0.05, metric.WithAttributes(route))
	hist.Record(ctx, 0.7, metric.WithAttributes(route))
	hist.Record(ctx, 3, metric.WithAttributes(route))
	gauge.Add(ctx, 2)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	first := sink.all()
	c := byName(first, instrumentation.MetricClientRequests)
	if len(c) != 1 || c[0].Kind != exporter.Counter || c[0].Value != 3 {
		t.Fatalf("counter samples = %+v", c)
	}
	wantAttrs := []exporter.Attr{{Key: instrumentation.AttrStatusCode, Value: "500"}, {Key: instrumentation.AttrRoute, Value: "/api/chat"}} // sorted by key
	if len(c[0].Attrs) != 2 || c[0].Attrs[0] != wantAttrs[0] || c[0].Attrs[1] != wantAttrs[1] {
		t.Errorf("attrs = %+v, want %+v", c[0].Attrs, wantAttrs)
	}
	h := byName(first, instrumentation.MetricRequestDuration)
	if len(h) != 1 || h[0].Kind != exporter.Histogram || h[0].Count != 3 || h[0].Sum != 3.75 || h[0].Min != 0.05 || h[0].Max != 3 {
		t.Fatalf("histogram samples = %+v", h)
	}
	if want := []uint64{1, 0, 1, 1}; !equalU(h[0].Counts, want) || len(h[0].Bounds) != 3 {
		t.Errorf("counts %v bounds %v", h[0].Counts, h[0].Bounds)
	}
	g := byName(first, instrumentation.MetricActiveRequests)
	if len(g) != 1 || g[0].Kind != exporter.Gauge || g[0].Value != 2 {
		t.Errorf("up-down counter samples = %+v", g)
	}

	ctr.Add(ctx, 4, metric.WithAttributes(route, code))
	gauge.Add(ctx, -1)
	if err := mp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	second := sink.all()
	if c := byName(second, instrumentation.MetricClientRequests); len(c) != 1 || c[0].Value != 4 {
		t.Errorf("second flush counter = %+v, want the delta 4", c)
	}
	if h := byName(second, instrumentation.MetricRequestDuration); len(h) != 0 {
		t.Errorf("histogram without new observations exported: %+v", h)
	}
	if g := byName(second, instrumentation.MetricActiveRequests); len(g) != 1 || g[0].Value != 1 {
		t.Errorf("second flush gauge = %+v, want the value 1", g)
	}
}

func equalU(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMetricsCopiesWhatItKeeps(t *testing.T) {
	sink := &recSink{}
	exp := exporter.NewMetrics(sink)
	defer func() { _ = exp.Shutdown(context.Background()) }()
	rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
		Name: "h",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{{
			Attributes: attribute.NewSet(attribute.String("k", "v")), Bounds: []float64{1, 2}, BucketCounts: []uint64{1, 2, 3}, Count: 6, Sum: 9,
		}}},
	}}}}}
	ctx := context.Background()
	if err := exp.Export(ctx, rm); err != nil {
		t.Fatal(err)
	}
	if err := exp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	dp := &rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Histogram[float64]).DataPoints[0]
	dp.Bounds[0], dp.BucketCounts[0] = 100, 100
	rm.ScopeMetrics[0].Metrics[0].Name = "mutated"
	got := sink.all()
	if len(got) != 1 || got[0].Name != "h" || got[0].Bounds[0] != 1 || got[0].Counts[0] != 1 || !math.IsNaN(got[0].Min) {
		t.Errorf("kept sample changed with the SDK's data: %+v", got)
	}
}

func TestMetricsIgnoresUnsupportedTypes(t *testing.T) {
	exp := exporter.NewMetrics(&recSink{})
	defer func() { _ = exp.Shutdown(context.Background()) }()
	rm := &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
		{Name: "e", Data: metricdata.ExponentialHistogram[float64]{DataPoints: make([]metricdata.ExponentialHistogramDataPoint[float64], 2)}},
		{Name: "s", Data: metricdata.Summary{DataPoints: make([]metricdata.SummaryDataPoint, 1)}},
	}}}}
	if err := exp.Export(context.Background(), rm); err != nil {
		t.Fatal(err)
	}
	if exp.Ignored() != 3 {
		t.Errorf("ignored = %d, want 3", exp.Ignored())
	}
}

func TestMetricsShutdown(t *testing.T) {
	exp := exporter.NewMetrics(&recSink{})
	ctx := context.Background()
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"export":   exp.Export(ctx, &metricdata.ResourceMetrics{}),
		"flush":    exp.ForceFlush(ctx),
		"shutdown": exp.Shutdown(ctx),
	} {
		if !errors.Is(err, exporter.ErrExporterShutdown) {
			t.Errorf("%s after shutdown: %v", name, err)
		}
	}
}

func TestMetricsDropsWhenTheSinkBlocks(t *testing.T) {
	sink := &recSink{entered: make(chan struct{}, 1), block: make(chan struct{})}
	rdr := sdkmetric.NewManualReader()
	own := sdkmetric.NewMeterProvider(sdkmetric.WithReader(rdr))
	exp := exporter.NewMetrics(sink, exporter.WithQueueSize(1), exporter.WithMeterProvider(own))
	ctx := context.Background()
	rm := func() *metricdata.ResourceMetrics {
		return &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
			Name: "c", Data: metricdata.Sum[int64]{IsMonotonic: true, Temporality: metricdata.DeltaTemporality,
				DataPoints: []metricdata.DataPoint[int64]{{Value: 1}, {Value: 2, Attributes: attribute.NewSet(attribute.Bool("b", true))}}},
		}}}}}
	}
	if err := exp.Export(ctx, rm()); err != nil { // taken by the goroutine, blocks in Append
		t.Fatal(err)
	}
	<-sink.entered
	if err := exp.Export(ctx, rm()); err != nil { // waits in the queue
		t.Fatal(err)
	}
	start := time.Now()
	if err := exp.Export(ctx, rm()); !errors.Is(err, exporter.ErrQueueFull) { // dropped
		t.Fatalf("third export: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Error("Export blocked")
	}
	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	if err := exp.ForceFlush(flushCtx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("flush with a blocked sink: %v", err)
	}
	cancel()
	var got metricdata.ResourceMetrics
	if err := rdr.Collect(ctx, &got); err != nil {
		t.Fatal(err)
	}
	want := metricdata.Metrics{
		Name: instrumentation.MetricExporterDropped, Description: "Items dropped by Vigil's exporter because the sink did not keep up or failed.", Unit: "{item}",
		Data: metricdata.Sum[int64]{Temporality: metricdata.CumulativeTemporality, IsMonotonic: true,
			DataPoints: []metricdata.DataPoint[int64]{{Attributes: attribute.NewSet(attribute.String("signal", "metrics")), Value: 2}}},
	}
	metricdatatest.AssertEqual(t, want, got.ScopeMetrics[0].Metrics[0], metricdatatest.IgnoreTimestamp())
	close(sink.block)
	go func() {
		for range sink.entered {
		}
	}()
	if err := exp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	close(sink.entered)
	if n := len(sink.all()); n != 4 {
		t.Errorf("delivered %d samples, want 4 (two batches)", n)
	}
	_ = own.Shutdown(ctx)
}

type spanSink struct {
	mu   sync.Mutex
	recs []exporter.SpanRecord
}

func (s *spanSink) RecordSpans(_ context.Context, recs []exporter.SpanRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs...)
}

func TestSpans(t *testing.T) {
	sink := &spanSink{}
	exp := exporter.NewSpans(sink, exporter.WithSlowThreshold(100*time.Millisecond))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
	tr := tp.Tracer("test")
	ctx := context.Background()
	start := time.Unix(1_700_000_000, 0)
	server := trace.WithSpanKind(trace.SpanKindServer)
	span := func(name string, d time.Duration, kind trace.SpanStartOption, f func(trace.Span), kv ...attribute.KeyValue) trace.SpanContext {
		_, sp := tr.Start(ctx, name, kind, trace.WithTimestamp(start), trace.WithAttributes(kv...))
		if f != nil {
			f(sp)
		}
		sp.End(trace.WithTimestamp(start.Add(d)))
		return sp.SpanContext()
	}
	route := func(r string) attribute.KeyValue { return attribute.String(instrumentation.AttrRoute, r) }
	errSC := span("POST /api/chat", 20*time.Millisecond, server, func(sp trace.Span) {
		sp.RecordError(errors.New("upstream timed out"))
		sp.SetStatus(codes.Error, "boom")
	}, route("/api/chat"), attribute.String(instrumentation.AttrMethod, "POST"), attribute.Int(instrumentation.AttrStatusCode, 502))
	span("GET /api/users/:id", 10*time.Millisecond, server, nil, route("/api/users/:id"), attribute.Int(instrumentation.AttrStatusCode, 503), attribute.String(instrumentation.AttrErrorType, "503"))
	slowSC := span("GET /slow", 150*time.Millisecond, server, nil, route("/slow"), attribute.Int(instrumentation.AttrStatusCode, 200))
	span("GET /ok", 5*time.Millisecond, server, nil, route("/ok"), attribute.Int(instrumentation.AttrStatusCode, 200))
	span("db query", time.Second, trace.WithSpanKind(trace.SpanKindClient), func(sp trace.Span) { sp.SetStatus(codes.Error, "x") })
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exp.ForceFlush(ctx); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	recs := append([]exporter.SpanRecord(nil), sink.recs...)
	sink.mu.Unlock()
	if len(recs) != 3 {
		t.Fatalf("records = %+v, want 2 errors and 1 slow", recs)
	}
	e := recs[0]
	if e.Kind != exporter.SpanKindError || e.TraceID != errSC.TraceID().String() || e.Route != "/api/chat" || e.Method != "POST" ||
		e.Status != 502 || e.ErrorType != "*errors.errorString" || e.ErrorMessage != "upstream timed out" || e.Duration != 20*time.Millisecond {
		t.Errorf("error record = %+v", e)
	}
	if r := recs[1]; r.Kind != exporter.SpanKindError || r.Status != 503 || r.ErrorType != "503" {
		t.Errorf("5xx record = %+v", r)
	}
	if r := recs[2]; r.Kind != exporter.SpanKindSlow || r.SpanID != slowSC.SpanID().String() || r.Duration != 150*time.Millisecond {
		t.Errorf("slow record = %+v", r)
	}
	recent := exp.Recent(start)
	if len(recent) != 5 {
		t.Fatalf("recent = %d spans, want 5", len(recent))
	}
	if got := exp.Recent(start.Add(time.Hour)); len(got) != 0 {
		t.Errorf("recent since the future = %d", len(got))
	}

	data, err := exporter.OTLPJSON(recent)
	if err != nil {
		t.Fatal(err)
	}
	req, err := exporter.ParseOTLPJSON(data)
	if err != nil {
		t.Fatalf("round trip: %v\n%s", err, data)
	}
	spans := req.ResourceSpans[0].ScopeSpans[0].Spans
	if len(spans) != 5 {
		t.Fatalf("otlp spans = %d", len(spans))
	}
	tid := errSC.TraceID()
	if string(spans[0].TraceId) != string(tid[:]) || spans[0].Name != "POST /api/chat" || spans[0].Kind != 2 || len(spans[0].Events) != 1 {
		t.Errorf("first otlp span = %v", spans[0])
	}
	if want := `"traceId":"` + tid.String() + `"`; !contains(string(data), want) {
		t.Errorf("OTLP JSON lacks hex trace id %s", want)
	}

	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(ctx, nil); !errors.Is(err, exporter.ErrExporterShutdown) {
		t.Errorf("export after shutdown: %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func FuzzParseOTLPJSON(f *testing.F) {
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"x"}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := exporter.ParseOTLPJSON(data)
		if err != nil {
			if !errors.Is(err, exporter.ErrInvalidOTLP) {
				t.Fatalf("error not wrapping ErrInvalidOTLP: %v", err)
			}
			return
		}
		if req == nil {
			t.Fatal("nil request without error")
		}
	})
}
