package bench_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// procStatusKB reads a "VmXxx:   123 kB" line of /proc/self/status.
func procStatusKB(tb testing.TB, key string) float64 {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				tb.Fatal(err)
			}
			return v
		}
	}
	tb.Fatalf("%s not in /proc/self/status", key)
	return 0
}

// BenchmarkRSS1kSeries24h is the process-level memory goal: the
// application's telemetry (Setup with runtime metrics, 1 000 active series
// in the SDK: 500 request-duration histograms and 500 counters) plus a
// series store configured as `vigil serve` configures it for a 10 s
// evaluation interval, fed 24 h of 10 s samples on a simulated clock.
// Reports the process RSS (VmRSS) and its peak (VmHWM). Goal: ≤ 150 MB.
// Run it alone, in its own process:
//
//	go test -run '^$' -bench BenchmarkRSS1kSeries24h -benchtime 1x .
func BenchmarkRSS1kSeries24h(b *testing.B) {
	ctx := context.Background()
	tel, err := instrumentation.Setup(ctx, instrumentation.WithoutGlobalProviders(), instrumentation.WithoutHostMetrics())
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tel.Shutdown(ctx) }()
	meter := tel.MeterProvider().Meter("bench")
	hist, _ := meter.Float64Histogram(instrumentation.MetricRequestDuration, metric.WithUnit("s"))
	ctr, _ := meter.Int64Counter(instrumentation.MetricClientRequests)

	hs := make([]exporter.Sample, 500)
	cs := make([]exporter.Sample, 500)
	for i := range hs {
		route, status := "/api/r"+strconv.Itoa(i/5), strconv.Itoa(200+100*(i%5))
		hist.Record(ctx, 0.02, metric.WithAttributes(attribute.String(instrumentation.AttrRoute, route), attribute.String(instrumentation.AttrStatusCode, status)))
		ctr.Add(ctx, 1, metric.WithAttributes(attribute.String(instrumentation.AttrClient, "c"+strconv.Itoa(i))))
		hs[i] = exporter.Sample{Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram,
			Attrs:  []exporter.Attr{{Key: instrumentation.AttrStatusCode, Value: status}, {Key: instrumentation.AttrRoute, Value: route}},
			Bounds: instrumentation.SecondsBoundaries, Counts: make([]uint64, len(instrumentation.SecondsBoundaries)+1), Count: 10, Sum: 0.3}
		hs[i].Counts[2] = 10
		cs[i] = exporter.Sample{Name: instrumentation.MetricClientRequests, Kind: exporter.Counter, Value: 1,
			Attrs: []exporter.Attr{{Key: instrumentation.AttrClient, Value: "c" + strconv.Itoa(i)}}}
	}
	var rss, hwm float64
	for b.Loop() {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		// internal/app's seriesConfig for a 10 s interval.
		s, err := series.New(series.Config{Step: 10 * time.Second, FineRetention: 3600 * time.Second, Now: func() time.Time { return now }})
		if err != nil {
			b.Fatal(err)
		}
		for range 24 * 360 {
			now = now.Add(10 * time.Second)
			if err := s.Append(ctx, stamp(hs, now)); err != nil {
				b.Fatal(err)
			}
			if err := s.Append(ctx, stamp(cs, now)); err != nil {
				b.Fatal(err)
			}
		}
		if n := s.SeriesCount(); n != 1000 {
			b.Fatalf("series = %d", n)
		}
		runtime.GC()
		rss, hwm = procStatusKB(b, "VmRSS"), procStatusKB(b, "VmHWM")
		runtime.KeepAlive(s)
	}
	b.ReportMetric(rss/1024, "rss-MB")
	b.ReportMetric(hwm/1024, "peak-rss-MB")
}

// stamp copies samples (the store owns what it is given) with time t.
func stamp(in []exporter.Sample, t time.Time) []exporter.Sample {
	out := make([]exporter.Sample, len(in))
	for i, s := range in {
		s.Time = t
		if s.Counts != nil {
			s.Counts = append([]uint64(nil), s.Counts...)
			s.Bounds = append([]float64(nil), s.Bounds...)
		}
		out[i] = s
	}
	return out
}
