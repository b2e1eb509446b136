package instrumentation_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/instrumentation"
)

// steppingClock returns a clock whose requests take, in turn, each of
// durations: calls alternate between a request's start and its end.
func steppingClock(durations []time.Duration) func() time.Time {
	t := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	n := 0
	return func() time.Time {
		if n%2 == 0 {
			t = t.Add(time.Millisecond)
		} else {
			t = t.Add(durations[(n/2)%len(durations)])
		}
		n++
		return t
	}
}

type fastReq struct {
	method, target, body string
}

// fastRequestMix reaches ten attribute sets: more than the limit the test
// sets, so both paths overflow. The one request with a body comes early,
// while the request-size histogram can still get its own point (the fast
// path counts the limit over the sets of all three histograms).
var fastRequestMix = []fastReq{
	{http.MethodGet, "/api/users/1", ""},
	{http.MethodPost, "/api/chat", `{"prompt":"` + strings.Repeat("x", 700) + `"}`},
	{http.MethodGet, "/api/users/2", ""},
	{http.MethodGet, "/api/unavailable", ""},
	{http.MethodGet, "/api/broken", ""},
	{http.MethodGet, "/api/teapot", ""},
	{http.MethodGet, "/api/panic", ""},
	{http.MethodGet, "/no/such/path", ""},
	{http.MethodDelete, "/api/users/1", ""},
	{"PURGE", "/api/users/1", ""},
	{http.MethodGet, "/api/written500", ""},
	{http.MethodPost, "/api/chat", "short"},
}

var fastDurations = []time.Duration{
	3 * time.Millisecond, 8 * time.Millisecond, 40 * time.Millisecond, 90 * time.Millisecond,
	300 * time.Millisecond, 1200 * time.Millisecond, 12 * time.Second, 700 * time.Microsecond,
}

// TestFastHistogramsMatchTheSDK drives the same requests, with the same
// durations, through the production path (the middleware's own histograms
// read through the Prometheus reader's producer) and through the SDK's
// instruments, and requires the same data: names, units, descriptions,
// bounds, buckets, sums, extrema, the overflow point and the exemplars.
func TestFastHistogramsMatchTheSDK(t *testing.T) {
	for _, filter := range []string{"", "always_off", "always_on"} {
		t.Run("exemplar filter "+filter, func(t *testing.T) {
			if filter != "" {
				t.Setenv("OTEL_METRICS_EXEMPLAR_FILTER", filter)
			}
			harnesses := make([]*harness, 2)
			for i, sdk := range []bool{false, true} {
				restore := instrumentation.SetClock(steppingClock(fastDurations))
				harnesses[i] = newHarnessWith(t, sdk, instrumentation.WithCardinalityLimit(6))
				restore()
			}
			require.True(t, instrumentation.UsesFastHistograms(harnesses[0].tel.MeterProvider()), "production path")
			require.False(t, instrumentation.UsesFastHistograms(harnesses[1].tel.MeterProvider()), "a reader of the user's keeps the SDK instruments")
			for round := range 3 {
				for _, r := range fastRequestMix {
					for _, h := range harnesses {
						req := httptest.NewRequest(r.method, r.target, strings.NewReader(r.body))
						h.e.ServeHTTP(httptest.NewRecorder(), req)
					}
				}
				fast, sdk := harnesses[0].collect(t), harnesses[1].collect(t)
				for _, name := range []string{instrumentation.MetricRequestDuration, instrumentation.MetricRequestBodySize, instrumentation.MetricResponseBodySize} {
					want, err := findMetric(sdk, name)
					require.NoError(t, err, "sdk")
					got, err := findMetric(fast, name)
					require.NoError(t, err, "fast")
					assert.Equal(t, want.Unit, got.Unit, name)
					assert.Equal(t, want.Description, got.Description, name)
					switch w := want.Data.(type) {
					case metricdata.Histogram[float64]:
						g, ok := got.Data.(metricdata.Histogram[float64])
						require.True(t, ok, "%s: %T", name, got.Data)
						compareHistograms(t, name, round, filter, w, g)
					case metricdata.Histogram[int64]:
						g, ok := got.Data.(metricdata.Histogram[int64])
						require.True(t, ok, "%s: %T", name, got.Data)
						compareHistograms(t, name, round, filter, w, g)
					default:
						t.Fatalf("%s: sdk data %T", name, want.Data)
					}
				}
			}
		})
	}
}

func compareHistograms[N int64 | float64](t *testing.T, name string, round int, filter string, want, got metricdata.Histogram[N]) {
	t.Helper()
	assert.Equal(t, want.Temporality, got.Temporality, name)
	byAttrs := func(dps []metricdata.HistogramDataPoint[N]) map[string]metricdata.HistogramDataPoint[N] {
		m := map[string]metricdata.HistogramDataPoint[N]{}
		for _, dp := range dps {
			m[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp
		}
		return m
	}
	w, g := byAttrs(want.DataPoints), byAttrs(got.DataPoints)
	require.Equal(t, slices.Sorted(mapKeys(w)), slices.Sorted(mapKeys(g)), "%s round %d: attribute sets", name, round)
	overflow := false
	for k, wdp := range w {
		gdp := g[k]
		overflow = overflow || strings.Contains(k, "otel.metric.overflow=true")
		assert.Equal(t, wdp.Bounds, gdp.Bounds, "%s %s bounds", name, k)
		assert.Equal(t, wdp.BucketCounts, gdp.BucketCounts, "%s %s buckets", name, k)
		assert.Equal(t, wdp.Count, gdp.Count, "%s %s count", name, k)
		// The SDK merges partial sums on every collection: the same
		// additions, associated differently.
		assert.InDelta(t, float64(wdp.Sum), float64(gdp.Sum), 1e-12*max(1, float64(wdp.Sum)), "%s %s sum", name, k)
		assert.Equal(t, wdp.Min, gdp.Min, "%s %s min", name, k)
		assert.Equal(t, wdp.Max, gdp.Max, "%s %s max", name, k)
		// Trace IDs differ between the two apps, the SDK stamps an
		// exemplar with its own clock and picks one measurement of a bucket
		// at random where this keeps the last: compare which buckets have
		// one, and that each lies in its bucket.
		exBuckets := func(dp metricdata.HistogramDataPoint[N]) []int {
			var bs []int
			for _, e := range dp.Exemplars {
				i, _ := slices.BinarySearch(dp.Bounds, float64(e.Value))
				bs = append(bs, i)
				assert.NotZero(t, dp.BucketCounts[i], "%s %s exemplar %v in an empty bucket", name, k, e.Value)
				assert.Len(t, e.TraceID, 16, "%s %s exemplar trace ID", name, k)
				assert.Len(t, e.SpanID, 8, "%s %s exemplar span ID", name, k)
			}
			slices.Sort(bs)
			return bs
		}
		assert.Equal(t, exBuckets(wdp), exBuckets(gdp), "%s %s buckets with an exemplar", name, k)
		if filter == "always_off" {
			assert.Empty(t, gdp.Exemplars, "%s %s exemplars with the filter off", name, k)
		} else {
			assert.NotEmpty(t, gdp.Exemplars, "%s %s exemplars of sampled requests", name, k)
		}
		assert.False(t, gdp.StartTime.IsZero() || gdp.Time.Before(gdp.StartTime), "%s %s times %v %v", name, k, gdp.StartTime, gdp.Time)
	}
	if name == instrumentation.MetricRequestDuration {
		assert.True(t, overflow, "the request mix exceeds the cardinality limit: want an overflow point")
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestFastHistogramsKeepNoExemplarOfUnsampledRequests(t *testing.T) {
	h := newHarness(t, instrumentation.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	for range 50 {
		h.do(t, http.MethodGet, "/api/users/3", nil)
	}
	m, err := findMetric(h.collect(t), instrumentation.MetricRequestDuration)
	require.NoError(t, err)
	dps := m.Data.(metricdata.Histogram[float64]).DataPoints
	require.Len(t, dps, 1)
	assert.Equal(t, uint64(50), dps[0].Count)
	assert.Empty(t, dps[0].Exemplars)
}

func TestShutdownReleasesTheFastHistograms(t *testing.T) {
	tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
		instrumentation.WithoutHostMetrics(), instrumentation.WithoutRuntimeMetrics())
	require.NoError(t, err)
	require.True(t, instrumentation.UsesFastHistograms(tel.MeterProvider()))
	require.NoError(t, tel.Shutdown(context.Background()))
	assert.False(t, instrumentation.UsesFastHistograms(tel.MeterProvider()))
}

// incomparableProvider is a MeterProvider of the user's that cannot be a
// map key.
type incomparableProvider struct {
	noop.MeterProvider
	_ []int
}

func TestAnIncomparableMeterProviderIsAccepted(t *testing.T) {
	assert.NotPanics(t, func() {
		instrumentation.MiddlewareWithConfig(instrumentation.MiddlewareConfig{MeterProvider: incomparableProvider{}})
	})
	assert.False(t, instrumentation.UsesFastHistograms(incomparableProvider{}))
}

// TestFastHistogramsUnderConcurrentScrapes records from several goroutines
// while others collect: every collection is consistent (count = +Inf
// bucket, never decreasing) and the last one has every request.
func TestFastHistogramsUnderConcurrentScrapes(t *testing.T) {
	h := newHarness(t)
	const workers, perWorker = 4, 300
	stop := make(chan struct{})
	var collectors sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	for range 2 {
		collectors.Go(func() {
			var last uint64
			for {
				select {
				case <-stop:
					return
				default:
				}
				var rm metricdata.ResourceMetrics
				if err := h.tel.CollectMetrics(context.Background(), &rm); err != nil {
					mu.Lock()
					problems = append(problems, err.Error())
					mu.Unlock()
					return
				}
				n := durationCount(rm)
				if n < last {
					mu.Lock()
					problems = append(problems, "count went down")
					mu.Unlock()
				}
				last = n
			}
		})
	}
	var workersWG sync.WaitGroup
	for range workers {
		workersWG.Go(func() {
			for range perWorker {
				h.e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/users/7", nil))
			}
		})
	}
	workersWG.Wait()
	close(stop)
	collectors.Wait()
	assert.Empty(t, problems)
	assert.Equal(t, uint64(workers*perWorker), durationCount(h.collect(t)))
}

func durationCount(rm metricdata.ResourceMetrics) uint64 {
	m, err := findMetric(rm, instrumentation.MetricRequestDuration)
	if err != nil {
		return 0
	}
	var n uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		var buckets uint64
		for _, c := range dp.BucketCounts {
			buckets += c
		}
		if buckets != dp.Count {
			return 0
		}
		n += dp.Count
	}
	return n
}
