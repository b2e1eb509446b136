package alerting_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

type payloads struct {
	mu  sync.Mutex
	got []alerting.WebhookPayload
}

func (p *payloads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var wp alerting.WebhookPayload
	if err := json.NewDecoder(r.Body).Decode(&wp); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.got = append(p.got, wp)
	p.mu.Unlock()
}

func (p *payloads) statuses() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return statuses(p.got)
}

func owedGauge(t *testing.T, r *sdkmetric.ManualReader, receiver string) (int64, bool) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "vigil.alerts.notifications.owed" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
				if v, _ := dp.Attributes.Value(attribute.Key("receiver")); v.AsString() == receiver {
					return dp.Value, true
				}
			}
		}
	}
	return 0, false
}

// TestOwedNotificationsAreDeliveredWhenTheReceiverReturns is issue 21's
// scenario: an alert fires and resolves while its receiver is down; once
// the receiver is back, the resolved notification (and, with
// deliver_missed_firing, the firing one before it) is delivered exactly
// once, across a restart, with the attempts in the history and the owed
// notification counted meanwhile.
func TestOwedNotificationsAreDeliveredWhenTheReceiverReturns(t *testing.T) {
	for _, tt := range []struct {
		name         string
		missedFiring bool
		want         []string
	}{
		{"the resolved notification is owed", false, []string{"resolved"}},
		{"with deliver_missed_firing the firing one is owed too", true, []string{"firing", "resolved"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := &payloads{}
			url, up := downThenUp(t, got)
			cfg := webhookConfig(url, errorRule(0, 0))
			cfg.Receivers[0].DeliverMissedFiring = tt.missedFiring
			st := openStore(t, "")
			c := newClock()
			reader := sdkmetric.NewManualReader()
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			ratio := 0.5
			newEngine := func() *env {
				eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ratioSeries(&ratio), Logger: quietLogger(), Now: c.Now, MeterProvider: mp})
				if err != nil {
					t.Fatal(err)
				}
				alerting.SetBackoff(eng, time.Millisecond)
				return &env{eng: eng, st: st, clock: c}
			}
			e := newEngine()
			e.step(t, time.Second) // fires; the receiver is down
			id := e.active(t)[0].ID
			for range 3 {
				e.step(t, 10*time.Second)
			}
			ratio = 0
			e.step(t, 10*time.Second) // resolves while the receiver is down
			e.step(t, 10*time.Second)
			if as := e.active(t); len(as) != 0 {
				t.Fatalf("still active: %+v", as)
			}
			if n, _ := owedGauge(t, reader, "ops"); n != 1 {
				t.Errorf("owed gauge %d while the receiver is down, want 1", n)
			}

			// A restart (or a new leader) on the same store; then the receiver returns.
			_ = mp.Shutdown(context.Background())
			reader = sdkmetric.NewManualReader()
			mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
			e2 := newEngine()
			up()
			for range 6 {
				e2.step(t, 10*time.Second)
			}
			if s := got.statuses(); !slices.Equal(s, tt.want) {
				t.Fatalf("delivered %v, want %v", s, tt.want)
			}
			last := got.got[len(got.got)-1]
			if len(last.Alerts) != 1 || last.Alerts[0].Status != "resolved" || last.Alerts[0].EndsAt.IsZero() {
				t.Errorf("resolved payload %+v", last)
			}
			if n, ok := owedGauge(t, reader, "ops"); !ok || n != 0 {
				t.Errorf("owed gauge %d (reported %v) once delivered, want 0", n, ok)
			}
			evs, err := st.ListAlertEvents(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			var failed, notified int
			for _, ev := range evs {
				switch ev.Kind {
				case "notify_failed":
					failed++
					if ev.Details["attempts"] == "" || ev.Details["error"] == "" {
						t.Errorf("failure without its attempts: %+v", ev.Details)
					}
				case "notified":
					notified++
				}
			}
			if failed < 2 || notified != len(tt.want) {
				t.Errorf("history has %d failures and %d deliveries, want the failed attempts and %d", failed, notified, len(tt.want))
			}
			_ = mp.Shutdown(context.Background())
		})
	}
}

func TestOwedNotificationsExpireAfterTheHorizon(t *testing.T) {
	got := &payloads{}
	url, up := downThenUp(t, got)
	cfg := webhookConfig(url, errorRule(0, 0))
	cfg.Receivers[0].OwedHorizon = 0
	ratio := 0.5
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	ratio = 0
	e.step(t, 10*time.Second)
	e.step(t, 25*time.Hour) // past the default 24h horizon
	up()
	for range 3 {
		e.step(t, 10*time.Second)
	}
	if s := got.statuses(); len(s) != 0 {
		t.Errorf("delivered %v a day after the horizon, want nothing", s)
	}
	var owed []store.NotificationEntry
	owed, err := e.st.ListOwedNotifications(context.Background(), time.Time{})
	if err != nil || len(owed) != 1 {
		t.Fatalf("owed entries %+v %v", owed, err)
	}
}
