package notify_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting/labels"
	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

func firing(id string, firedAt time.Duration) store.Alert {
	return store.Alert{ID: id, Fingerprint: "fp-" + id, State: store.StateFiring, Source: store.SourceRule, FiredAt: at(firedAt),
		Labels: map[string]string{"alertname": "A", "severity": "warning"}}
}

func resolved(id string) store.Alert {
	a := firing(id, 0)
	a.State, a.ResolvedAt = store.StateResolved, at(time.Minute)
	return a
}

func TestNeedsUpdate(t *testing.T) {
	o := notify.DedupOptions{RepeatInterval: time.Hour, Horizon: 24 * time.Hour}
	acked := firing("a", 0)
	acked.AcknowledgedAt = at(time.Second)
	sent := func(firing ...string) *store.NotificationEntry {
		return &store.NotificationEntry{FiringAlerts: firing, SentAt: t0}
	}
	owed := func(firing []string, owedFiring ...string) *store.NotificationEntry {
		e := sent(firing...)
		e.OwedFiring, e.OwedSince, e.Attempts = owedFiring, t0, 2
		return e
	}
	tests := []struct {
		name     string
		entry    *store.NotificationEntry
		firing   []store.Alert
		resolved []store.Alert
		opts     func(*notify.DedupOptions)
		now      time.Duration
		want     notify.Reason
		nFiring  int
		nRes     int
	}{
		{"a group never notified is a first notification", nil, []store.Alert{firing("a", 0)}, nil, nil, 0, notify.ReasonFirst, 1, 0},
		{"nothing firing and nothing known resolved is nothing", nil, nil, []store.Alert{resolved("a")}, nil, 0, notify.ReasonNone, 0, 0},
		{"an unchanged group within repeat_interval is nothing", sent("a"), []store.Alert{firing("a", 0)}, nil, nil, 30 * time.Minute, notify.ReasonNone, 0, 0},
		{"an unchanged group after repeat_interval is repeated", sent("a"), []store.Alert{firing("a", 0)}, nil, nil, time.Hour, notify.ReasonRepeat, 1, 0},
		{"an acknowledged group is not repeated", sent("a"), []store.Alert{acked}, nil, nil, 2 * time.Hour, notify.ReasonNone, 0, 0},
		{"an acknowledgement is news where acks are tracked", sent("a"), []store.Alert{acked},
			nil, func(o *notify.DedupOptions) { o.TracksAck = true }, time.Minute, notify.ReasonChanged, 1, 0},
		{"a new alert changes the group", sent("a"), []store.Alert{firing("a", 0), firing("b", 0)}, nil, nil, time.Minute, notify.ReasonChanged, 2, 0},
		{"a told alert that resolved is news", sent("a", "b"), []store.Alert{firing("b", 0)}, []store.Alert{resolved("a")}, nil, time.Minute, notify.ReasonChanged, 1, 1},
		{"a resolved alert the receiver never heard of is nothing", sent("b"), []store.Alert{firing("b", 0)}, []store.Alert{resolved("a")}, nil, time.Minute, notify.ReasonNone, 0, 0},
		{"an owed firing that resolved is owed its resolution", owed(nil, "a"), nil, []store.Alert{resolved("a")}, nil, time.Minute, notify.ReasonFirst, 0, 1},
		{"with deliver_missed_firing the firing comes first", owed(nil, "a"), nil, []store.Alert{resolved("a")},
			func(o *notify.DedupOptions) { o.DeliverMissedFiring = true }, time.Minute, notify.ReasonMissedFiring, 1, 0},
		{"past the horizon nothing is owed", owed(nil, "a"), nil, []store.Alert{resolved("a")}, nil, 25 * time.Hour, notify.ReasonNone, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := o
			if tt.opts != nil {
				tt.opts(&o)
			}
			res := map[string]store.Alert{}
			for _, a := range tt.resolved {
				res[a.ID] = a
			}
			d := notify.NeedsUpdate(tt.entry, tt.firing, res, o, t0.Add(tt.now))
			if d.Reason != tt.want || len(d.Firing) != tt.nFiring || len(d.Resolved) != tt.nRes {
				t.Fatalf("decision %s with %d firing, %d resolved; want %s with %d, %d", d.Reason, len(d.Firing), len(d.Resolved), tt.want, tt.nFiring, tt.nRes)
			}
			for _, a := range d.Firing {
				if a.State != store.StateFiring || a.ResolvedAt != nil {
					t.Errorf("alert %s notified as firing has state %s", a.ID, a.State)
				}
			}
		})
	}
}

func TestDue(t *testing.T) {
	timers := notify.Timers{GroupWait: 30 * time.Second, GroupInterval: 5 * time.Minute, RepeatInterval: 4 * time.Hour}
	b := notify.OwedBackoff{Base: time.Second, Max: time.Minute}
	g := &notify.Group{Firing: []store.Alert{firing("a", 0)}}
	failed := &store.NotificationEntry{FiringAlerts: []string{}, Attempts: 3, AttemptedAt: t0.Add(time.Minute)}
	tests := []struct {
		name  string
		entry *store.NotificationEntry
		now   time.Duration
		want  bool
	}{
		{"a new group waits group_wait from its first firing alert", nil, 29 * time.Second, false},
		{"a new group is due once group_wait elapsed", nil, 30 * time.Second, true},
		{"a notified group waits group_interval", &store.NotificationEntry{FiringAlerts: []string{"a"}, SentAt: t0}, 4 * time.Minute, false},
		{"a notified group is due after group_interval", &store.NotificationEntry{FiringAlerts: []string{"a"}, SentAt: t0}, 5 * time.Minute, true},
		{"a third failed delivery waits four times the base", failed, time.Minute + 3*time.Second, false},
		{"and is tried again after it", failed, time.Minute + 4*time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := notify.Due(tt.entry, g, timers, b, t0.Add(tt.now)); got != tt.want {
				t.Errorf("due %v, want %v", got, tt.want)
			}
		})
	}
}

func mustMatcher(t *testing.T, s string) *labels.Matcher {
	t.Helper()
	m, err := labels.ParseMatcher(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRouteMatch(t *testing.T) {
	crit := &notify.Route{Receiver: "pagerduty", Matchers: labels.Matchers{mustMatcher(t, "severity=critical")}}
	api := &notify.Route{Receiver: "api-team", Matchers: labels.Matchers{mustMatcher(t, "team=~api|web")}, Continue: true}
	apiCrit := &notify.Route{Receiver: "api-oncall", Matchers: labels.Matchers{mustMatcher(t, "severity=critical")}}
	api.Routes = []*notify.Route{apiCrit}
	root := &notify.Route{Receiver: "slack", Routes: []*notify.Route{api, crit}}
	tests := []struct {
		name   string
		labels map[string]string
		want   []string
	}{
		{"an alert no child takes goes to the root", map[string]string{"severity": "warning"}, []string{"slack"}},
		{"a critical alert goes to the critical child", map[string]string{"severity": "critical"}, []string{"pagerduty"}},
		{"continue lets a later sibling match too", map[string]string{"team": "web", "severity": "warning"}, []string{"api-team"}},
		{"the deepest match wins and continue goes on to the sibling", map[string]string{"team": "api", "severity": "critical"}, []string{"api-oncall", "pagerduty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, r := range root.Match(tt.labels) {
				got = append(got, r.Receiver)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("routes %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMuteStage(t *testing.T) {
	muted := firing("m", 0)
	g := &notify.Group{Firing: []store.Alert{firing("a", 0), muted}, Resolved: map[string]store.Alert{}}
	s := notify.MuteStage{Muter: notify.MuterFunc(func(a store.Alert, _ time.Time) bool { return a.ID == "m" })}
	f := &notify.Flush{Group: g, Now: t0}
	ok, err := s.Exec(context.Background(), f)
	if err != nil || !ok || len(f.Group.Firing) != 1 || f.Group.Firing[0].ID != "a" {
		t.Fatalf("ok %v err %v firing %+v", ok, err, f.Group.Firing)
	}
	if len(g.Firing) != 2 {
		t.Error("the stage changed the shared group")
	}
	f = &notify.Flush{Group: &notify.Group{Firing: []store.Alert{muted}}, Now: t0}
	if ok, _ := s.Exec(context.Background(), f); ok {
		t.Error("a group with only muted alerts went on")
	}
}

type fakeIntegration struct {
	mu    sync.Mutex
	name  string
	calls int
	fail  func(call int) (bool, error)
}

func (f *fakeIntegration) Name() string { return f.name }
func (f *fakeIntegration) Notify(context.Context, *notify.Notification) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return f.fail(f.calls)
	}
	return false, nil
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestRetryStage(t *testing.T) {
	errDown := errors.New("down")
	tests := []struct {
		name      string
		fail      func(int) (bool, error)
		leader    func() bool
		wantCalls int
		wantErr   bool
		wantGoOn  bool
	}{
		{"a success is one attempt", nil, nil, 1, false, true},
		{"retryable failures are retried until success", func(n int) (bool, error) {
			if n < 3 {
				return true, errDown
			}
			return false, nil
		}, nil, 3, false, true},
		{"a final failure is not retried", func(int) (bool, error) { return false, errDown }, nil, 1, true, true},
		{"attempts are bounded", func(int) (bool, error) { return true, errDown }, nil, 4, true, true},
		{"a replica that does not lead does not send", nil, func() bool { return false }, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &fakeIntegration{name: "fake", fail: tt.fail}
			s := notify.RetryStage{Attempts: 4, Backoff: time.Microsecond, MaxBackoff: time.Microsecond, IsLeader: tt.leader, Logger: quiet()}
			f := &notify.Flush{Integration: in, Notification: &notify.Notification{}}
			goOn, err := s.Exec(context.Background(), f)
			if err != nil || goOn != tt.wantGoOn || in.calls != tt.wantCalls || (f.Err != nil) != tt.wantErr {
				t.Errorf("go on %v err %v calls %d outcome %v", goOn, err, in.calls, f.Err)
			}
		})
	}
}

type fakeLog struct {
	mu      sync.Mutex
	entries map[[2]string]store.NotificationEntry
	put     func(store.NotificationEntry) error
}

func (l *fakeLog) GetNotification(_ context.Context, r, g string) (store.NotificationEntry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.entries[[2]string{r, g}]
	if !ok {
		return e, store.ErrNotFound
	}
	return e, nil
}

func (l *fakeLog) PutNotification(_ context.Context, e store.NotificationEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.put != nil {
		if err := l.put(e); err != nil {
			return err
		}
	}
	if l.entries == nil {
		l.entries = map[[2]string]store.NotificationEntry{}
	}
	l.entries[[2]string{e.Receiver, e.GroupKey}] = e
	return nil
}

type recorded struct {
	mu     sync.Mutex
	events []store.AlertEvent
}

func (r *recorded) Record(_ context.Context, a store.Alert, ev store.AlertEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev.AlertID = a.ID
	r.events = append(r.events, ev)
}

func TestLogStage(t *testing.T) {
	root := &notify.Route{RepeatInterval: time.Hour}
	g := &notify.Group{Route: root, Key: "{}:{}"}
	a := firing("a", 0)
	d := notify.Decision{Reason: notify.ReasonFirst, Firing: []store.Alert{a}, FiringKeys: []string{"a"}}
	n := &notify.Notification{Receiver: "ops", Firing: []store.Alert{a}}
	in := &fakeIntegration{name: "webhook"}

	log, rec := &fakeLog{}, &recorded{}
	s := notify.LogStage{Log: log, Recorder: rec, Receiver: "ops", Horizon: 24 * time.Hour, Logger: quiet()}
	fail := &notify.Flush{Now: t0, Group: g, Integration: in, LogKey: "ops/webhook", Decision: d, Notification: n,
		Tries: 5, Err: errors.New("unexpected status 503")}
	if _, err := s.Exec(context.Background(), fail); err != nil {
		t.Fatal(err)
	}
	e, _ := log.GetNotification(context.Background(), "ops/webhook", "{}:{}")
	if len(e.FiringAlerts) != 0 || !slices.Equal(e.OwedFiring, []string{"a"}) || !e.OwedSince.Equal(t0) || e.Attempts != 1 {
		t.Fatalf("after a failure the entry is %+v, want a owed", e)
	}
	ok := &notify.Flush{Now: t0.Add(time.Minute), Group: g, Integration: in, LogKey: "ops/webhook", Decision: d, Notification: n,
		Tries: 1, Entry: &e}
	if _, err := s.Exec(context.Background(), ok); err != nil {
		t.Fatal(err)
	}
	e, _ = log.GetNotification(context.Background(), "ops/webhook", "{}:{}")
	if !slices.Equal(e.FiringAlerts, []string{"a"}) || len(e.OwedFiring) != 0 || !e.OwedSince.IsZero() || e.Attempts != 0 ||
		!e.SentAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the delivery the entry is %+v", e)
	}
	var kinds []string
	for _, ev := range rec.events {
		kinds = append(kinds, ev.Kind+"/"+ev.Details["attempts"])
	}
	if !slices.Equal(kinds, []string{"notify_failed/1", "notified/2"}) {
		t.Errorf("history %v, want the failure then the delivery with their attempts", kinds)
	}

	log.put = func(store.NotificationEntry) error { return errors.New("disk full") }
	if _, err := s.Exec(context.Background(), ok); err == nil {
		t.Error("a failed log write is not reported")
	}
}

func TestFanoutStageRunsEveryBranchOnItsOwnFlush(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	branch := func(name string) notify.Stage {
		return notify.MultiStage{
			notify.StageFunc(func(_ context.Context, f *notify.Flush) (bool, error) { f.LogKey = name; return true, nil }),
			notify.StageFunc(func(_ context.Context, f *notify.Flush) (bool, error) {
				mu.Lock()
				defer mu.Unlock()
				seen[f.LogKey] = true
				if name == "b" {
					return false, errors.New("b failed")
				}
				return true, nil
			}),
		}
	}
	f := &notify.Flush{}
	_, err := notify.FanoutStage{branch("a"), branch("b")}.Exec(context.Background(), f)
	if err == nil || !seen["a"] || !seen["b"] || f.LogKey != "" {
		t.Errorf("err %v seen %v shared key %q", err, seen, f.LogKey)
	}
}
