package alerting_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
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
