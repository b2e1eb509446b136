package alerting_test

import (
	"context"
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
)

// everyKind is one valid rule of every kind.
func everyKind() []alerting.Rule {
	w := alerting.Duration(5 * time.Minute)
	return []alerting.Rule{
		{Name: "Ratio", Kind: alerting.KindErrorRatio, Window: w, Threshold: 0.1, ResolveThreshold: new(0.05)},
		{Name: "Latency", Kind: alerting.KindLatencyQuantile, Route: "/api/chat", Quantile: 0.99, Window: w, Threshold: 2},
		{Name: "Rate", Kind: alerting.KindRequestRate, Method: "POST", Window: w, Threshold: 100},
		{Name: "Drop", Kind: alerting.KindRequestRateDrop, Window: w, Threshold: 0.5, ResolveThreshold: new(0.8), MinRate: 2},
		{Name: "Busy", Kind: alerting.KindSaturation, Metric: instrumentation.MetricActiveRequests, Threshold: 10},
		{Name: "Quiet", Kind: alerting.KindAbsent, Window: w},
		{Name: "Burn", Kind: alerting.KindSLOBurnRate, SLO: alerting.AllSLOs, LongWindow: alerting.Duration(time.Hour),
			ShortWindow: w, Factor: 14.4, ResolveThreshold: new(10.0)},
		{Name: "OwnBurn", Kind: alerting.KindSLOBurnRate, Route: "/api/chat", Objective: 0.99, LongWindow: alerting.Duration(time.Hour),
			ShortWindow: w, Factor: 6},
	}
}

func TestEveryKindIsOneTypeAnsweringForItself(t *testing.T) {
	names := []string{}
	for _, k := range alerting.Kinds() {
		names = append(names, k.Name())
	}
	want := []string{alerting.KindAbsent, alerting.KindErrorRatio, alerting.KindLatencyQuantile, alerting.KindRequestRate,
		alerting.KindRequestRateDrop, alerting.KindSaturation, alerting.KindSLOBurnRate}
	if !slices.Equal(names, want) {
		t.Fatalf("kinds %v, want %v", names, want)
	}
	cfg := noReceivers(everyKind()...)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range everyKind() {
		k, ok := r.KindOf()
		if !ok || k.Name() != r.Kind {
			t.Fatalf("%s: kind %v", r.Name, k)
		}
		seen[r.Kind] = true
	}
	if len(seen) != len(want) {
		t.Errorf("everyKind covers %d of %d kinds", len(seen), len(want))
	}
}

// TestAlertExprIsBuiltFromTheValueExpr is the fleet-mode promise: the
// exported condition contains, verbatim, the value expression a source
// evaluates, compared with the threshold on the kind's side.
func TestAlertExprIsBuiltFromTheValueExpr(t *testing.T) {
	cfg := noReceivers(everyKind()...)
	out, err := alerting.PrometheusRules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := alerting.New(cfg, alerting.Deps{Store: openStore(t, ""), Series: &fakeSeries{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range eng.Config().Rules {
		v := r.ValueExpr(alerting.PromQL{})
		expr := alerting.AlertExpr(&r, alerting.PromQL{})
		k, _ := r.KindOf()
		op := map[alerting.Direction]string{alerting.Above: " > ", alerting.Below: " < "}[k.Direction()]
		if !strings.HasPrefix(expr, v+op) && !strings.HasPrefix(expr, "("+v+")"+op) {
			t.Errorf("%s: condition %q does not start with its value %q compared%s", r.Name, expr, v, op)
		}
		if r.ResolveThreshold != nil && strings.Count(expr, v) != 2 {
			t.Errorf("%s: the hysteresis does not reuse the value expression: %s", r.Name, expr)
		}
		if r.ResolveThreshold != nil && !strings.Contains(expr, "on("+r.SplitBy()+") ALERTS{") {
			t.Errorf("%s: hysteresis not matched on %q: %s", r.Name, r.SplitBy(), expr)
		}
		if !strings.Contains(string(out), "alert: "+r.Name) {
			t.Errorf("%s is not exported", r.Name)
		}
	}
	promtool(t, out)
}

func TestPromQLOptionsShapeEverySelector(t *testing.T) {
	eng, err := alerting.New(noReceivers(everyKind()...), alerting.Deps{Store: openStore(t, ""), Series: &fakeSeries{}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	selector := regexp.MustCompile(`[a-z_]+(\{[^}]*\})?\[`)
	for _, r := range eng.Config().Rules {
		p := alerting.PromQL{Matchers: []string{`job="vigil"`}, Range: "$__rate_interval"}
		v := r.ValueExpr(p)
		for _, m := range selector.FindAllStringSubmatch(v, -1) {
			if !strings.Contains(m[1], `job="vigil"`) {
				t.Errorf("%s: selector %q lacks the extra matcher in %s", r.Name, m[0], v)
			}
		}
		if r.Kind == alerting.KindSaturation && !strings.Contains(v, `{job="vigil"}`) {
			t.Errorf("%s: %s lacks the extra matcher", r.Name, v)
		}
		if regexp.MustCompile(`\[\d+[smhd]\]`).MatchString(v) {
			t.Errorf("%s: a window survived the range override: %s", r.Name, v)
		}
	}
}

// drop is a series store where /api/chat serves perSecond[i] requests a
// second during minute i and /api/public a steady 0.5.
func dropSeries(t *testing.T, c *clock, perSecond []float64) *series.Store {
	t.Helper()
	ser, err := series.New(series.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	for _, rate := range perSecond {
		for range 6 { // 10 s steps
			now := c.Add(10 * time.Second)
			var samples []exporter.Sample
			for route, n := range map[string]float64{"/api/chat": rate * 10, "/api/public": 5} {
				samples = append(samples, exporter.Sample{Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram,
					Time: now, Attrs: []exporter.Attr{{Key: instrumentation.AttrRoute, Value: route}, {Key: instrumentation.AttrStatusCode, Value: "200"}},
					Bounds: []float64{1}, Counts: []uint64{uint64(n), 0}, Count: uint64(n), Sum: n / 10})
			}
			if err := ser.Append(context.Background(), samples); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ser
}

func TestRequestRateDropFiresWhenTrafficFallsOffACliff(t *testing.T) {
	rule := alerting.Rule{Name: "TrafficDrop", Kind: alerting.KindRequestRateDrop, Window: alerting.Duration(5 * time.Minute),
		Threshold: 0.2, ResolveThreshold: new(0.5), MinRate: 1, Severity: "warning",
		Annotations: map[string]string{"summary": "{{ .Labels.route }} at {{ humanizePercentage .Value }}"}}
	tests := []struct {
		name      string
		perSecond []float64 // requests a second to /api/chat, one entry per minute
		want      string    // the alert's state, "" for none
		value     float64
	}{
		{"steady traffic does not fire", slices.Repeat([]float64{10}, 10), "", 0},
		{"traffic at a tenth of the window before fires", append(slices.Repeat([]float64{10}, 5), slices.Repeat([]float64{1}, 5)...),
			store.StateFiring, 0.1},
		{"traffic at a third does not fire", append(slices.Repeat([]float64{9}, 5), slices.Repeat([]float64{3}, 5)...), "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			ser := dropSeries(t, c, tt.perSecond)
			e := newEnv(t, noReceivers(rule), ser, nil, c)
			e.step(t, 0)
			got := e.active(t)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("alerts %+v, want none", got)
				}
				return
			}
			// /api/public (0.5/s) is under min_rate: never a baseline.
			if len(got) != 1 || got[0].Labels["route"] != "/api/chat" || got[0].State != tt.want {
				t.Fatalf("alerts %+v, want one %s on /api/chat", got, tt.want)
			}
			if math.Abs(got[0].Value-tt.value) > 1e-9 {
				t.Errorf("value %v, want %v", got[0].Value, tt.value)
			}
			if s := got[0].Annotations["summary"]; s != "/api/chat at 10%" {
				t.Errorf("summary %q", s)
			}
		})
	}
}

func TestBelowKindsResolveAboveTheirResolveThreshold(t *testing.T) {
	// A rule that fires below its threshold keeps firing until the value
	// rises above resolve_threshold.
	rule := alerting.Rule{Name: "Drop", Kind: alerting.KindRequestRateDrop, Window: alerting.Duration(time.Minute),
		Threshold: 0.2, ResolveThreshold: new(0.5)}
	value := 0.1
	src := &fakeSource{values: func(rules []alerting.Rule) []alerting.Values {
		return []alerting.Values{{Samples: []alerting.Sample{{Labels: map[string]string{"route": "/x"}, Value: value}}}}
	}}
	e := newSourceEnv(t, noReceivers(rule), src)
	var states []string
	for _, v := range []float64{0.1, 0.3, 0.45, 0.6} {
		value = v
		e.step(t, time.Second)
		st := ""
		if as := e.active(t); len(as) == 1 {
			st = as[0].State
		}
		states = append(states, st)
	}
	if want := []string{"firing", "firing", "firing", ""}; !slices.Equal(states, want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if _, err := alerting.ParseConfig([]byte("rules:\n  - {name: D, kind: request_rate_drop, window: 5m, threshold: 0.5, resolve_threshold: 0.4}\n")); err == nil ||
		!strings.Contains(err.Error(), "rules[0].resolve_threshold: must be > threshold") {
		t.Errorf("a resolve threshold on the firing side: %v", err)
	}
}

func TestKindValidation(t *testing.T) {
	tests := []struct{ name, rule, want string }{
		{"a drop is a fraction", "{name: D, kind: request_rate_drop, window: 5m, threshold: 1.5}", "rules[0].threshold: must be > 0 and < 1"},
		{"a drop's window fits twice in the retention", "{name: D, kind: request_rate_drop, window: 13h, threshold: 0.5}", "rules[0].window: must be at most 12h"},
		{"min_rate is not negative", "{name: D, kind: request_rate_drop, window: 5m, threshold: 0.5, min_rate: -1}", "rules[0].min_rate"},
		{"slo names a known SLO", "{name: B, kind: slo_burn_rate, slo: nope, long_window: 1h, short_window: 5m, factor: 2}", `rules[0].slo: unknown SLO "nope"`},
		{"an SLO's rule takes no objective", "{name: B, kind: slo_burn_rate, slo: '*', objective: 0.9, long_window: 1h, short_window: 5m, factor: 2}", "rules[0].objective: set by the SLO"},
		{"an SLO's rule sets no slo label", "{name: B, kind: slo_burn_rate, slo: api, labels: {slo: x}, long_window: 1h, short_window: 5m, factor: 2}", "rules[0].labels: slo is set from the SLO"},
		{"absent has no resolve threshold", "{name: A, kind: absent, window: 5m, resolve_threshold: 3}", "rules[0].resolve_threshold: not used by absent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alerting.ParseConfig([]byte("rules:\n  - " + tt.rule + "\n"))
			if !errors.Is(err, alerting.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	cfg, err := alerting.ParseConfig([]byte("rules:\n  - {name: B, kind: slo_burn_rate, slo: api, long_window: 1h, short_window: 5m, factor: 2}\n"))
	if err != nil || cfg.Rules[0].SplitBy() != alerting.LabelSLO {
		t.Errorf("a rule on one default SLO: %v", err)
	}
}

func TestBurnRatesPerSLO(t *testing.T) {
	// 10 % of /api/chat (the API family) and 2 % of /api/alerts (management)
	// fail: burn rates 100 (budget 0.001) and 2 (budget 0.01).
	ratios := map[string]float64{"/api/chat": 0.1, "/api/alerts": 0.02, "/health": 1}
	q := &fakeSeries{increase: func(_ string, ms []series.Matcher, _ time.Duration) float64 {
		var total, errs float64
		for route, ratio := range ratios {
			if matchRoute(ms, route) {
				total += 100
				errs += 100 * ratio
			}
		}
		if isErrors(ms) {
			return errs
		}
		return total
	}}
	rule := alerting.DefaultRules()[len(alerting.DefaultRules())-1] // SLOBurnRateSlow, factor 1
	e := newEnv(t, noReceivers(rule), q, nil, nil)
	e.step(t, time.Second)
	got := map[string]float64{}
	for _, a := range e.active(t) {
		got[a.Labels["slo"]] = a.Value
		if a.Annotations["description"] != "Availability SLO "+a.Labels["slo"]+": burn rate above 1 over 3d and 6h." {
			t.Errorf("description %q", a.Annotations["description"])
		}
	}
	if math.Abs(got["api"]-100) > 1e-9 || math.Abs(got["management"]-2) > 1e-9 || len(got) != 2 {
		t.Errorf("burn rates %v, want api 100 and management 2 (probes count for neither)", got)
	}
}

// matchRoute applies the route matchers of ms to route.
func matchRoute(ms []series.Matcher, route string) bool {
	for _, m := range ms {
		if m.Name != instrumentation.AttrRoute {
			continue
		}
		re := regexp.MustCompile("^(?:" + m.Value + ")$")
		switch m.Type {
		case series.MatchEqual:
			if route != m.Value {
				return false
			}
		case series.MatchRegexp:
			if !re.MatchString(route) {
				return false
			}
		case series.MatchNotRegexp:
			if re.MatchString(route) {
				return false
			}
		}
	}
	return true
}
