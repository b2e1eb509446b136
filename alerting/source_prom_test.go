package alerting_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

// promQuerier is a PromQuerier answering from a function field and
// recording every query with its time.
type promQuerier struct {
	mu      sync.Mutex
	queries map[string]int
	at      []time.Time
	answer  func(q string) (model.Vector, error)
}

func (p *promQuerier) Query(_ context.Context, q string, ts time.Time) (model.Vector, error) {
	p.mu.Lock()
	if p.queries == nil {
		p.queries = map[string]int{}
	}
	p.queries[q]++
	p.at = append(p.at, ts)
	answer := p.answer
	p.mu.Unlock()
	if answer == nil {
		return model.Vector{}, nil
	}
	return answer(q)
}

// exportedExprs reads the alert expressions of a rule file.
func exportedExprs(t *testing.T, out []byte) map[string]string {
	t.Helper()
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(out, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			m[r.Alert] = r.Expr
		}
	}
	return m
}

// condition is what is left of an exported expression once its value
// expression is replaced by V: the comparison, and the ALERTS hysteresis.
var condition = regexp.MustCompile(`^\(?V\)? [<>] [0-9.e+-]+(\nor\n\(\(?V\)? [<>]= [0-9.e+-]+ and on\([a-z_]*\) ALERTS\{alertname="[A-Za-z]+", alertstate="firing"\}\))?$`)

// TestPromSourceQueriesWhatRulesExportWrites: the fleet-mode leader
// queries, for every rule of every kind, exactly the value expression of
// the rule `vigil rules export` writes with the same extra matchers, and
// nothing else.
func TestPromSourceQueriesWhatRulesExportWrites(t *testing.T) {
	cfg := noReceivers(everyKind()...)
	eng, err := alerting.New(cfg, alerting.Deps{Store: openStore(t, ""), Series: &fakeSeries{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	rules := eng.Config().Rules
	q := &promQuerier{}
	src := alerting.NewPromSource(q, []string{`job="vigil"`, `env=~"prod|staging"`})
	vals := src.Values(t.Context(), rules, t0)
	if len(vals) != len(rules) {
		t.Fatalf("%d values for %d rules", len(vals), len(rules))
	}
	out, err := alerting.PrometheusRulesFor(cfg, src.PromQL())
	if err != nil {
		t.Fatal(err)
	}
	promtool(t, out)
	exported := exportedExprs(t, out)
	asked := map[string]int{}
	for _, r := range rules {
		v := src.Expr(&r)
		asked[v]++
		if q.queries[v] == 0 {
			t.Errorf("%s: %s was not queried", r.Name, v)
		}
		if !strings.Contains(v, `job="vigil"`) {
			t.Errorf("%s: the query lacks the extra matchers: %s", r.Name, v)
		}
		expr, ok := exported[r.Name]
		if !ok {
			t.Fatalf("%s is not exported", r.Name)
		}
		if rest := strings.ReplaceAll(expr, v, "V"); !condition.MatchString(rest) {
			t.Errorf("%s: the exported rule is not the queried value compared with its threshold:\nqueried:  %s\nexported: %s\nleft:     %q",
				r.Name, v, expr, rest)
		}
	}
	for qs, n := range q.queries {
		if n != asked[qs] {
			t.Errorf("queried %d times, asked by %d rules: %s", n, asked[qs], qs)
		}
	}
	for _, at := range q.at {
		if !at.Equal(t0) {
			t.Errorf("queried at %s, want the cycle's time %s", at, t0)
		}
	}
}

func TestPromSourceSamplesAndErrors(t *testing.T) {
	rules := []alerting.Rule{errorRule(0, 0), errorRule(0, 0)}
	rules[1].Name, rules[1].Route = "PerRoute", ""
	cfg := noReceivers(rules...)
	eng, err := alerting.New(cfg, alerting.Deps{Store: openStore(t, ""), Series: &fakeSeries{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	rules = eng.Config().Rules
	down := errors.New("prometheus unreachable: connection refused")
	var src *alerting.PromSource
	q := &promQuerier{answer: func(qs string) (model.Vector, error) {
		if qs == src.Expr(&rules[0]) {
			return nil, down
		}
		return model.Vector{
			{Metric: model.Metric{"route": "/api/chat", "http_route": "/api/chat", "__name__": "x"}, Value: 0.5},
			{Metric: model.Metric{"route": "/api/login", "http_route": "/api/login"}, Value: model.SampleValue(0)},
		}, nil
	}}
	src = alerting.NewPromSource(q, nil)
	vals := src.Values(t.Context(), rules, t0)
	if !errors.Is(vals[0].Err, down) || vals[0].Samples != nil {
		t.Errorf("a failed query: %+v, want its error and no samples", vals[0])
	}
	if vals[1].Err != nil || len(vals[1].Samples) != 2 {
		t.Fatalf("values %+v", vals[1])
	}
	if s := vals[1].Samples[0]; s.Value != 0.5 || len(s.Labels) != 2 || s.Labels["route"] != "/api/chat" {
		t.Errorf("sample %+v: the series' labels without __name__", s)
	}
}

// TestAFailedQueryRestartsTheNoDataHold: Prometheus down for longer than
// the no-data hold resolves nothing, and neither do the gap-filled answers
// of the first cycles after it returns (no sample yet): the hold counts
// from the last failure.
func TestAFailedQueryRestartsTheNoDataHold(t *testing.T) {
	var (
		mu     sync.Mutex
		answer = model.Vector{{Metric: model.Metric{"route": "/api/chat"}, Value: 0.5}}
		fail   error
	)
	q := &promQuerier{answer: func(string) (model.Vector, error) {
		mu.Lock()
		defer mu.Unlock()
		return answer, fail
	}}
	set := func(v model.Vector, err error) {
		mu.Lock()
		defer mu.Unlock()
		answer, fail = v, err
	}
	e := newSourceEnv(t, noReceivers(errorRule(0, 0)), alerting.NewPromSource(q, nil))
	e.step(t, time.Second)
	if as := e.active(t); len(as) != 1 || as[0].State != store.StateFiring {
		t.Fatalf("active %+v, want firing", as)
	}
	// Down for 2 minutes (the hold is the 30s window).
	set(nil, errors.New("prometheus unreachable"))
	for range 24 {
		if err := e.eng.Evaluate(context.Background(), e.clock.Add(5*time.Second)); err == nil {
			t.Fatal("evaluate with Prometheus down: no error")
		}
		if as := e.active(t); len(as) != 1 || as[0].State != store.StateFiring {
			t.Fatalf("a failed query changed the alert: %+v", as)
		}
	}
	if rs := e.eng.Rules(); rs[0].Health != "err" || rs[0].LastError != "prometheus unreachable" {
		t.Errorf("status %+v", rs[0])
	}
	// Back, but the window has a gap: no sample for 25s, still firing.
	set(model.Vector{}, nil)
	for range 5 {
		e.step(t, 5*time.Second)
		if as := e.active(t); len(as) != 1 {
			t.Fatalf("resolved at t0+%s: within the hold after Prometheus returned", e.clock.Now().Sub(t0))
		}
	}
	if rs := e.eng.Rules(); rs[0].Health != "ok" {
		t.Errorf("health %q once queries succeed", rs[0].Health)
	}
	// A whole hold without data after the failure: no data resolves it.
	e.step(t, 5*time.Second)
	as, err := e.st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].State != store.StateResolved {
		t.Fatalf("alerts %+v, want resolved after the hold", as)
	}
}
