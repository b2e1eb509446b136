package alerting_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

// fakeSource is a Source whose answers come from a function field, as a
// fleet-mode source's would from Prometheus.
type fakeSource struct {
	mu     sync.Mutex
	values func(rules []alerting.Rule) []alerting.Values
	calls  int
}

func (f *fakeSource) Values(_ context.Context, rules []alerting.Rule, _ time.Time) []alerting.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.values(rules)
}

func newSourceEnv(t *testing.T, cfg alerting.Config, src alerting.Source) *env {
	t.Helper()
	st := openStore(t, "")
	c := newClock()
	eng, err := alerting.New(cfg, alerting.Deps{Store: st, Source: src, Logger: quietLogger(), Now: c.Now})
	if err != nil {
		t.Fatalf("new engine: %v", err)
	}
	alerting.SetBackoff(eng, time.Millisecond)
	return &env{eng: eng, st: st, clock: c}
}

// TestAnySourceFeedsTheSameStateMachine evaluates a rule on samples shaped
// like a Prometheus query result of its value expression (the labels
// label_replace leaves, NaN for 0/0): the alerts are those the in-process
// source raises.
func TestAnySourceFeedsTheSameStateMachine(t *testing.T) {
	rule := errorRule(0, 0)
	rule.Route = "" // per route
	var (
		samples []alerting.Sample
		err     error
	)
	src := &fakeSource{values: func(rules []alerting.Rule) []alerting.Values {
		if len(rules) != 1 || rules[0].Name != rule.Name {
			t.Errorf("source asked for %+v", rules)
		}
		return []alerting.Values{{Samples: samples, Err: err}}
	}}
	e := newSourceEnv(t, noReceivers(rule), src)
	samples = []alerting.Sample{
		{Labels: map[string]string{"http_route": "/api/chat", "route": "/api/chat", "job": "vigil"}, Value: 0.5},
		{Labels: map[string]string{"http_route": "/api/login", "route": "/api/login"}, Value: 0.1},
		{Labels: map[string]string{"http_route": "/idle", "route": "/idle"}, Value: math.NaN()},
	}
	e.step(t, time.Second)
	as := e.active(t)
	if len(as) != 1 {
		t.Fatalf("active %+v, want one alert", as)
	}
	want := map[string]string{"alertname": "HighErrorRate", "severity": "critical", "team": "api", "route": "/api/chat"}
	if !equalMaps(as[0].Labels, want) {
		t.Errorf("labels %v, want %v: only the split label comes from the sample", as[0].Labels, want)
	}
	if as[0].Fingerprint != alerting.Fingerprint(want) {
		t.Error("fingerprint differs from the in-process alert's")
	}
	if rs := e.eng.Rules(); rs[0].LastValue != 0.5 || rs[0].Health != "ok" {
		t.Errorf("status %+v: NaN is no data, not a value", rs[0])
	}

	// A failed query is no data: the alert holds, the rule's health says why.
	err = errors.New("prometheus unreachable")
	samples = nil
	if got := e.eng.Evaluate(context.Background(), e.clock.Add(time.Second)); !errors.Is(got, err) {
		t.Fatalf("evaluate: %v, want the source's error", got)
	}
	if as := e.active(t); len(as) != 1 || as[0].State != store.StateFiring {
		t.Fatalf("a failed query changed the alert: %+v", as)
	}
	if rs := e.eng.Rules(); rs[0].Health != "err" || rs[0].LastError != "prometheus unreachable" {
		t.Errorf("status %+v", rs[0])
	}
	// Healthy again: the sample below the threshold resolves it.
	err = nil
	samples = []alerting.Sample{{Labels: map[string]string{"route": "/api/chat"}, Value: 0}}
	e.step(t, time.Second)
	if as := e.active(t); len(as) != 0 {
		t.Fatalf("active %+v, want resolved", as)
	}
	if h := e.history(t, as[0].ID); !slices.Equal(h, []string{"firing", "resolved"}) {
		t.Errorf("history %v", h)
	}
}

func TestASourceMustAnswerEveryRule(t *testing.T) {
	src := &fakeSource{values: func([]alerting.Rule) []alerting.Values { return nil }}
	e := newSourceEnv(t, noReceivers(errorRule(0, 0)), src)
	if err := e.eng.Evaluate(context.Background(), t0); !errors.Is(err, alerting.ErrEvaluation) {
		t.Errorf("evaluate with a short answer: %v", err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
