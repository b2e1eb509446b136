package alerting_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
)

var _ alerting.Querier = (*series.Store)(nil)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// fakeSeries is a Querier whose answers come from function fields; nil
// fields answer "no data".
type fakeSeries struct {
	increase    func(metric string, ms []series.Matcher, window time.Duration) float64
	increaseBy  func(metric string, ms []series.Matcher, by []string, window time.Duration) []series.Group
	histogram   func(metric string, ms []series.Matcher, window time.Duration) series.Histogram
	histogramBy func(metric string, ms []series.Matcher, by []string, window time.Duration) []series.Histogram
	last        func(metric string, ms []series.Matcher) (float64, bool)
	lastSeen    func(metric string, ms []series.Matcher) time.Time
}

func (f *fakeSeries) Increase(m string, ms []series.Matcher, w time.Duration, _ time.Time) float64 {
	if f.increase == nil {
		return 0
	}
	return f.increase(m, ms, w)
}

func (f *fakeSeries) IncreaseBy(m string, ms []series.Matcher, by []string, w time.Duration, _ time.Time) []series.Group {
	if f.increaseBy == nil {
		return nil
	}
	return f.increaseBy(m, ms, by, w)
}

func (f *fakeSeries) Histogram(m string, ms []series.Matcher, w time.Duration, _ time.Time) series.Histogram {
	if f.histogram == nil {
		return series.Histogram{}
	}
	return f.histogram(m, ms, w)
}

func (f *fakeSeries) HistogramBy(m string, ms []series.Matcher, by []string, w time.Duration, _ time.Time) []series.Histogram {
	if f.histogramBy == nil {
		return nil
	}
	return f.histogramBy(m, ms, by, w)
}

func (f *fakeSeries) Last(m string, ms []series.Matcher, _ time.Time) (float64, time.Time, bool) {
	if f.last == nil {
		return 0, time.Time{}, false
	}
	v, ok := f.last(m, ms)
	return v, t0, ok
}

func (f *fakeSeries) LastSeen(m string, ms []series.Matcher) time.Time {
	if f.lastSeen == nil {
		return time.Time{}
	}
	return f.lastSeen(m, ms)
}

func isErrors(ms []series.Matcher) bool {
	return slices.ContainsFunc(ms, func(m series.Matcher) bool { return m.Name == instrumentation.AttrStatusCode })
}

// ratioSeries answers error_ratio queries with *ratio (out of 100 requests).
func ratioSeries(ratio *float64) *fakeSeries {
	return &fakeSeries{increase: func(_ string, ms []series.Matcher, _ time.Duration) float64 {
		if isErrors(ms) {
			return 100 * *ratio
		}
		return 100
	}}
}

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "vigil.db")
	}
	st, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// errorRule is a rule on one route firing above 0.2, resolving below 0.1.
func errorRule(forD, keep time.Duration) alerting.Rule {
	return alerting.Rule{
		Name: "HighErrorRate", Kind: alerting.KindErrorRatio, Route: "/api/chat",
		Window: alerting.Duration(30 * time.Second), Threshold: 0.2,
		For: alerting.Duration(forD), KeepFiringFor: alerting.Duration(keep), Severity: "critical",
		Labels:      map[string]string{"team": "api"},
		Annotations: map[string]string{"summary": "Error ratio {{ .Value }} on {{ .Labels.route }}"},
	}
}

type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	payloads []alerting.WebhookPayload
	status   []int // statuses to answer in order; then 200
}

func newHook(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p alerting.WebhookPayload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			t.Errorf("decode webhook: %v", err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.status) > 0 {
			code := h.status[0]
			h.status = h.status[1:]
			w.WriteHeader(code)
			return
		}
		h.payloads = append(h.payloads, p)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookServer) got() []alerting.WebhookPayload {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.payloads)
}

func webhookConfig(url string, rules ...alerting.Rule) alerting.Config {
	return alerting.Config{
		EvaluationInterval: alerting.Duration(time.Second),
		ExternalURL:        "http://vigil.test",
		Rules:              rules,
		Receivers:          []alerting.Receiver{{Name: "ops", Webhook: &alerting.WebhookConfig{URL: url}}},
		Route: alerting.Route{Receiver: "ops", GroupBy: []string{"alertname", "route"},
			GroupWait: alerting.Duration(0), GroupInterval: alerting.Duration(5 * time.Second),
			RepeatInterval: alerting.Duration(time.Hour)},
	}
}

type env struct {
	eng   *alerting.Engine
	st    store.Store
	clock *clock
}

func newEnv(t *testing.T, cfg alerting.Config, q alerting.Querier, st store.Store, c *clock) *env {
	t.Helper()
	if st == nil {
		st = openStore(t, "")
	}
	if c == nil {
		c = newClock()
	}
	eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: q, Logger: quietLogger(), Now: c.Now,
		Traces: traces{"/api/chat": "4bf92f3577b34da6a3ce929d0e0e4736"}})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	alerting.SetBackoff(eng, time.Millisecond)
	return &env{eng: eng, st: st, clock: c}
}

// step advances the clock and evaluates once, waiting for notifications.
func (e *env) step(t *testing.T, d time.Duration) {
	t.Helper()
	now := e.clock.Add(d)
	if err := e.eng.Evaluate(context.Background(), now); err != nil {
		t.Fatalf("evaluate at %s: %v", now.Sub(t0), err)
	}
	alerting.WaitIdle(e.eng)
}

func (e *env) active(t *testing.T) []store.Alert {
	t.Helper()
	as, err := e.st.ListAlerts(context.Background(), store.AlertFilter{ActiveOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (e *env) history(t *testing.T, id string) []string {
	t.Helper()
	evs, err := e.st.ListAlertEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range evs {
		kinds = append(kinds, ev.Kind)
	}
	return kinds
}

type traces map[string]string

func (tr traces) LatestTraceID(route string) (string, bool) {
	id, ok := tr[route]
	return id, ok
}
