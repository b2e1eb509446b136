package alerting_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

func TestManyRulesEvaluateInOrderWithSharedQueries(t *testing.T) {
	// From 16 rules the queries run on two goroutines against the real
	// series store; every rule must still see its own result. Routes
	// /r/0 … /r/11 fail 50 % of requests when their number is even.
	c := newClock()
	ser, err := series.New(series.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	var samples []exporter.Sample
	for r := range 12 {
		for _, code := range []string{"200", "500"} {
			n := 10.0
			if code == "500" && r%2 == 1 {
				n = 0
			}
			samples = append(samples, exporter.Sample{Name: instrumentation.MetricRequestDuration, Kind: exporter.Histogram,
				Time: c.Now(), Attrs: []exporter.Attr{{Key: instrumentation.AttrRoute, Value: fmt.Sprintf("/r/%d", r)},
					{Key: instrumentation.AttrStatusCode, Value: code}},
				Bounds: []float64{1}, Counts: []uint64{uint64(n), 0}, Count: uint64(n), Sum: n / 10})
		}
	}
	if err := ser.Append(context.Background(), samples); err != nil {
		t.Fatal(err)
	}
	var rules []alerting.Rule
	for i := range 24 { // two rules per route: the error ratio twice, under two names
		r := errorRule(0, 0)
		r.Name, r.Route = fmt.Sprintf("Rule%02d", i), fmt.Sprintf("/r/%d", i%12)
		rules = append(rules, r)
	}
	e := newEnv(t, noReceivers(rules...), ser, nil, c)
	e.step(t, time.Second)
	var got []string
	for _, a := range e.active(t) {
		got = append(got, a.RuleName+" "+a.Labels["route"])
	}
	slices.Sort(got)
	var want []string
	for i := range 24 {
		if (i%12)%2 == 0 {
			want = append(want, fmt.Sprintf("Rule%02d /r/%d", i, i%12))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("firing %v, want %v", got, want)
	}
	for _, st := range e.eng.Rules() {
		route, err := strconv.Atoi(strings.TrimPrefix(st.Rule.Route, "/r/"))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]float64{true: 0.5, false: 0}[route%2 == 0]; st.LastValue != want {
			t.Errorf("%s on %s: value %v, want %v", st.Rule.Name, st.Rule.Route, st.LastValue, want)
		}
	}
}
