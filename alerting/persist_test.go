package alerting_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

// countingStore counts alert writes and reads of resolved alerts.
type countingStore struct {
	store.Store
	updates       atomic.Int64
	resolvedReads atomic.Int64
}

func (c *countingStore) ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error) {
	if f.State == store.StateResolved {
		c.resolvedReads.Add(1)
	}
	return c.Store.ListAlerts(ctx, f)
}

func (c *countingStore) UpdateAlert(ctx context.Context, id string, fn func(*store.Alert) error) (store.Alert, error) {
	c.updates.Add(1)
	return c.Store.UpdateAlert(ctx, id, fn)
}

// UpdateAlertEvents is how the engine writes a change with its history.
func (c *countingStore) UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error) {
	c.updates.Add(1)
	return c.Store.UpdateAlertEvents(ctx, id, fn)
}

// errorRule's window is 30s and the interval 1s: the no-data hold is 30s,
// so an alert's value is persisted at least every 15s.
const refresh = 15 * time.Second

func TestSteadyAlertsAreNotRewrittenEveryCycle(t *testing.T) {
	st := &countingStore{Store: openStore(t, "")}
	ratio := 0.5
	e := newEnv(t, noReceivers(errorRule(0, 0)), ratioSeries(&ratio), st, nil)
	e.step(t, time.Second) // fires at t0+1s
	id := e.active(t)[0].ID
	for i := range 30 {
		ratio = 0.5 + float64(i%5)/10 // the value changes every cycle
		e.step(t, time.Second)
		a, err := st.GetAlert(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if lag := e.clock.Now().Sub(a.LastEvalAt); lag >= refresh {
			t.Fatalf("at %s the stored evaluation is %s old, want < %s", e.clock.Now().Sub(t0), lag, refresh)
		}
		if got := e.eng.Rules()[0].LastValue; got != ratio {
			t.Fatalf("rule status value %v, want the latest %v", got, ratio)
		}
	}
	if n := st.updates.Load(); n < 1 || n > 2 {
		t.Errorf("%d alert writes in 30 steady cycles, want 2 (one per %s)", n, refresh)
	}
	// A transition is written at once.
	ratio = 0
	e.step(t, time.Second)
	if as := e.active(t); len(as) != 0 {
		t.Fatalf("healthy traffic did not resolve at once: %+v", as)
	}
}

func TestNotificationsCarryTheLatestValue(t *testing.T) {
	hook := newHook(t)
	ratio := 0.5
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	cfg.Route.RepeatInterval = alerting.Duration(3 * time.Second)
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	ratio = 0.7
	for range 3 {
		e.step(t, time.Second)
	}
	got := hook.got()
	if len(got) != 2 {
		t.Fatalf("%d notifications, want the first and one repeat", len(got))
	}
	if s := got[1].Alerts[0].Annotations["summary"]; s != "Error ratio 0.7 on /api/chat" {
		t.Errorf("repeat notification summary %q, want the latest value 0.7", s)
	}
	if a := e.active(t)[0]; a.Value != 0.5 {
		t.Fatalf("stored value %v: the test expects it not yet refreshed", a.Value)
	}
}

func TestTakeoverHoldsNoDataAtLeastAsLongAsThePredecessor(t *testing.T) {
	// A sees the fault for 10s but persists its evaluation only every
	// 15s; B, without data, must not resolve before A would have (30s
	// after A last saw the fault), and must resolve once the stored
	// evaluation, its possible lag and the hold have all passed.
	st := openStore(t, "")
	c := newClock()
	cfg := noReceivers(errorRule(0, 0))
	aReq, bReq, ratio := 100.0, 0.0, 0.5
	var aLeads, bLeads atomic.Bool
	aLeads.Store(true)
	replica := func(req *float64, leads *atomic.Bool) *env {
		eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: trafficSeries(req, &ratio), Logger: quietLogger(),
			Now: c.Now, IsLeader: leads.Load})
		if err != nil {
			t.Fatal(err)
		}
		return &env{eng: eng, st: st, clock: c}
	}
	a, b := replica(&aReq, &aLeads), replica(&bReq, &bLeads)
	for range 10 {
		a.step(t, time.Second) // t0+1s … t0+10s: firing
	}
	aLeads.Store(false)
	bLeads.Store(true)
	lastSeen := c.Now()
	for c.Now().Before(lastSeen.Add(30 * time.Second)) {
		b.step(t, time.Second)
		if as := b.active(t); len(as) != 1 {
			t.Fatalf("B resolved at %s, before A's hold (until %s) ended", c.Now().Sub(t0), lastSeen.Add(30*time.Second).Sub(t0))
		}
	}
	stored := b.active(t)[0].LastEvalAt
	for c.Now().Before(stored.Add(refresh + 30*time.Second)) {
		b.step(t, time.Second)
	}
	if as := b.active(t); len(as) != 0 {
		t.Fatalf("B still holds at %s: %+v", c.Now().Sub(t0), as)
	}
}

func TestResolvedAlertsAreReadOnlyWhenAnAlertLeft(t *testing.T) {
	hook := newHook(t)
	st := &countingStore{Store: openStore(t, "")}
	ratio := 0.5
	e := newEnv(t, webhookConfig(hook.URL, errorRule(0, 0)), ratioSeries(&ratio), st, nil)
	e.step(t, time.Second) // fires; the first cycle reads
	for range 5 {
		e.step(t, time.Second)
	}
	if n := st.resolvedReads.Load(); n != 1 {
		t.Fatalf("%d reads of resolved alerts while nothing resolved, want the first cycle's only", n)
	}
	ratio = 0
	e.step(t, time.Second) // resolves: reread, and the resolved notification goes out
	if n := st.resolvedReads.Load(); n != 2 {
		t.Fatalf("%d reads of resolved alerts after a resolution, want 2", n)
	}
	if s := statuses(hook.got()); len(s) != 2 || s[1] != "resolved" {
		t.Fatalf("notifications %v, want firing then resolved", s)
	}
}
