package alerting_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

// TestEveryNotificationCarriesTheSameInstants is issue 21's "one alert, two
// startsAt": the first firing notification carried nanoseconds, the later
// ones (repeats, resolved, a new leader's) the store's microseconds. On
// PostgreSQL, through a real webhook receiver, every notification of the
// incident now carries the instant the store keeps, on both backends.
func TestEveryNotificationCarriesTheSameInstants(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"postgres": storetest.OpenPostgres, "sqlite": storetest.OpenSQLite} {
		t.Run(name, func(t *testing.T) { testSameInstants(t, open(t)) })
	}
}

func testSameInstants(t *testing.T, st store.Store) {
	hook := newHook(t)
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	cfg.Route.GroupInterval = alerting.Duration(time.Second)
	cfg.Route.RepeatInterval = alerting.Duration(3 * time.Second)
	ratio := 0.5
	c := &clock{t: t0.Add(123456789 * time.Nanosecond)} // a clock with nanoseconds
	var aLeads atomic.Bool
	aLeads.Store(true)
	newEngine := func(leader func() bool) *alerting.Engine {
		eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ratioSeries(&ratio), Logger: quietLogger(), Now: c.Now, IsLeader: leader})
		if err != nil {
			t.Fatal(err)
		}
		alerting.SetBackoff(eng, time.Millisecond)
		return eng
	}
	a := newEngine(aLeads.Load)
	b := newEngine(func() bool { return !aLeads.Load() })
	step := func(d time.Duration) {
		t.Helper()
		now := c.Add(d)
		for _, eng := range []*alerting.Engine{a, b} {
			if err := eng.Evaluate(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			alerting.WaitIdle(eng)
		}
	}
	step(0)               // fires; A notifies
	step(3 * time.Second) // A repeats
	aLeads.Store(false)   // B takes over
	step(3 * time.Second) // B repeats
	ratio = 0
	step(1500 * time.Millisecond) // resolves; B notifies

	got := hook.got()
	var statuses []string
	for _, p := range got {
		statuses = append(statuses, p.Status)
	}
	if strings.Join(statuses, ",") != "firing,firing,firing,resolved" {
		t.Fatalf("notifications %v, want three firing and one resolved", statuses)
	}
	stored, err := st.ListAlerts(context.Background(), store.AlertFilter{})
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored %+v (%v)", stored, err)
	}
	al := stored[0]
	for i, p := range got {
		w := p.Alerts[0]
		if !w.StartsAt.Equal(*al.FiredAt) || w.StartsAt.Nanosecond()%1000 != 0 {
			t.Errorf("notification %d (%s): startsAt %s, want the stored %s", i, p.Status, w.StartsAt.Format(time.RFC3339Nano), al.FiredAt.Format(time.RFC3339Nano))
		}
		if p.Status == "resolved" && !w.EndsAt.Equal(*al.ResolvedAt) {
			t.Errorf("resolved: endsAt %s, want the stored %s", w.EndsAt.Format(time.RFC3339Nano), al.ResolvedAt.Format(time.RFC3339Nano))
		}
	}
	if !al.FiredAt.Equal(store.Truncate(t0.Add(123456789 * time.Nanosecond))) {
		t.Errorf("fired at %s", al.FiredAt.Format(time.RFC3339Nano))
	}
	evs, err := st.ListAlertEvents(context.Background(), al.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Time.Nanosecond()%1000 != 0 {
			t.Errorf("event %s at %s", ev.Kind, ev.Time.Format(time.RFC3339Nano))
		}
	}
}
