package alerting_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
)

func statuses(ps []alerting.WebhookPayload) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Status)
	}
	return s
}

func TestNotificationTimers(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	cfg.Route.GroupWait = alerting.Duration(2 * time.Second)
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)

	e.step(t, time.Second) // fires at t0+1s
	e.step(t, time.Second)
	if n := len(hook.got()); n != 0 {
		t.Fatalf("notified before group_wait: %d", n)
	}
	e.step(t, time.Second) // t0+3s: group_wait elapsed
	got := hook.got()
	if len(got) != 1 {
		t.Fatalf("after group_wait: %d notifications, want 1", len(got))
	}
	p := got[0]
	if p.Version != "4" || p.Status != "firing" || p.Receiver != "ops" || len(p.Alerts) != 1 ||
		p.GroupLabels["alertname"] != "HighErrorRate" || p.GroupLabels["route"] != "/api/chat" ||
		p.CommonLabels["team"] != "api" || p.ExternalURL != "http://vigil.test" ||
		p.GroupKey != `{}:{alertname="HighErrorRate", route="/api/chat"}` {
		t.Errorf("payload %+v", p)
	}
	a := p.Alerts[0]
	if a.Fingerprint == "" || a.Annotations["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		!a.StartsAt.Equal(t0.Add(time.Second)) || !a.EndsAt.IsZero() || a.GeneratorURL == "" {
		t.Errorf("alert %+v", a)
	}

	e.step(t, 30*time.Minute)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("repeated before repeat_interval: %d", n)
	}
	e.step(t, 30*time.Minute) // one hour after the first notification
	if got := statuses(hook.got()); !slices.Equal(got, []string{"firing", "firing"}) {
		t.Fatalf("after repeat_interval: %v", got)
	}

	ratio = 0
	e.step(t, time.Second) // resolves; group_interval (5s) since the repeat has not elapsed
	if n := len(hook.got()); n != 2 {
		t.Fatalf("resolved sent before group_interval: %d", n)
	}
	e.step(t, 5*time.Second)
	got = hook.got()
	if s := statuses(got); !slices.Equal(s, []string{"firing", "firing", "resolved"}) {
		t.Fatalf("statuses %v", s)
	}
	if r := got[2].Alerts[0]; r.Status != "resolved" || r.EndsAt.IsZero() {
		t.Errorf("resolved alert %+v", r)
	}
	e.step(t, 2*time.Hour)
	if n := len(hook.got()); n != 3 {
		t.Errorf("resolved group notified again: %d", n)
	}
}

func TestAcknowledgeStopsRepeatsNotResolved(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	e := newEnv(t, webhookConfig(hook.URL, errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("first notification: %d", n)
	}
	if _, err := e.eng.Acknowledge(context.Background(), e.active(t)[0].ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	e.step(t, 2*time.Hour)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("acknowledged alert repeated: %d notifications", n)
	}
	ratio = 0
	e.step(t, time.Second)
	if s := statuses(hook.got()); !slices.Equal(s, []string{"firing", "resolved"}) {
		t.Errorf("statuses %v, want firing then resolved", s)
	}
}

func TestSilenceMutes(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	e := newEnv(t, webhookConfig(hook.URL, errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	ctx := context.Background()
	s, err := e.eng.CreateSilence(ctx, store.Silence{
		Matchers:  []store.Matcher{{Name: "alertname", Value: "High.*", IsRegex: true, IsEqual: true}},
		EndsAt:    t0.Add(time.Minute),
		CreatedBy: "alice", Comment: "deploy",
	})
	if err != nil {
		t.Fatal(err)
	}
	e.step(t, time.Second)
	e.step(t, time.Second)
	as := e.active(t)
	if len(as) != 1 || !as[0].Silenced {
		t.Fatalf("alert not silenced: %+v", as)
	}
	if n := len(hook.got()); n != 0 {
		t.Fatalf("silenced alert notified: %d", n)
	}
	if err := e.eng.ExpireSilence(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	e.step(t, time.Second) // unsilenced in this cycle, notified right away (group_wait 0)
	if n := len(hook.got()); n != 1 {
		t.Errorf("after the silence expired: %d notifications, want 1", n)
	}
	if h := e.history(t, as[0].ID); !slices.Contains(h, "silenced") || !slices.Contains(h, "unsilenced") {
		t.Errorf("history %v", h)
	}
}

func TestSilenceValidation(t *testing.T) {
	e := newEnv(t, noReceivers(errorRule(0, 0)), &fakeSeries{}, nil, nil)
	tests := []struct {
		name string
		s    store.Silence
	}{
		{"no matchers", store.Silence{EndsAt: t0.Add(time.Hour)}},
		{"bad regex", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: "(", IsRegex: true, IsEqual: true}}, EndsAt: t0.Add(time.Hour)}},
		{"bad label name", store.Silence{Matchers: []store.Matcher{{Name: "a-b", Value: "x", IsEqual: true}}, EndsAt: t0.Add(time.Hour)}},
		{"ends before it starts", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: "x", IsEqual: true}}, StartsAt: t0, EndsAt: t0.Add(-time.Second)}},
		{"matches everything", store.Silence{Matchers: []store.Matcher{{Name: "a", Value: ".*", IsRegex: true, IsEqual: true}}, EndsAt: t0.Add(time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.eng.CreateSilence(context.Background(), tt.s); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestNotificationLogSurvivesRestart(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	st := openStore(t, "")
	c := newClock()
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	e := newEnv(t, cfg, ratioSeries(&ratio), st, c)
	e.step(t, time.Second)
	// A new leader with the same store must not repeat the notification...
	e2 := newEnv(t, cfg, ratioSeries(&ratio), st, c)
	e2.step(t, time.Second)
	e2.step(t, 10*time.Second)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("new engine repeated the notification: %d", n)
	}
	// ...and must send the resolved notification the old one owed.
	ratio = 0
	e2.step(t, time.Second)
	if s := statuses(hook.got()); !slices.Equal(s, []string{"firing", "resolved"}) {
		t.Errorf("statuses %v", s)
	}
}

func TestRetriesUntilSuccess(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	hook.status = []int{500, 503}
	e := newEnv(t, webhookConfig(hook.URL, errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	if n := len(hook.got()); n != 1 {
		t.Fatalf("after two 5xx: %d deliveries, want 1", n)
	}
	e.step(t, time.Second)
	if n := len(hook.got()); n != 1 {
		t.Errorf("repeated after a successful retry: %d", n)
	}
	if h := e.history(t, e.active(t)[0].ID); !slices.Contains(h, "notified") {
		t.Errorf("history %v has no notified event", h)
	}
}

func TestFailedNotificationIsRetriedNextCycle(t *testing.T) {
	ratio := 0.5
	hook := newHook(t)
	hook.status = []int{500, 500, 500, 500, 500}
	e := newEnv(t, webhookConfig(hook.URL, errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	if n := len(hook.got()); n != 0 {
		t.Fatalf("delivered: %d", n)
	}
	if h := e.history(t, e.active(t)[0].ID); !slices.Contains(h, "notify_failed") {
		t.Errorf("history %v has no notify_failed", h)
	}
	e.step(t, time.Second) // not logged as sent: tried again
	if n := len(hook.got()); n != 1 {
		t.Errorf("not retried in the next cycle: %d", n)
	}
}

func TestPerRouteGrouping(t *testing.T) {
	hook := newHook(t)
	rule := errorRule(0, 0)
	rule.Route = ""
	q := &fakeSeries{increaseBy: func(_ string, ms []series.Matcher, _ []string, _ time.Duration) []series.Group {
		if isErrors(ms) {
			return []series.Group{{Labels: map[string]string{"http.route": "/a"}, Value: 50}, {Labels: map[string]string{"http.route": "/b"}, Value: 40}}
		}
		return []series.Group{{Labels: map[string]string{"http.route": "/a"}, Value: 100}, {Labels: map[string]string{"http.route": "/b"}, Value: 100}, {Labels: map[string]string{"http.route": "/c"}, Value: 100}}
	}}
	e := newEnv(t, webhookConfig(hook.URL, rule), q, nil, nil)
	e.step(t, time.Second)
	got := hook.got()
	if len(got) != 2 {
		t.Fatalf("%d notifications, want one per failing route", len(got))
	}
	routes := []string{got[0].GroupLabels["route"], got[1].GroupLabels["route"]}
	slices.Sort(routes)
	if !slices.Equal(routes, []string{"/a", "/b"}) {
		t.Errorf("routes %v", routes)
	}
}
