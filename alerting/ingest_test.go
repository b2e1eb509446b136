package alerting_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/store"
)

const amPayload = `{"version":"4","groupKey":"{}:{alertname=\"Down\"}","truncatedAlerts":0,"status":"%s","receiver":"vigil",
"groupLabels":{"alertname":"Down"},"commonLabels":{"alertname":"Down"},"commonAnnotations":{},"externalURL":"http://am:9093",
"alerts":[{"status":"%s","labels":{"alertname":"Down","severity":"critical","instance":"a:8000"},"annotations":{"summary":"a down"},
"startsAt":"2026-03-01T11:00:00Z","endsAt":"%s","generatorURL":"http://prom/graph","fingerprint":"c0ffee0123456789"}]}`

func payload(status, ends string) []byte {
	s := amPayload
	for _, v := range []string{status, status, ends} {
		s = strings.Replace(s, "%s", v, 1)
	}
	return []byte(s)
}

func TestIngestWebhookDedup(t *testing.T) {
	e := newEnv(t, noReceivers(errorRule(0, 0)), &fakeSeries{}, nil, nil)
	ctx := context.Background()
	ingest := func(b []byte) []store.Alert {
		t.Helper()
		p, err := alerting.ParseWebhook(b)
		if err != nil {
			t.Fatal(err)
		}
		as, err := e.eng.IngestWebhook(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return as
	}
	firing := payload("firing", "0001-01-01T00:00:00Z")
	a1 := ingest(firing)
	a2 := ingest(firing)
	if len(a1) != 1 || len(a2) != 1 || a1[0].ID != a2[0].ID || a1[0].Source != store.SourceAlertmanager || a1[0].Fingerprint != "c0ffee0123456789" {
		t.Fatalf("dedup: %+v / %+v", a1, a2)
	}
	if as := e.active(t); len(as) != 1 || as[0].State != store.StateFiring {
		t.Fatalf("active %+v", as)
	}
	// Evaluation of rules leaves ingested alerts alone.
	e.step(t, time.Second)
	if as := e.active(t); len(as) != 1 {
		t.Fatalf("evaluation touched ingested alert: %+v", as)
	}
	r := ingest(payload("resolved", "2026-03-01T11:30:00Z"))
	if len(r) != 1 || r[0].State != store.StateResolved || !r[0].ResolvedAt.Equal(time.Date(2026, 3, 1, 11, 30, 0, 0, time.UTC)) {
		t.Fatalf("resolve %+v", r)
	}
	ingest(firing) // a replay of the resolved incident
	if as := e.active(t); len(as) != 0 {
		t.Errorf("replay reopened the incident: %+v", as)
	}
	if h := e.history(t, a1[0].ID); !slices.Equal(h, []string{"firing", "resolved"}) {
		t.Errorf("history %v", h)
	}
	if _, err := e.eng.Acknowledge(ctx, a1[0].ID, "x", ""); !errors.Is(err, store.ErrConflict) {
		t.Errorf("ack of resolved ingested alert: %v", err)
	}
}

func TestParseWebhookErrors(t *testing.T) {
	good := string(payload("firing", "0001-01-01T00:00:00Z"))
	tests := []struct{ name, body, want string }{
		{"the version must be 4", strings.Replace(good, `"version":"4"`, `"version":"3"`, 1), "version"},
		{"unknown fields are rejected", strings.Replace(good, `"version":"4"`, `"version":"4","extra":1`, 1), "unknown field"},
		{"an alert needs a fingerprint", strings.Replace(good, `"c0ffee0123456789"`, `""`, 1), "fingerprint"},
		{"an alert needs alertname", strings.Replace(good, `"labels":{"alertname":"Down",`, `"labels":{`, 1), "alertname"},
		{"the status is firing or resolved", strings.Replace(good, `"status":"firing","labels"`, `"status":"burning","labels"`, 1), "status"},
		{"a resolved alert needs endsAt", string(payload("resolved", "0001-01-01T00:00:00Z")), "endsAt"},
		{"trailing data is rejected", good + "{}", "trailing"},
		{"not JSON", "<xml/>", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alerting.ParseWebhook([]byte(tt.body))
			if !errors.Is(err, alerting.ErrInvalidWebhook) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalidWebhook mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := alerting.ParseWebhook([]byte(good)); err != nil {
		t.Errorf("valid payload rejected: %v", err)
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add(payload("firing", "0001-01-01T00:00:00Z"))
	f.Add(payload("resolved", "2026-03-01T11:30:00Z"))
	f.Add(payload("resolved", "2026-03-01T10:30:00Z"))
	f.Add([]byte(strings.Replace(string(payload("firing", "0001-01-01T00:00:00Z")), `"a:8000"`, `"a\u0000"`, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := alerting.ParseWebhook(b)
		if err != nil {
			return
		}
		if p.Version != "4" || len(p.Alerts) == 0 {
			t.Fatalf("accepted invalid payload %+v", p)
		}
		for _, a := range p.Alerts {
			if a.Fingerprint == "" || a.Labels["alertname"] == "" {
				t.Fatalf("accepted alert without identity %+v", a)
			}
			if a.StartsAt.Year() < 2000 || a.StartsAt.Year() > 2099 || a.StartsAt.Nanosecond()%1000 != 0 {
				t.Fatalf("accepted startsAt %s", a.StartsAt)
			}
			if !a.EndsAt.IsZero() && (a.EndsAt.Before(a.StartsAt) || a.EndsAt.Year() > 2099) {
				t.Fatalf("accepted endsAt %s (startsAt %s)", a.EndsAt, a.StartsAt)
			}
			if err := store.CheckTextMap("labels", a.Labels); err != nil {
				t.Fatalf("accepted %v", err)
			}
			if err := store.CheckTextMap("annotations", a.Annotations); err != nil {
				t.Fatalf("accepted %v", err)
			}
			if err := store.CheckText("fingerprint", a.Fingerprint); err != nil || strings.ContainsAny(a.Fingerprint, "/?#%") {
				t.Fatalf("accepted fingerprint %q", a.Fingerprint)
			}
		}
	})
}
