package alerting_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
)

// BenchmarkEvaluate100Rules evaluates 100 rules against a real series store
// holding 10 000 request-duration series (200 routes × 5 methods × 10
// statuses), with a real SQLite store. One op is one evaluation cycle.
func BenchmarkEvaluate100Rules(b *testing.B) {
	now := t0
	ser, err := series.New(series.Config{MaxSeries: 20000, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	codes := []string{"200", "201", "204", "301", "400", "401", "404", "429", "500", "503"}
	for step := range 6 {
		now = t0.Add(time.Duration(step) * 10 * time.Second)
		var samples []exporter.Sample
		for r := range 200 {
			for _, m := range methods {
				for _, c := range codes {
					counts := make([]uint64, len(bounds)+1)
					counts[r%len(counts)] = 10
					samples = append(samples, exporter.Sample{
						Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram, Time: now,
						Attrs: []exporter.Attr{{Key: instrumentation.AttrMethod, Value: m}, {Key: instrumentation.AttrRoute, Value: fmt.Sprintf("/r/%d", r)},
							{Key: instrumentation.AttrStatusCode, Value: c}},
						Bounds: bounds, Counts: counts, Count: 10, Sum: 1,
					})
				}
			}
		}
		if err := ser.Append(context.Background(), samples); err != nil {
			b.Fatal(err)
		}
	}
	if n := ser.SeriesCount(); n != 10000 {
		b.Fatalf("%d series, want 10000", n)
	}
	var rules []alerting.Rule
	w := alerting.Duration(time.Minute)
	for i := range 100 {
		route := fmt.Sprintf("/r/%d", i)
		var r alerting.Rule
		switch i % 5 {
		case 0:
			r = alerting.Rule{Kind: alerting.KindErrorRatio, Route: route, Window: w, Threshold: 0.5}
		case 1:
			r = alerting.Rule{Kind: alerting.KindLatencyQuantile, Route: route, Quantile: 0.95, Window: w, Threshold: 5}
		case 2:
			r = alerting.Rule{Kind: alerting.KindRequestRate, Route: route, Window: w, Threshold: 1000}
		case 3:
			r = alerting.Rule{Kind: alerting.KindSLOBurnRate, Route: route, Objective: 0.9, LongWindow: alerting.Duration(time.Hour),
				ShortWindow: alerting.Duration(5 * time.Minute), Factor: 14.4}
		case 4:
			r = alerting.Rule{Kind: alerting.KindAbsent, Route: route, Window: alerting.Duration(10 * time.Minute)}
		}
		r.Name = fmt.Sprintf("Rule%d", i)
		rules = append(rules, r)
	}
	st := openStore(&testing.T{}, b.TempDir()+"/bench.db")
	defer st.Close()
	eng, err := alerting.New(noReceivers(rules...), alerting.Deps{Store: st, Series: ser, Logger: quietLogger(), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := eng.Evaluate(ctx, now); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRules are 100 rules, one per route /r/0 … /r/99, cycling through
// error ratio, p95 latency, request rate, SLO burn rate and absent traffic.
func benchRules() []alerting.Rule {
	var rules []alerting.Rule
	w := alerting.Duration(time.Minute)
	for i := range 100 {
		route := fmt.Sprintf("/r/%d", i)
		var r alerting.Rule
		switch i % 5 {
		case 0:
			r = alerting.Rule{Kind: alerting.KindErrorRatio, Route: route, Window: w, Threshold: 0.5}
		case 1:
			r = alerting.Rule{Kind: alerting.KindLatencyQuantile, Route: route, Quantile: 0.95, Window: w, Threshold: 5}
		case 2:
			r = alerting.Rule{Kind: alerting.KindRequestRate, Route: route, Window: w, Threshold: 1000}
		case 3:
			r = alerting.Rule{Kind: alerting.KindSLOBurnRate, Route: route, Objective: 0.9, LongWindow: alerting.Duration(time.Hour),
				ShortWindow: alerting.Duration(5 * time.Minute), Factor: 14.4}
		case 4:
			r = alerting.Rule{Kind: alerting.KindAbsent, Route: route, Window: alerting.Duration(10 * time.Minute)}
		}
		r.Name = fmt.Sprintf("Rule%d", i)
		r.Annotations = map[string]string{"summary": "{{ .Labels.route }} at {{ .Value }}"}
		rules = append(rules, r)
	}
	return rules
}

// collection is one delta collection of the request-duration histogram
// with 10 000 data points (200 routes × 5 methods × 10 status codes), as
// the SDK hands it to an exporter. points is the slice inside rm, so
// stamping it changes the collection.
func collection() (rm *metricdata.ResourceMetrics, points []metricdata.HistogramDataPoint[float64]) {
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	codes := []string{"200", "201", "204", "301", "400", "401", "404", "429", "500", "503"}
	for r := range 200 {
		for _, m := range methods {
			for _, c := range codes {
				counts := make([]uint64, len(bounds)+1)
				counts[r%len(counts)] = 10
				points = append(points, metricdata.HistogramDataPoint[float64]{
					Attributes: attribute.NewSet(attribute.String(instrumentation.AttrMethod, m),
						attribute.String(instrumentation.AttrRoute, fmt.Sprintf("/r/%d", r)),
						attribute.String(instrumentation.AttrStatusCode, c)),
					Bounds: bounds, BucketCounts: counts, Count: 10, Sum: 1,
					Min: metricdata.NewExtrema(0.001), Max: metricdata.NewExtrema(bounds[min(r%len(counts), len(bounds)-1)]),
				})
			}
		}
	}
	rm = &metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{
		Name: instrumentation.MetricRequestDuration,
		Data: metricdata.Histogram[float64]{Temporality: metricdata.DeltaTemporality, DataPoints: points},
	}}}}}
	return rm, points
}

// BenchmarkCycle10kSeries100Rules measures one whole evaluation cycle as
// the application runs it: one export batch of 10 000 histogram data points
// through exporter.Metrics (conversion, hand-off, series ingest; ForceFlush
// waits until the series store has them), then one evaluation of 100 rules
// against that store with a real SQLite state store and a webhook receiver.
// The clock advances 10 s (one series step) per op; an hour of history is
// ingested first so that every window is full. A few latency rules fire
// throughout, as on a real service.
func BenchmarkCycle10kSeries100Rules(b *testing.B) {
	now := t0
	clk := func() time.Time { return now }
	ser, err := series.New(series.Config{MaxSeries: 20000, Now: clk})
	if err != nil {
		b.Fatal(err)
	}
	exp := exporter.NewMetrics(ser, exporter.WithQueueSize(4))
	ctx := context.Background()
	defer func() { _ = exp.Shutdown(ctx) }()
	rm, points := collection()
	var convertT time.Duration // inside exporter.Metrics.Export: conversion and hand-off
	ingest := func() {
		for i := range points {
			points[i].StartTime, points[i].Time = now.Add(-10*time.Second), now
		}
		t := time.Now()
		if err := exp.Export(ctx, rm); err != nil {
			b.Fatal(err)
		}
		convertT += time.Since(t)
		if err := exp.ForceFlush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for range 360 {
		now = now.Add(10 * time.Second)
		ingest()
	}
	if n := ser.SeriesCount(); n != 10000 {
		b.Fatalf("%d series, want 10000", n)
	}
	hook := newHook(&testing.T{})
	defer hook.Close()
	st := openStore(&testing.T{}, b.TempDir()+"/bench.db")
	defer st.Close()
	cfg := webhookConfig(hook.URL, benchRules()...)
	cfg.EvaluationInterval = alerting.Duration(10 * time.Second)
	eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ser, Logger: quietLogger(), Now: clk})
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.Evaluate(ctx, now); err != nil { // creates the steady alerts
		b.Fatal(err)
	}
	alerting.WaitIdle(eng)
	b.ReportAllocs()
	b.ResetTimer()
	var ingestT, evalT time.Duration
	convertT = 0
	for b.Loop() {
		now = now.Add(10 * time.Second)
		t1 := time.Now()
		ingest()
		t2 := time.Now()
		if err := eng.Evaluate(ctx, now); err != nil {
			b.Fatal(err)
		}
		ingestT += t2.Sub(t1)
		evalT += time.Since(t2)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(ingestT+evalT), "ms/op")
	b.ReportMetric(ms(ingestT), "ingest-ms/op")
	b.ReportMetric(ms(convertT), "export-ms/op") // of ingest: exporter.Metrics.Export
	b.ReportMetric(ms(evalT), "eval-ms/op")
	alerting.WaitIdle(eng)
	active, err := st.ListAlerts(ctx, store.AlertFilter{ActiveOnly: true})
	if err != nil || len(active) == 0 {
		b.Fatalf("active alerts %d, %v: want some firing", len(active), err)
	}
	b.ReportMetric(float64(len(active)), "alerts")
}
