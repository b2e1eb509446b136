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

// TestWebhookIDsDoNotCollide is the collision of issue 21: two webhook
// alerts whose fingerprints share their first 12 characters and whose
// startsAt is the same used to become one alert, the first one's history
// lost.
func TestWebhookIDsDoNotCollide(t *testing.T) {
	e := newEnv(t, noReceivers(), &fakeSeries{}, nil, nil)
	ctx := context.Background()
	body := strings.NewReplacer(`"fingerprint":"c0ffee0123456789"`, `"fingerprint":"abcdef123456AAAA"`).Replace(string(payload("firing", "0001-01-01T00:00:00Z")))
	body = strings.Replace(body, `}]}`, `},{"status":"firing","labels":{"alertname":"Down","instance":"b:8000"},"annotations":{},`+
		`"startsAt":"2026-03-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"abcdef123456BBBB"}]}`, 1)
	p, err := alerting.ParseWebhook([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	as, err := e.eng.IngestWebhook(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].ID == as[1].ID {
		t.Fatalf("ingested %+v, want two alerts", as)
	}
	all, err := e.st.ListAlerts(ctx, store.AlertFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("stored %d alerts (%v), want 2", len(all), err)
	}
	for _, a := range as {
		if !strings.Contains(a.ID, a.Fingerprint) {
			t.Errorf("ID %s does not carry the full fingerprint %s", a.ID, a.Fingerprint)
		}
		if h := e.history(t, a.ID); !slices.Equal(h, []string{"firing"}) {
			t.Errorf("history of %s: %v", a.Fingerprint, h)
		}
	}
}

func TestWebhookTimesAndTextAreChecked(t *testing.T) {
	good := string(payload("firing", "0001-01-01T00:00:00Z"))
	resolved := func(ends string) string { return string(payload("resolved", ends)) }
	tests := []struct{ name, body, want string }{
		{"endsAt before startsAt", resolved("2026-03-01T10:59:59Z"), "alerts[0].endsAt: must not be before startsAt"},
		{"endsAt in year 9999", resolved("9999-12-31T23:59:59Z"), "alerts[0].endsAt: must be zero or from 2000 to 2099"},
		{"startsAt in year 1", strings.Replace(good, "2026-03-01T11:00:00Z", "0001-01-01T00:00:01Z", 1), "alerts[0].startsAt: must be from 2000 to 2099"},
		{"startsAt in year 9999", strings.Replace(good, "2026-03-01T11:00:00Z", "9999-01-01T00:00:00Z", 1), "alerts[0].startsAt"},
		{"a NUL in a label", strings.Replace(good, `"instance":"a:8000"`, `"instance":"a\u0000b"`, 1), "alerts[0].labels.instance: must not contain a NUL character"},
		{"a NUL in an annotation", strings.Replace(good, `"summary":"a down"`, `"summary":"\u0000"`, 1), "alerts[0].annotations.summary"},
		{"a NUL in the fingerprint", strings.Replace(good, `"c0ffee0123456789"`, `"c0ffee\u0000"`, 1), "alerts[0].fingerprint"},
		{"a fingerprint that is not a path segment", strings.Replace(good, `"c0ffee0123456789"`, `"a/../b"`, 1), "alerts[0].fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alerting.ParseWebhook([]byte(tt.body))
			if !errors.Is(err, alerting.ErrInvalidWebhook) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrInvalidWebhook with %q", err, tt.want)
			}
		})
	}
	// Alertmanager's nanoseconds are kept at the store's precision, so a
	// replay of a resolved incident is recognised.
	p, err := alerting.ParseWebhook([]byte(strings.Replace(good, "2026-03-01T11:00:00Z", "2026-03-01T11:00:00.123456789Z", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Alerts[0].StartsAt; !got.Equal(time.Date(2026, 3, 1, 11, 0, 0, 123456000, time.UTC)) {
		t.Errorf("startsAt %s", got)
	}
}

// TestAStateChangeAndItsHistoryAreOneWrite is issue 21's lost event: a
// resolve whose comment the store refuses resolved the alert without its
// history event. Now neither is written.
func TestAStateChangeAndItsHistoryAreOneWrite(t *testing.T) {
	ratio := 0.5
	e := newEnv(t, noReceivers(errorRule(0, 0)), ratioSeries(&ratio), nil, nil)
	ctx := context.Background()
	e.step(t, time.Second)
	id := e.active(t)[0].ID
	for _, bad := range []string{"fixed\x00", "\xff"} {
		if _, err := e.eng.Resolve(ctx, id, "bob", bad); !errors.Is(err, store.ErrInvalidText) || !strings.Contains(err.Error(), "comment") {
			t.Fatalf("resolve with comment %q: %v, want ErrInvalidText naming comment", bad, err)
		}
		if _, err := e.eng.Acknowledge(ctx, id, bad, ""); !errors.Is(err, store.ErrInvalidText) || !strings.Contains(err.Error(), "by") {
			t.Fatalf("acknowledge by %q: %v, want ErrInvalidText naming by", bad, err)
		}
	}
	a, err := e.st.GetAlert(ctx, id)
	if err != nil || a.State != store.StateFiring || a.AcknowledgedAt != nil {
		t.Fatalf("alert %+v (%v): a refused action changed it", a, err)
	}
	if h := e.history(t, id); !slices.Equal(h, []string{"firing"}) {
		t.Errorf("history %v", h)
	}
	if _, err := e.eng.Resolve(ctx, id, "bob", "fixed"); err != nil {
		t.Fatal(err)
	}
	if h := e.history(t, id); !slices.Equal(h, []string{"firing", "resolved"}) {
		t.Errorf("history %v", h)
	}
}
