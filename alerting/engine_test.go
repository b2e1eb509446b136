package alerting_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

func TestStateMachine(t *testing.T) {
	hyst := errorRule(0, 0)
	hyst.ResolveThreshold = new(0.1)
	tests := []struct {
		name    string
		rule    alerting.Rule
		ratios  []float64 // one evaluation per second
		states  []string  // active state after each evaluation ("" = none)
		history []string  // of the first alert
	}{
		{"pending becomes firing once for has elapsed", errorRule(2*time.Second, 0),
			[]float64{0.5, 0.5, 0.5, 0.5}, []string{"pending", "pending", "firing", "firing"},
			[]string{"pending", "firing"}},
		{"pending goes back to inactive when the condition clears", errorRule(3*time.Second, 0),
			[]float64{0.5, 0.5, 0.0, 0.0}, []string{"pending", "pending", "", ""},
			[]string{"pending", "resolved"}},
		{"for zero fires immediately and resolves when the condition clears", errorRule(0, 0),
			[]float64{0.5, 0.0}, []string{"firing", ""},
			[]string{"firing", "resolved"}},
		{"keep_firing_for holds a firing alert after the condition clears", errorRule(0, 2*time.Second),
			[]float64{0.5, 0, 0, 0}, []string{"firing", "firing", "firing", ""},
			[]string{"firing", "resolved"}},
		{"keep_firing_for restarts when the condition returns", errorRule(0, 2*time.Second),
			[]float64{0.5, 0, 0.5, 0, 0, 0}, []string{"firing", "firing", "firing", "firing", "firing", ""},
			[]string{"firing", "resolved"}},
		{"resolve_threshold keeps firing until the value drops below it", hyst,
			[]float64{0.5, 0.15, 0.15, 0.05}, []string{"firing", "firing", "firing", ""},
			[]string{"firing", "resolved"}},
		{"below threshold without history never alerts", errorRule(0, 0),
			[]float64{0.1, 0.2}, []string{"", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ratio := 0.0
			e := newEnv(t, noReceivers(tt.rule), ratioSeries(&ratio), nil, nil)
			var first string
			for i, r := range tt.ratios {
				ratio = r
				e.step(t, time.Second)
				as := e.active(t)
				got := ""
				if len(as) > 0 {
					got = as[0].State
					if first == "" {
						first = as[0].ID
					}
				}
				if len(as) > 1 {
					t.Fatalf("step %d: %d active alerts, want at most 1", i, len(as))
				}
				if got != tt.states[i] {
					t.Fatalf("step %d (ratio %v): state %q, want %q", i, r, got, tt.states[i])
				}
			}
			if first == "" {
				if tt.history != nil {
					t.Fatal("no alert was created")
				}
				return
			}
			if h := e.history(t, first); !slices.Equal(h, tt.history) {
				t.Errorf("history %v, want %v", h, tt.history)
			}
		})
	}
}

func noReceivers(rules ...alerting.Rule) alerting.Config {
	cfg := webhookConfig("", rules...)
	cfg.Receivers, cfg.Route.Receiver = nil, ""
	return cfg
}

func TestRestartRestoresPendingTimerAndFiringAlert(t *testing.T) {
	ratio := 0.5
	path := t.TempDir() + "/vigil.db"
	st := openStore(t, path)
	c := newClock()
	cfg := noReceivers(errorRule(3*time.Second, 0))
	e := newEnv(t, cfg, ratioSeries(&ratio), st, c)
	e.step(t, time.Second) // pending since t0+1s
	e.step(t, time.Second)
	st.Close()

	// A new process: new store handle, new engine, same database file.
	st2 := openStore(t, path)
	e2 := newEnv(t, cfg, ratioSeries(&ratio), st2, c)
	e2.step(t, time.Second) // t0+3s: 2s pending, not yet
	if as := e2.active(t); len(as) != 1 || as[0].State != store.StatePending {
		t.Fatalf("after restart: %+v, want one pending alert", as)
	}
	e2.step(t, time.Second) // t0+4s: for (3s) elapsed since t0+1s
	as := e2.active(t)
	if len(as) != 1 || as[0].State != store.StateFiring {
		t.Fatalf("pending timer was reset by the restart: %+v", as)
	}
	if !as[0].ActiveAt.Equal(t0.Add(time.Second)) {
		t.Errorf("active since %v, want %v", as[0].ActiveAt, t0.Add(time.Second))
	}
	if as[0].TraceID == "" || as[0].Annotations["trace_id"] != as[0].TraceID {
		t.Errorf("firing alert carries no trace id: %+v", as[0])
	}
	if got := as[0].Annotations["summary"]; got != "Error ratio 0.5 on /api/chat" {
		t.Errorf("summary %q", got)
	}
}

func TestAcknowledgeAndResolve(t *testing.T) {
	ratio := 0.5
	e := newEnv(t, noReceivers(errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	ctx := context.Background()
	e.step(t, time.Second)
	id := e.active(t)[0].ID

	a, err := e.eng.Acknowledge(ctx, id, "alice", "looking")
	if err != nil {
		t.Fatal(err)
	}
	if a.AcknowledgedBy != "alice" || a.AcknowledgedAt == nil || a.State != store.StateFiring {
		t.Errorf("acknowledged alert %+v", a)
	}
	e.step(t, time.Second) // evaluation must not drop the acknowledgement
	if got, _ := e.st.GetAlert(ctx, id); got.AcknowledgedBy != "alice" {
		t.Errorf("acknowledgement lost by evaluation: %+v", got)
	}
	if _, err := e.eng.Acknowledge(ctx, "nope", "alice", ""); !errors.Is(err, alerting.ErrNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown id: %v, want ErrNotFound", err)
	}
	r, err := e.eng.Resolve(ctx, id, "bob", "fixed")
	if err != nil || r.State != store.StateResolved || r.ResolvedBy != "bob" {
		t.Fatalf("resolve: %+v %v", r, err)
	}
	if _, err := e.eng.Acknowledge(ctx, id, "alice", ""); !errors.Is(err, alerting.ErrAlertResolved) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("ack of resolved: %v, want ErrAlertResolved", err)
	}
	if _, err := e.eng.Resolve(ctx, id, "bob", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("resolve of resolved: %v, want conflict", err)
	}
	if h := e.history(t, id); !slices.Equal(h, []string{"firing", "acknowledged", "resolved"}) {
		t.Errorf("history %v", h)
	}
	// The condition still holds: a new incident with the same fingerprint.
	e.step(t, time.Second)
	as := e.active(t)
	if len(as) != 1 || as[0].ID == id || as[0].Fingerprint != a.Fingerprint {
		t.Errorf("new incident: %+v", as)
	}
}

func TestFollowerDoesNotEvaluate(t *testing.T) {
	ratio := 0.5
	st := openStore(t, "")
	eng, err := alerting.New(noReceivers(errorRule(0, 0)), alerting.Deps{Store: st, Series: ratioSeries(&ratio),
		Logger: quietLogger(), IsLeader: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Evaluate(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	if as, _ := st.ListAlerts(context.Background(), store.AlertFilter{}); len(as) != 0 {
		t.Errorf("follower created alerts: %+v", as)
	}
}

func TestRulesStatus(t *testing.T) {
	ratio := 0.25
	e := newEnv(t, noReceivers(errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	if rs := e.eng.Rules(); len(rs) != 1 || rs[0].Health != "unknown" {
		t.Fatalf("before evaluation: %+v", rs)
	}
	e.step(t, time.Second)
	rs := e.eng.Rules()
	if rs[0].LastValue != 0.25 || !rs[0].LastEvaluation.Equal(t0.Add(time.Second)) || rs[0].Health != "ok" {
		t.Errorf("after evaluation: %+v", rs[0])
	}
}

func TestSubscribeReceivesTransitions(t *testing.T) {
	ratio := 0.5
	e := newEnv(t, noReceivers(errorRule(time.Second, 0)), ratioSeries(&ratio), nil, nil)
	ch, cancel := e.eng.Subscribe()
	defer cancel()
	e.step(t, time.Second)
	e.step(t, time.Second)
	var kinds []string
	for len(ch) > 0 {
		ev := <-ch
		kinds = append(kinds, ev.Event.Kind+":"+ev.Alert.State)
	}
	if !slices.Equal(kinds, []string{"pending:pending", "firing:firing"}) {
		t.Errorf("events %v", kinds)
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Error("channel open after cancel")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ratio := 0.0
	e := newEnv(t, noReceivers(errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.eng.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}
