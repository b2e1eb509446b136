package instrumentation_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
)

// defaultHarness is an app on Setup's default sampler (no WithSampler, no
// OTEL_TRACES_SAMPLER unless the test sets it).
func defaultHarness(t *testing.T, opts ...instrumentation.Option) (*tracetest.SpanRecorder, http.Handler) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	base := []instrumentation.Option{
		instrumentation.WithoutRuntimeMetrics(), instrumentation.WithoutHostMetrics(), instrumentation.WithoutGlobalProviders(),
		instrumentation.WithSpanProcessor(rec),
	}
	tel, err := instrumentation.Setup(context.Background(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return rec, newApp(tel.MiddlewareConfig())
}

const unsampledParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"

func TestDefaultSampler(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	tests := []struct {
		name        string
		target      string
		traceparent string
		requests    int
		min, max    int // ended spans
		upgraded    bool
		// clockStep advances the rate limiter's clock at each sampled
		// candidate; 0 keeps every request in the same instant.
		clockStep time.Duration
	}{
		{"a tenth of successful root requests is sampled", "/api/users/1", "", 2000, 120, 290, false, time.Second},
		{"at most DefaultMaxTracesPerSecond root traces per second", "/api/users/1", "", 2000,
			instrumentation.DefaultMaxTracesPerSecond, instrumentation.DefaultMaxTracesPerSecond, false, 0},
		// ~400 candidates 50 ms apart (20 s): 10 in the burst and 10 per
		// second after, about half of them.
		{"twenty candidates per second are capped at ten", "/api/users/1", "", 4000, 140, 280, false, 50 * time.Millisecond},
		{"every request ending in a 5xx gets a sampled server span", "/api/broken", "", 200, 200, 200, true, 0},
		{"every 503 HTTPError gets a sampled server span", "/api/unavailable", "", 100, 100, 100, true, 0},
		{"every panicking request gets a sampled server span", "/api/panic", "", 100, 100, 100, true, 0},
		{"a failing request under an unsampled parent gets one, child of that parent", "/api/broken", unsampledParent, 20, 20, 20, true, 0},
		{"a successful request under an unsampled parent is not sampled", "/api/users/1", unsampledParent, 50, 0, 0, false, 0},
		{"a 4xx is an ordinary outcome, not upgraded", "/api/teapot", unsampledParent, 50, 0, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			restore := instrumentation.SetSamplerClock(func() time.Time {
				now = now.Add(tt.clockStep)
				return now
			})
			rec, app := defaultHarness(t)
			restore()
			traceIDs := map[string]bool{}
			for range tt.requests {
				req := httptest.NewRequest(http.MethodGet, tt.target, nil)
				if tt.traceparent != "" {
					req.Header.Set("Traceparent", tt.traceparent)
				}
				w := httptest.NewRecorder()
				app.ServeHTTP(w, req)
				traceIDs[w.Header().Get(instrumentation.HeaderTraceID)] = true
			}
			spans := rec.Ended()
			if len(spans) < tt.min || len(spans) > tt.max {
				t.Fatalf("%d spans for %d requests, want %d..%d", len(spans), tt.requests, tt.min, tt.max)
			}
			for _, s := range spans {
				if !s.SpanContext().IsSampled() || s.SpanKind() != trace.SpanKindServer {
					t.Errorf("span %s: sampled %v kind %v", s.Name(), s.SpanContext().IsSampled(), s.SpanKind())
				}
				if !traceIDs[s.SpanContext().TraceID().String()] {
					t.Errorf("span trace ID %s is not an X-Trace-Id the client got", s.SpanContext().TraceID())
				}
				if tt.upgraded && s.Status().Code != codes.Error {
					t.Errorf("upgraded span status = %v, want Error", s.Status())
				}
				if tt.traceparent != "" && s.Parent().SpanID().String() != "00f067aa0ba902b7" {
					t.Errorf("parent = %s, want the remote parent", s.Parent().SpanID())
				}
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	restore := instrumentation.SetSamplerClock(func() time.Time { return now })
	defer restore()
	params := func() sdktrace.SamplingParameters {
		return sdktrace.SamplingParameters{ParentContext: context.Background(), TraceID: trace.TraceID{1}, Name: "GET /"}
	}
	count := func(s sdktrace.Sampler, n int) int {
		sampled := 0
		for range n {
			if s.ShouldSample(params()).Decision == sdktrace.RecordAndSample {
				sampled++
			}
		}
		return sampled
	}

	s := instrumentation.RateLimited(sdktrace.AlwaysSample(), 3)
	if got := count(s, 100); got != 3 {
		t.Errorf("one instant: %d sampled, want the burst of 3", got)
	}
	now = now.Add(time.Second)
	if got := count(s, 100); got != 3 {
		t.Errorf("a second later: %d sampled, want 3", got)
	}
	if d := s.Description(); d != "RateLimited{3/s,AlwaysOnSampler}" {
		t.Errorf("Description = %q", d)
	}

	never := instrumentation.RateLimited(sdktrace.NeverSample(), 3)
	if got := count(never, 10); got != 0 {
		t.Errorf("a dropping base sampled %d", got)
	}
	for _, rate := range []float64{0, -1, math.NaN()} {
		if got := count(instrumentation.RateLimited(sdktrace.AlwaysSample(), rate), 10); got != 0 {
			t.Errorf("rate %v: %d sampled, want none", rate, got)
		}
	}
}

func TestSlowRequestsGetASampledSpan(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	c := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), step: 1500 * time.Millisecond}
	defer instrumentation.SetClock(c.now)()
	rec, app := defaultHarness(t)
	req := httptest.NewRequest(http.MethodGet, "/api/users/1", nil)
	req.Header.Set("Traceparent", unsampledParent)
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans for a slow request, want 1", len(spans))
	}
	if got := spans[0].StartTime(); !got.Equal(c.t.Add(-1500 * time.Millisecond)) {
		t.Errorf("late span starts at %v, want the request's start %v", got, c.t.Add(-1500*time.Millisecond))
	}
	if got, want := spans[0].SpanContext().TraceID().String(), w.Header().Get(instrumentation.HeaderTraceID); got != want {
		t.Errorf("trace ID %s, X-Trace-Id %s", got, want)
	}
}

func TestUserSamplerWins(t *testing.T) {
	t.Run("OTEL_TRACES_SAMPLER=always_off records no span, not even for a 5xx", func(t *testing.T) {
		t.Setenv("OTEL_TRACES_SAMPLER", "always_off")
		rec, app := defaultHarness(t)
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/broken", nil))
		if n := len(rec.Ended()); n != 0 {
			t.Errorf("%d spans, want 0", n)
		}
	})
	t.Run("WithSampler without ForceSampling decides on late spans too", func(t *testing.T) {
		t.Setenv("OTEL_TRACES_SAMPLER", "")
		rec, app := defaultHarness(t, instrumentation.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/broken", nil))
		if n := len(rec.Ended()); n != 0 {
			t.Errorf("%d spans, want 0", n)
		}
	})
	t.Run("WithSampler(ForceSampling(...)) keeps the guarantee", func(t *testing.T) {
		t.Setenv("OTEL_TRACES_SAMPLER", "")
		rec, app := defaultHarness(t, instrumentation.WithSampler(instrumentation.ForceSampling(sdktrace.ParentBased(sdktrace.NeverSample()))))
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/api/broken", nil))
		if n := len(rec.Ended()); n != 1 {
			t.Errorf("%d spans, want 1", n)
		}
	})
}

type spanRecords struct {
	mu   sync.Mutex
	recs []exporter.SpanRecord
}

func (s *spanRecords) RecordSpans(_ context.Context, recs []exporter.SpanRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recs = append(s.recs, recs...)
}

// Alerts link to traces through exporter.Spans: an unsampled failing
// request must reach it as an error record with the client's trace ID.
func TestUnsampledErrorsReachVigilsSpanExporter(t *testing.T) {
	t.Setenv("OTEL_TRACES_SAMPLER", "")
	sink := &spanRecords{}
	spans := exporter.NewSpans(sink)
	_, app := defaultHarness(t, instrumentation.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(spans)))
	req := httptest.NewRequest(http.MethodGet, "/api/broken", nil)
	req.Header.Set("Traceparent", unsampledParent)
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	if err := spans.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.recs) != 1 {
		t.Fatalf("%d span records, want 1", len(sink.recs))
	}
	r := sink.recs[0]
	if r.Kind != exporter.SpanKindError || r.Status != http.StatusInternalServerError || r.Route != "/api/broken" ||
		r.TraceID != w.Header().Get(instrumentation.HeaderTraceID) {
		t.Errorf("record = %+v, want an error record of /api/broken with trace ID %s", r, w.Header().Get(instrumentation.HeaderTraceID))
	}
}
