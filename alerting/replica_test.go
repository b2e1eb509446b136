package alerting_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
)

// trafficSeries answers error_ratio queries with *requests requests in the
// window, *ratio of them failing; zero requests is "no data".
func trafficSeries(requests, ratio *float64) *fakeSeries {
	return &fakeSeries{increase: func(_ string, ms []series.Matcher, _ time.Duration) float64 {
		if isErrors(ms) {
			return *requests * *ratio
		}
		return *requests
	}}
}

func TestNoDataIsNotHealed(t *testing.T) {
	// errorRule's window is 30s; the evaluation interval is 1s, so the
	// hold is the window.
	tests := []struct {
		name string
		// forD is the rule's for; the alert starts in the state it gives.
		forD time.Duration
		// quiet is how long no request arrives after the first evaluation.
		quiet     time.Duration
		wantState string // "" = resolved
		history   []string
	}{
		{"a firing alert without requests keeps firing within the window", 0, 29 * time.Second,
			store.StateFiring, []string{"firing"}},
		{"a firing alert without requests for a whole window resolves", 0, 30 * time.Second,
			"", []string{"firing", "resolved"}},
		{"a pending alert without requests stays pending within the window", 10 * time.Second, 29 * time.Second,
			store.StatePending, []string{"pending"}},
		{"a pending alert without requests for a whole window goes inactive", 10 * time.Second, 30 * time.Second,
			"", []string{"pending", "resolved"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests, ratio := 100.0, 0.5
			e := newEnv(t, noReceivers(errorRule(tt.forD, 0)), trafficSeries(&requests, &ratio), nil, nil)
			e.step(t, time.Second)
			id := e.active(t)[0].ID
			requests = 0
			for range int(tt.quiet / time.Second) {
				e.step(t, time.Second)
			}
			as := e.active(t)
			got := ""
			if len(as) > 0 {
				got = as[0].State
			}
			if got != tt.wantState {
				t.Fatalf("after %s without requests: state %q, want %q", tt.quiet, got, tt.wantState)
			}
			if h := e.history(t, id); !slices.Equal(h, tt.history) {
				t.Errorf("history %v, want %v", h, tt.history)
			}
		})
	}
}

func TestNoDataResolutionIsExplained(t *testing.T) {
	requests, ratio := 100.0, 0.5
	e := newEnv(t, noReceivers(errorRule(0, 0)), trafficSeries(&requests, &ratio), nil, nil)
	e.step(t, time.Second)
	id := e.active(t)[0].ID
	requests = 0
	e.step(t, 31*time.Second)
	evs, err := e.st.ListAlertEvents(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Kind != store.StateResolved || last.Details["reason"] != "no data" {
		t.Errorf("last event %+v, want resolved for no data", last)
	}
}

func TestHealthyTrafficStillResolvesAtOnce(t *testing.T) {
	requests, ratio := 100.0, 0.5
	e := newEnv(t, noReceivers(errorRule(0, 0)), trafficSeries(&requests, &ratio), nil, nil)
	e.step(t, time.Second)
	ratio = 0
	e.step(t, time.Second)
	if as := e.active(t); len(as) != 0 {
		t.Fatalf("healthy requests did not resolve: %+v", as)
	}
}

// TestTakeoverMidIncident plays two replicas on one store: A fires and
// notifies, then dies; B, whose own series are empty, takes over. B must
// neither resolve nor re-notify; once B sees the fault heal it sends the
// resolved notification, once.
func TestTakeoverMidIncident(t *testing.T) {
	hook := newHook(t)
	st := openStore(t, "")
	c := newClock()
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	aReq, aRatio := 100.0, 0.5
	bReq, bRatio := 0.0, 0.5
	var aLeads, bLeads atomic.Bool
	aLeads.Store(true)
	newReplica := func(q alerting.Querier, leads *atomic.Bool) *env {
		eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: q, Logger: quietLogger(), Now: c.Now,
			IsLeader: leads.Load})
		if err != nil {
			t.Fatal(err)
		}
		alerting.SetBackoff(eng, time.Millisecond)
		return &env{eng: eng, st: st, clock: c}
	}
	a := newReplica(trafficSeries(&aReq, &aRatio), &aLeads)
	b := newReplica(trafficSeries(&bReq, &bRatio), &bLeads)
	both := func(d time.Duration) {
		c.Add(d)
		a.step(t, 0)
		b.step(t, 0)
	}

	both(time.Second)
	both(time.Second)
	if s := statuses(hook.got()); !slices.Equal(s, []string{"firing"}) {
		t.Fatalf("while A leads: %v, want one firing notification", s)
	}
	if as := a.active(t); len(as) != 1 {
		t.Fatalf("active %+v", as)
	}

	// A dies; B leads with no data of its own for a few cycles.
	aLeads.Store(false)
	bLeads.Store(true)
	for range 3 {
		b.step(t, time.Second)
	}
	if as := b.active(t); len(as) != 1 || as[0].State != store.StateFiring {
		t.Fatalf("takeover without data changed the alert: %+v", as)
	}
	// Traffic reaches B: still failing, nothing re-sent.
	bReq = 50
	for range 3 {
		b.step(t, time.Second)
	}
	if s := statuses(hook.got()); !slices.Equal(s, []string{"firing"}) {
		t.Fatalf("after takeover: %v, want the single firing notification", s)
	}
	// The fault heals on B: resolved once.
	bRatio = 0
	for range 8 {
		b.step(t, time.Second)
	}
	if s := statuses(hook.got()); !slices.Equal(s, []string{"firing", "resolved"}) {
		t.Fatalf("after healing: %v, want firing then resolved", s)
	}
}

func TestLosingLeadershipStopsRetries(t *testing.T) {
	hook := newHook(t)
	hook.status = []int{503, 503, 503, 503, 503}
	st := openStore(t, "")
	var leads atomic.Bool
	leads.Store(true)
	ratio := 0.5
	eng, err := alerting.New(webhookConfig(hook.URL, errorRule(0, 0)), alerting.Deps{Store: st,
		Series: ratioSeries(&ratio), Logger: quietLogger(), Now: newClock().Now, IsLeader: leads.Load})
	if err != nil {
		t.Fatal(err)
	}
	alerting.SetBackoff(eng, 50*time.Millisecond)
	if err := eng.Evaluate(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	leads.Store(false) // the lease moved to another replica
	alerting.WaitIdle(eng)

	hook.mu.Lock()
	left := len(hook.status)
	hook.mu.Unlock()
	if left < 3 {
		t.Errorf("%d attempts after losing leadership, want at most 1", 5-left)
	}
	as, err := st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil || len(as) != 1 {
		t.Fatalf("alerts %+v %v", as, err)
	}
	evs, err := st.ListAlertEvents(context.Background(), as[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Kind == "notified" || ev.Kind == "notify_failed" {
			t.Errorf("a former leader recorded %q: the new leader owns the notification", ev.Kind)
		}
	}
}

func TestRunEvaluatesAtOnceOnBecomingLeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ratio := 0.5
		st := openStore(t, "")
		var leads atomic.Bool
		cfg := noReceivers(errorRule(0, 0))
		cfg.EvaluationInterval = alerting.Duration(4 * time.Second)
		eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ratioSeries(&ratio), Logger: quietLogger(),
			IsLeader: leads.Load})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- eng.Run(ctx) }()

		time.Sleep(4*time.Second + time.Millisecond) // a tick as follower: nothing
		synctest.Wait()
		if rs := eng.Rules(); rs[0].Health != "unknown" {
			t.Fatalf("a follower evaluated: %+v", rs[0])
		}
		time.Sleep(500 * time.Millisecond)
		leads.Store(true)
		became := time.Now()
		time.Sleep(500*time.Millisecond + time.Millisecond) // one leadership check (interval/8)
		synctest.Wait()
		rs := eng.Rules()
		if rs[0].Health != "ok" {
			t.Fatalf("not evaluated within an eighth of an interval of becoming leader: %+v", rs[0])
		}
		if d := rs[0].LastEvaluation.Sub(became); d < 0 || d > 500*time.Millisecond {
			t.Errorf("evaluated %s after becoming leader, want within 500ms", d)
		}
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}
