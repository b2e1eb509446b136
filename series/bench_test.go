package series_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// semconvBounds are the advised boundaries of http.server.request.duration.
var semconvBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// requestSamples builds n duration histogram series: routes × 2 methods ×
// 25 status codes.
func requestSamples(n int) ([]exporter.Sample, []string) {
	codes := []string{"200", "201", "202", "204", "301", "302", "304", "400", "401", "403", "404", "405", "409", "422", "429", "500", "501", "502", "503", "504", "206", "307", "410", "415", "505"}
	methods := []string{"GET", "POST"}
	var routes []string
	out := make([]exporter.Sample, 0, n)
	for r := 0; len(out) < n; r++ {
		route := "/api/r" + strconv.Itoa(r)
		routes = append(routes, route)
		for _, m := range methods {
			for _, c := range codes {
				if len(out) == n {
					break
				}
				counts := make([]uint64, len(semconvBounds)+1)
				counts[r%len(counts)] = 3
				counts[(r+int(c[0])+int(c[2]))%len(counts)] += 2
				out = append(out, exporter.Sample{
					Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram,
					Attrs: []exporter.Attr{
						{Key: instrumentation.AttrMethod, Value: m},
						{Key: instrumentation.AttrRoute, Value: route},
						{Key: instrumentation.AttrStatusCode, Value: c},
					},
					Bounds: semconvBounds, Counts: counts, Count: 5, Sum: 1.5, Min: 0.003, Max: 3,
				})
			}
		}
	}
	return out, routes
}

func stamp(samples []exporter.Sample, at time.Time) []exporter.Sample {
	for i := range samples {
		samples[i].Time = at
	}
	return samples
}

// BenchmarkIngestAndQuery10kSeries measures one evaluation cycle: 10 000
// histogram series appended, then 100 typical queries (50 error-count
// increases with a status-code regexp per route, 50 p95 latencies per route).
func BenchmarkIngestAndQuery10kSeries(b *testing.B) {
	clk := &clock{t: t0}
	s, err := series.New(series.Config{Now: clk.now})
	if err != nil {
		b.Fatal(err)
	}
	samples, routes := requestSamples(10000)
	ctx := context.Background()
	// Warm up one hour so that queries read full windows.
	for range 360 {
		clk.t = clk.t.Add(10 * time.Second)
		_ = s.Append(ctx, stamp(samples, clk.t))
	}
	fiveXX := series.Matcher{Name: instrumentation.AttrStatusCode, Type: series.MatchRegexp, Value: "5.."}
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	for b.Loop() {
		clk.t = clk.t.Add(10 * time.Second)
		if err := s.Append(ctx, stamp(samples, clk.t)); err != nil {
			b.Fatal(err)
		}
		for q := range 50 {
			route := series.Matcher{Name: instrumentation.AttrRoute, Value: routes[q%len(routes)]}
			errs := s.Increase(instrumentation.MetricRequestDuration, []series.Matcher{route, fiveXX}, 5*time.Minute, clk.t)
			total := s.Increase(instrumentation.MetricRequestDuration, []series.Matcher{route}, 5*time.Minute, clk.t)
			_ = total
			sink += errs
			h := s.Histogram(instrumentation.MetricRequestDuration, []series.Matcher{route}, 5*time.Minute, clk.t)
			sink += series.Quantile(0.95, h)
		}
	}
	b.ReportMetric(float64(s.SeriesCount()), "series")
	_ = sink
}

// BenchmarkAppend10kSeries measures ingest alone: one batch of 10 000
// histogram series (as one exporter collection delivers it) into a store
// holding an hour of them.
func BenchmarkAppend10kSeries(b *testing.B) {
	clk := &clock{t: t0}
	s, err := series.New(series.Config{Now: clk.now})
	if err != nil {
		b.Fatal(err)
	}
	samples, _ := requestSamples(10000)
	ctx := context.Background()
	for range 360 {
		clk.t = clk.t.Add(10 * time.Second)
		_ = s.Append(ctx, stamp(samples, clk.t))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clk.t = clk.t.Add(10 * time.Second)
		if err := s.Append(ctx, stamp(samples, clk.t)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMemory1kSeries24h fills 1 000 series (500 duration histograms,
// 500 counters) for a simulated 24 h and reports the heap they hold.
func BenchmarkMemory1kSeries24h(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		clk := &clock{t: t0}
		s, err := series.New(series.Config{Now: clk.now})
		if err != nil {
			b.Fatal(err)
		}
		hs, _ := requestSamples(500)
		cs := make([]exporter.Sample, 500)
		for i := range cs {
			cs[i] = exporter.Sample{Name: instrumentation.MetricClientRequests, Kind: exporter.Counter, Value: 1,
				Attrs: []exporter.Attr{{Key: instrumentation.AttrClient, Value: fmt.Sprint("c", i)}}}
		}
		ctx := context.Background()
		for range 24 * 360 {
			clk.t = clk.t.Add(10 * time.Second)
			_ = s.Append(ctx, stamp(hs, clk.t))
			_ = s.Append(ctx, stamp(cs, clk.t))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if s.SeriesCount() != 1000 {
			b.Fatalf("series = %d", s.SeriesCount())
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "heap-bytes")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/1000, "bytes/series")
		runtime.KeepAlive(s)
	}
}
