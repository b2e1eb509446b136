package series_test

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// t0 is a multiple of both the 10s step and the 5m coarse step.
var t0 = time.Unix(1_700_000_100, 0)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t testing.TB, cfg series.Config) (*series.Store, *clock) {
	t.Helper()
	c := &clock{t: t0}
	cfg.Now = c.now
	s, err := series.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func attrs(kv ...string) []exporter.Attr {
	var out []exporter.Attr
	for i := 0; i < len(kv); i += 2 {
		out = append(out, exporter.Attr{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

func counter(name string, at time.Time, v float64, kv ...string) exporter.Sample {
	return exporter.Sample{Name: name, Kind: exporter.Counter, Time: at, Value: v, Attrs: attrs(kv...)}
}

func gauge(name string, at time.Time, v float64, kv ...string) exporter.Sample {
	return exporter.Sample{Name: name, Kind: exporter.Gauge, Time: at, Value: v, Attrs: attrs(kv...)}
}

var bounds = []float64{0.1, 0.5, 1}

func hist(at time.Time, counts []uint64, sum float64, kv ...string) exporter.Sample {
	var n uint64
	for _, c := range counts {
		n += c
	}
	return exporter.Sample{
		Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram, Time: at, Attrs: attrs(kv...),
		Bounds: bounds, Counts: counts, Count: n, Sum: sum, Min: 0.01, Max: 2,
	}
}

func appendAll(t testing.TB, s *series.Store, samples ...exporter.Sample) {
	t.Helper()
	if err := s.Append(context.Background(), samples); err != nil {
		t.Fatal(err)
	}
}

const reqs = instrumentation.MetricClientRequests

func TestIncrease(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	route, status := instrumentation.AttrRoute, instrumentation.AttrStatusCode
	appendAll(t, s,
		counter(reqs, t0.Add(10*time.Second), 1, route, "/a", status, "200"),
		counter(reqs, t0.Add(20*time.Second), 2, route, "/a", status, "500"),
		counter(reqs, t0.Add(30*time.Second), 4, route, "/b", status, "503"),
		counter(reqs, t0.Add(30*time.Second), 8, route, "/b"),
	)
	now := t0.Add(30 * time.Second)
	tests := []struct {
		name   string
		ms     []series.Matcher
		window time.Duration
		now    time.Time
		want   float64
	}{
		{"a window covering every step sums every delta", nil, time.Minute, now, 15},
		{"a sample exactly at now-window is outside the window", nil, 20 * time.Second, now, 14},
		{"a sample exactly at now is inside the window", nil, 10 * time.Second, now, 12},
		{"a window ending before the samples is empty", nil, time.Minute, t0, 0},
		{"an unaligned now is answered with whole steps", nil, 10 * time.Second, t0.Add(25 * time.Second), 12},
		{"an equality matcher selects one route", []series.Matcher{{Name: route, Value: "/a"}}, time.Minute, now, 3},
		{"a regexp is fully anchored", []series.Matcher{{Name: status, Type: series.MatchRegexp, Value: "5.."}}, time.Minute, now, 6},
		{"an unanchored-looking regexp does not match substrings", []series.Matcher{{Name: status, Type: series.MatchRegexp, Value: "0"}}, time.Minute, now, 0},
		{"a negative regexp matches the missing attribute", []series.Matcher{{Name: status, Type: series.MatchNotRegexp, Value: "5.."}}, time.Minute, now, 9},
		{"an equality matcher on \"\" selects series without the attribute", []series.Matcher{{Name: status, Value: ""}}, time.Minute, now, 8},
		{"not-equal excludes one value", []series.Matcher{{Name: route, Type: series.MatchNotEqual, Value: "/a"}}, time.Minute, now, 12},
		{"two positive matchers intersect", []series.Matcher{{Name: route, Value: "/b"}, {Name: status, Type: series.MatchRegexp, Value: "5.*"}}, time.Minute, now, 4},
		{"an invalid regexp matches nothing", []series.Matcher{{Name: status, Type: series.MatchRegexp, Value: "("}}, time.Minute, now, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Increase(reqs, tt.ms, tt.window, tt.now); got != tt.want {
				t.Errorf("Increase = %v, want %v", got, tt.want)
			}
		})
	}
	if got := s.Increase("no.such.metric", nil, time.Hour, now); got != 0 {
		t.Errorf("unknown metric: %v", got)
	}
	groups := s.IncreaseBy(reqs, nil, []string{route}, time.Minute, now)
	if len(groups) != 2 || groups[0].Labels[route] != "/a" || groups[0].Value != 3 || groups[1].Labels[route] != "/b" || groups[1].Value != 12 {
		t.Errorf("IncreaseBy = %+v", groups)
	}
	byStatus := s.IncreaseBy(reqs, []series.Matcher{{Name: route, Value: "/b"}}, []string{status}, time.Minute, now)
	if len(byStatus) != 2 || byStatus[0].Labels[status] != "" || byStatus[0].Value != 8 || byStatus[1].Labels[status] != "503" {
		t.Errorf("IncreaseBy missing attribute = %+v", byStatus)
	}
}

func TestHistogramAndQuantile(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	route := instrumentation.AttrRoute
	appendAll(t, s,
		hist(t0.Add(10*time.Second), []uint64{2, 1, 0, 0}, 0.5, route, "/a"),
		hist(t0.Add(20*time.Second), []uint64{0, 2, 5, 0}, 3, route, "/a"),
		hist(t0.Add(20*time.Second), []uint64{0, 0, 1, 1}, 2.5, route, "/b"),
	)
	now := t0.Add(20 * time.Second)
	h := s.Histogram(instrumentation.MetricRequestDuration, []series.Matcher{{Name: route, Value: "/a"}}, time.Minute, now)
	// The samples say max 2, but nothing was observed above 1 (the highest
	// non-empty bucket is (0.5, 1]): 1 bounds the window.
	if h.Count != 10 || h.Sum != 3.5 || h.Min != 0.01 || h.Max != 1 {
		t.Fatalf("histogram = %+v", h)
	}
	if want := []uint64{2, 3, 5, 0}; !equalU(h.Counts, want) {
		t.Fatalf("counts = %v, want %v", h.Counts, want)
	}
	if got := s.Increase(instrumentation.MetricRequestDuration, nil, time.Minute, now); got != 12 {
		t.Errorf("Increase of a histogram counts observations: %v", got)
	}
	by := s.HistogramBy(instrumentation.MetricRequestDuration, nil, []string{route}, time.Minute, now)
	if len(by) != 2 || by[1].Labels[route] != "/b" || by[1].Count != 2 || by[0].Count != 10 {
		t.Errorf("HistogramBy = %+v", by)
	}
	// Hand-computed with Prometheus histogram_quantile over le buckets
	// 0.1:2, 0.5:5, 1:10, +Inf:10.
	quantiles := []struct {
		name string
		q    float64
		h    series.Histogram
		want float64
	}{
		{"the median interpolates inside the second bucket", 0.5, h, 0.5},
		{"p90 interpolates inside the third bucket", 0.9, h, 0.9},
		{"p10 interpolates from zero in the first bucket", 0.1, h, 0.05},
		{"p75 lands mid third bucket", 0.75, h, 0.75},
		{"a rank in the +Inf bucket gives the last finite bound", 0.99, series.Histogram{Bounds: bounds, Counts: []uint64{0, 0, 1, 1}, Min: nan, Max: nan}, 1},
		{"an empty histogram gives NaN", 0.5, series.Histogram{Bounds: bounds, Counts: []uint64{0, 0, 0, 0}}, math.NaN()},
		{"no buckets give NaN", 0.5, series.Histogram{}, math.NaN()},
		{"q below zero gives -Inf", -0.1, h, math.Inf(-1)},
		{"q above one gives +Inf", 1.1, h, math.Inf(1)},
		{"a non-positive first bound is returned as is", 0.2, series.Histogram{Bounds: []float64{-1, 0, 1}, Counts: []uint64{5, 0, 5, 0}, Min: nan, Max: nan}, -1},
		// Vigil keeps the observed extremes, Prometheus does not.
		{"interpolation stops at the observed maximum", 0.5, clamped(0.0004, 0.0004), 0.0004},
		{"p99 never exceeds the observed maximum", 0.99, clamped(0.3, 0.302), 0.302},
		{"interpolation stops at the observed minimum", 0.01, clamped(0.3, 0.45), 0.3},
		{"the +Inf bucket gives the maximum when it is below the last bound", 1, series.Histogram{Bounds: bounds, Counts: []uint64{0, 0, 0, 2}, Min: 0.2, Max: 0.9}, 0.9},
		{"unknown extremes leave histogram_quantile as is", 0.5, series.Histogram{Bounds: bounds, Counts: []uint64{4, 0, 0, 0}, Min: nan, Max: nan}, 0.05},
	}
	for _, tt := range quantiles {
		t.Run(tt.name, func(t *testing.T) {
			got := series.Quantile(tt.q, tt.h)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9) {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	empty := s.Histogram("no.such", nil, time.Minute, now)
	if !math.IsNaN(series.Quantile(0.5, empty)) || !math.IsNaN(empty.Min) {
		t.Errorf("empty histogram: %+v", empty)
	}
}

var nan = math.NaN()

func TestHistogramExtremesBoundTheWindow(t *testing.T) {
	withExtremes := func(sm exporter.Sample, mn, mx float64) exporter.Sample {
		sm.Min, sm.Max = mn, mx
		return sm
	}
	route := instrumentation.AttrRoute
	// bounds: (-Inf, 0.1], (0.1, 0.5], (0.5, 1], (1, +Inf)
	tests := []struct {
		name             string
		samples          []exporter.Sample
		wantMin, wantMax float64
	}{
		{"exact extremes of every step merge", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{1, 0, 0, 0}, 0.05, route, "/a"), 0.05, 0.05),
			withExtremes(hist(t0.Add(20*time.Second), []uint64{0, 1, 0, 0}, 0.3, route, "/a"), 0.3, 0.3),
		}, 0.05, 0.3},
		{"a cumulative bound is narrowed to the highest non-empty bucket", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{0, 1, 0, 0}, 0.3, route, "/a"), 0.001, 9),
		}, 0.1, 0.5},
		{"a bound below the bucket's upper bound is kept", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{3, 0, 0, 0}, 0.001, route, "/a"), 0.0003, 0.0005),
		}, 0.0003, 0.0005},
		{"observations without extremes are bounded by their buckets", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{0, 1, 1, 0}, 0.9, route, "/a"), nan, nan),
		}, 0.1, 1},
		{"without extremes the first and +Inf buckets are unbounded", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{1, 0, 0, 1}, 3, route, "/a"), nan, nan),
			withExtremes(hist(t0.Add(20*time.Second), []uint64{0, 1, 0, 0}, 0.3, route, "/b"), 0.3, 0.3),
		}, nan, nan},
		{"an empty sample changes nothing", []exporter.Sample{
			withExtremes(hist(t0.Add(10*time.Second), []uint64{1, 0, 0, 0}, 0.05, route, "/a"), 0.05, 0.05),
			withExtremes(hist(t0.Add(20*time.Second), []uint64{0, 0, 0, 0}, 0, route, "/a"), nan, nan),
		}, 0.05, 0.05},
	}
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t, series.Config{})
			appendAll(t, s, tt.samples...)
			now := t0.Add(20 * time.Second)
			h := s.Histogram(instrumentation.MetricRequestDuration, nil, time.Minute, now)
			if !same(h.Min, tt.wantMin) || !same(h.Max, tt.wantMax) {
				t.Errorf("Histogram min %v max %v, want %v %v", h.Min, h.Max, tt.wantMin, tt.wantMax)
			}
			for _, g := range s.HistogramBy(instrumentation.MetricRequestDuration, nil, []string{route}, time.Minute, now) {
				if math.IsInf(g.Min, 0) || math.IsInf(g.Max, 0) {
					t.Errorf("HistogramBy leaks the unbounded marker: %+v", g)
				}
			}
			for _, q := range []float64{0, 0.5, 0.99, 1} {
				v := series.Quantile(q, h)
				if (!math.IsNaN(h.Max) && v > h.Max) || (!math.IsNaN(h.Min) && v < h.Min) {
					t.Errorf("quantile %v = %v outside [%v, %v]", q, v, h.Min, h.Max)
				}
			}
		})
	}
}

// clamped is a histogram whose observations all lie in [mn, mx] inside the
// bucket (0.1, 0.5] or (0, 0.1].
func clamped(mn, mx float64) series.Histogram {
	h := series.Histogram{Bounds: bounds, Counts: []uint64{0, 0, 0, 0}, Min: mn, Max: mx}
	if mx <= 0.1 {
		h.Counts[0] = 10
	} else {
		h.Counts[1] = 10
	}
	return h
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

func TestHistogramWithOtherBoundsIsRejected(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	appendAll(t, s, hist(t0, []uint64{1, 0, 0, 0}, 0.05))
	bad := hist(t0.Add(10*time.Second), []uint64{1, 0, 0}, 0.05)
	bad.Bounds = []float64{1, 2}
	appendAll(t, s, bad)
	if s.Rejected() != 1 {
		t.Errorf("rejected = %d", s.Rejected())
	}
}

func TestCoarseStepsBeyondTheFineRetention(t *testing.T) {
	s, clk := newStore(t, series.Config{})
	// One request every 10 s for 3 h.
	for i := 1; i <= 3*360; i++ {
		clk.t = t0.Add(time.Duration(i) * 10 * time.Second)
		appendAll(t, s, counter(reqs, clk.t, 1))
	}
	now := clk.t
	tests := []struct {
		name   string
		window time.Duration
		want   float64
	}{
		{"a window inside the fine retention is exact", 30 * time.Minute, 180},
		{"a window reaching into coarse steps is exact when aligned", 2 * time.Hour, 720},
		{"the whole history is kept", 3 * time.Hour, 1080},
		{"a window older than the data adds nothing", 5 * time.Hour, 1080},
		{"an unaligned window beyond the fine retention rounds outward to coarse steps", 2*time.Hour + time.Minute, 750},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Increase(reqs, nil, tt.window, now); got != tt.want {
				t.Errorf("Increase(%s) = %v, want %v", tt.window, got, tt.want)
			}
		})
	}
	// A point 2 h ago is answered from coarse steps: 5 m of data.
	if got := s.Increase(reqs, nil, 5*time.Minute, now.Add(-2*time.Hour)); got != 30 {
		t.Errorf("old 5m window = %v, want 30", got)
	}
	// An old 10 s window is only as fine as a coarse step.
	if got := s.Increase(reqs, nil, 10*time.Second, now.Add(-2*time.Hour)); got != 30 {
		t.Errorf("old 10s window = %v, want one coarse step (30)", got)
	}
	pts := s.Range(reqs, nil, 3*time.Hour, 30*time.Minute, now)
	if len(pts) != 6 {
		t.Fatalf("range points = %d", len(pts))
	}
	for _, p := range pts {
		if p.V != 180 {
			t.Errorf("range point %s = %v, want 180", p.T, p.V)
		}
	}
	if !pts[5].T.Equal(now) {
		t.Errorf("last point at %s, want %s", pts[5].T, now)
	}
}

func TestRetentionExpiry(t *testing.T) {
	s, clk := newStore(t, series.Config{})
	appendAll(t, s, counter(reqs, t0, 5, "client", "old"))
	for h := 1; h <= 25; h++ {
		clk.t = t0.Add(time.Duration(h) * time.Hour)
		appendAll(t, s, counter(reqs, clk.t, 1, "client", "new"))
		if h == 23 {
			if got := s.Increase(reqs, []series.Matcher{{Name: "client", Value: "old"}}, 24*time.Hour, clk.t); got != 5 {
				t.Fatalf("at 23h the old sample is still there: %v", got)
			}
		}
	}
	if got := s.SeriesCount(); got != 1 {
		t.Errorf("series after 25h = %d, want 1 (the idle one expired)", got)
	}
	if got := s.Increase(reqs, nil, 24*time.Hour, clk.t); got != 24 {
		t.Errorf("24h increase = %v, want 24", got)
	}
	if !s.LastSeen(reqs, []series.Matcher{{Name: "client", Value: "old"}}).IsZero() {
		t.Error("expired series still seen")
	}
}

func TestMaxSeriesOverflow(t *testing.T) {
	s, _ := newStore(t, series.Config{MaxSeries: 2})
	appendAll(t, s,
		counter(reqs, t0, 1, "client", "a"),
		counter(reqs, t0, 1, "client", "b"),
		counter(reqs, t0, 1, "client", "c"),
		counter(reqs, t0.Add(10*time.Second), 1, "client", "a"),
	)
	if s.SeriesCount() != 2 || s.Overflow() != 1 {
		t.Errorf("series %d overflow %d, want 2 and 1", s.SeriesCount(), s.Overflow())
	}
	if got := s.Increase(reqs, nil, time.Minute, t0.Add(10*time.Second)); got != 3 {
		t.Errorf("existing series still written: %v", got)
	}
}

func TestGauges(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	m := instrumentation.MetricActiveRequests
	appendAll(t, s,
		gauge(m, t0.Add(10*time.Second), 3, "route", "/a"),
		gauge(m, t0.Add(20*time.Second), 4, "route", "/a"),
		gauge(m, t0.Add(20*time.Second), 1, "route", "/b"),
	)
	now := t0.Add(20 * time.Second)
	v, at, ok := s.Last(m, nil, now)
	if !ok || v != 5 || !at.Equal(now) {
		t.Errorf("Last = %v %v %v, want 5 at %v", v, at, ok, now)
	}
	v, _, ok = s.Last(m, []series.Matcher{{Name: "route", Value: "/a"}}, t0.Add(10*time.Second))
	if !ok || v != 3 {
		t.Errorf("Last in the past = %v %v, want 3", v, ok)
	}
	if _, _, ok := s.Last(m, nil, now.Add(time.Hour)); ok {
		t.Error("stale gauge still reported")
	}
	groups := s.LastBy(m, nil, []string{"route"}, now)
	if len(groups) != 2 || groups[0].Value != 4 || groups[1].Value != 1 {
		t.Errorf("LastBy = %+v", groups)
	}
	pts := s.Range(m, nil, time.Minute, 10*time.Second, now)
	if len(pts) != 2 || pts[0].V != 3 || pts[1].V != 5 {
		t.Errorf("gauge range = %+v", pts)
	}
	if got := s.LastSeen(m, nil); !got.Equal(now) {
		t.Errorf("LastSeen = %v", got)
	}
}

func TestLastSeenIgnoresZeroDeltas(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	appendAll(t, s, counter(reqs, t0, 1), counter(reqs, t0.Add(10*time.Second), 0))
	if got := s.LastSeen(reqs, nil); !got.Equal(t0) {
		t.Errorf("LastSeen = %v, want %v", got, t0)
	}
	if got := s.LastSeen("never", nil); !got.IsZero() {
		t.Errorf("LastSeen of unknown = %v", got)
	}
}

func TestKindMismatchIsRejected(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	appendAll(t, s, counter(reqs, t0, 1), gauge(reqs, t0, 1))
	if s.Rejected() != 1 || s.SeriesCount() != 1 {
		t.Errorf("rejected %d series %d", s.Rejected(), s.SeriesCount())
	}
}

func TestAppendHonoursContext(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Append(ctx, []exporter.Sample{counter(reqs, t0, 1)}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestInvalidConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  series.Config
	}{
		{"a coarse step that is not a multiple of the step", series.Config{Step: 10 * time.Second, CoarseStep: 15 * time.Second}},
		{"a retention shorter than the fine retention", series.Config{Retention: 30 * time.Minute}},
		{"a negative series limit", series.Config{MaxSeries: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := series.New(tt.cfg); !errors.Is(err, series.ErrInvalidConfig) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestConcurrentAppendAndQuery(t *testing.T) {
	s, _ := newStore(t, series.Config{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 200 {
				at := t0.Add(time.Duration(i) * time.Second)
				_ = s.Append(context.Background(), []exporter.Sample{
					counter(reqs, at, 1, "w", string(rune('a'+w))),
					hist(at, []uint64{1, 0, 0, 0}, 0.05, "w", string(rune('a'+w))),
				})
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			s.Increase(reqs, []series.Matcher{{Name: "w", Type: series.MatchRegexp, Value: "a|b"}}, time.Hour, t0.Add(time.Hour))
			series.Quantile(0.9, s.Histogram(instrumentation.MetricRequestDuration, nil, time.Hour, t0.Add(time.Hour)))
		}
	})
	wg.Wait()
	if got := s.Increase(reqs, nil, 2*time.Hour, t0.Add(time.Hour)); got != 400 {
		t.Errorf("increase = %v, want 400", got)
	}
}

func TestHistogramIncreaseEqualsBucketSum(t *testing.T) {
	const max32 = math.MaxUint32
	tests := []struct {
		name   string
		writes [][]uint64 // per write into one step
		want   float64
	}{
		{"small counts add up", [][]uint64{{1, 2, 3, 4}, {5, 0, 0, 1}}, 16},
		{"a saturated bucket counts as its saturated value", [][]uint64{{max32 - 1, 1, 0, 0}, {5, 0, 0, 0}}, max32 + 1},
		{"a step count beyond 32 bits is still exact", [][]uint64{{max32 - 10, max32 - 10, 0, 0}}, 2*max32 - 20},
		{"a step count reaching exactly 32 bits is exact", [][]uint64{{max32 - 1, 1, 0, 0}}, max32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, c := newStore(t, series.Config{})
			at := t0.Add(10 * time.Second)
			c.t = at
			for _, counts := range tt.writes {
				if err := s.Append(context.Background(), []exporter.Sample{hist(at, counts, 1, "route", "/a")}); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.Increase(instrumentation.MetricRequestDuration, nil, time.Minute, at); got != tt.want {
				t.Errorf("Increase = %v, want %v", got, tt.want)
			}
			h := s.Histogram(instrumentation.MetricRequestDuration, nil, time.Minute, at)
			if float64(h.Count) != tt.want {
				t.Errorf("Histogram count = %v, want %v", h.Count, tt.want)
			}
		})
	}
}

func TestHistogramIncreaseMatchesBucketsOverAnyHistory(t *testing.T) {
	// Increase of a histogram reads cumulative counts; Histogram sums the
	// buckets step by step. Both must agree for every window after
	// in-order writes, gaps, jumps past the whole ring and late writes.
	tests := []struct {
		name  string
		moves []int // steps to advance before each write; negative: a late write
	}{
		{"in order", []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"with gaps", []int{1, 3, 1, 2, 5, 1, 1, 4}},
		{"jumping past the fine ring", []int{1, 1, 20, 1, 1, 45, 2}},
		{"jumping past the coarse ring", []int{1, 2, 200, 1, 1}},
		{"late writes", []int{1, 1, 1, -2, 1, -1, 3, -4, 1, -9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := series.Config{Step: 10 * time.Second, FineRetention: time.Minute, CoarseStep: 30 * time.Second,
				Retention: 5 * time.Minute}
			s, c := newStore(t, cfg)
			step := t0
			for i, mv := range tt.moves {
				at := step.Add(time.Duration(mv) * 10 * time.Second)
				if mv > 0 {
					step = at
				}
				c.t = step
				counts := []uint64{uint64(i + 1), uint64(2 * i), 1, uint64(i % 3)}
				appendAll(t, s, hist(at, counts, 1, "route", "/a"))
				for w := 10 * time.Second; w <= 6*time.Minute; w += 10 * time.Second {
					inc := s.Increase(instrumentation.MetricRequestDuration, nil, w, step)
					h := s.Histogram(instrumentation.MetricRequestDuration, nil, w, step)
					if inc != float64(h.Count) {
						t.Fatalf("after write %d, window %s: Increase %v, Histogram count %d", i, w, inc, h.Count)
					}
				}
			}
		})
	}
}

func TestLargeBatchesStoreLikeSmallOnes(t *testing.T) {
	// Large batches are written by two goroutines; the result must equal
	// that of the same samples appended in small batches, whatever the
	// mix of new and existing series, duplicates within a batch, counters
	// and histograms, and samples of the wrong kind.
	batch := func(step, offset int) []exporter.Sample {
		at := t0.Add(time.Duration(step) * 10 * time.Second)
		var out []exporter.Sample
		for i := range 3000 {
			route := "/r" + strconv.Itoa((i+offset)%1200)
			switch i % 3 {
			case 0:
				out = append(out, hist(at, []uint64{uint64(i % 5), 1, 0, uint64(step)}, 0.5, "route", route, "code", strconv.Itoa(i%7)))
			case 1:
				out = append(out, counter("requests", at, float64(i%4), "route", route))
			default:
				out = append(out, gauge("requests", at, 1, "route", route)) // wrong kind: rejected
			}
		}
		return out
	}
	large, _ := newStore(t, series.Config{MaxSeries: 2500})
	small, _ := newStore(t, series.Config{MaxSeries: 2500})
	for step, offset := range []int{0, 0, 700, 1900} {
		b := batch(step+1, offset)
		appendAll(t, large, b...)
		for i := 0; i < len(b); i += 100 {
			appendAll(t, small, b[i:min(i+100, len(b))]...)
		}
	}
	if large.SeriesCount() != small.SeriesCount() || large.Overflow() != small.Overflow() || large.Rejected() != small.Rejected() {
		t.Fatalf("series/overflow/rejected: large %d/%d/%d, small %d/%d/%d", large.SeriesCount(), large.Overflow(), large.Rejected(),
			small.SeriesCount(), small.Overflow(), small.Rejected())
	}
	if large.Overflow() == 0 || large.Rejected() == 0 {
		t.Fatalf("the batches should overflow and be partly rejected: overflow %d, rejected %d", large.Overflow(), large.Rejected())
	}
	now := t0.Add(40 * time.Second)
	for _, metric := range []string{instrumentation.MetricRequestDuration, "requests"} {
		a := large.IncreaseBy(metric, nil, []string{"route"}, time.Minute, now)
		b := small.IncreaseBy(metric, nil, []string{"route"}, time.Minute, now)
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%s: %d groups, want %d", metric, len(a), len(b))
		}
		for i := range a {
			if a[i].Labels["route"] != b[i].Labels["route"] || a[i].Value != b[i].Value {
				t.Fatalf("%s group %d: %v, want %v", metric, i, a[i], b[i])
			}
		}
	}
	ha := large.Histogram(instrumentation.MetricRequestDuration, nil, time.Minute, now)
	hb := small.Histogram(instrumentation.MetricRequestDuration, nil, time.Minute, now)
	if !equalU(ha.Counts, hb.Counts) || ha.Sum != hb.Sum {
		t.Fatalf("histogram %+v, want %+v", ha, hb)
	}
}
