package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/store"
)

// memStore is a notify.Store in memory.
type memStore struct {
	fakeLog
	alerts map[string]store.Alert
}

func (m *memStore) ListOwedNotifications(_ context.Context, since time.Time) ([]store.NotificationEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.NotificationEntry
	for _, e := range m.entries {
		if !e.OwedSince.IsZero() && !e.OwedSince.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) ListAlerts(context.Context, store.AlertFilter) ([]store.Alert, error) {
	var out []store.Alert
	for _, a := range m.alerts {
		if a.State == store.StateResolved {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *memStore) GetAlert(_ context.Context, id string) (store.Alert, error) {
	a, ok := m.alerts[id]
	if !ok {
		return a, store.ErrNotFound
	}
	return a, nil
}

// request is one request a local receiver got.
type request struct {
	Method, Path, Query string
	Header              http.Header
	Body                map[string]any
}

type localReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []request
	code int // answer; 0 means 200
}

func newLocalReceiver(t *testing.T) *localReceiver {
	r := &localReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("body is not a JSON object: %s", b)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.reqs = append(r.reqs, request{req.Method, req.URL.Path, req.URL.RawQuery, req.Header.Clone(), m})
		if r.code != 0 {
			w.WriteHeader(r.code)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *localReceiver) got() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.reqs...)
}

func criticalAlert() store.Alert {
	a := firing("a1", 0)
	a.RuleName, a.Severity = "HighErrorRate", "critical"
	a.Labels = map[string]string{"alertname": "HighErrorRate", "severity": "critical", "route": "/api/chat"}
	a.Annotations = map[string]string{"summary": "Error ratio 0.5 on /api/chat"}
	a.GeneratorURL = "http://vigil.test/api/alerts/a1"
	a.TraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	return a
}

type pipe struct {
	p    *notify.Pipeline
	st   *memStore
	rec  *recorded
	logs *bytes.Buffer
}

func newPipe(t *testing.T, r notify.Receiver, env map[string]string) *pipe {
	t.Helper()
	logs := &bytes.Buffer{}
	st := &memStore{alerts: map[string]store.Alert{}}
	rec := &recorded{}
	r.Name = "ops"
	p, err := notify.New(notify.Config{
		Route:     &notify.Route{Receiver: "ops", GroupBy: []string{"alertname"}, GroupInterval: time.Second, RepeatInterval: time.Hour},
		Receivers: []notify.Receiver{r}, Store: st, Recorder: rec, ExternalURL: "http://vigil.test",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Retry:  notify.RetryConfig{Attempts: 2, Backoff: time.Millisecond, MaxBackoff: time.Millisecond},
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &pipe{p: p, st: st, rec: rec, logs: logs}
}

// cycle notifies the active alerts at t0+d and waits for the deliveries.
func (p *pipe) cycle(t *testing.T, d time.Duration, active ...store.Alert) {
	t.Helper()
	if err := p.p.Notify(context.Background(), active, t0.Add(d)); err != nil {
		t.Fatal(err)
	}
	p.p.Wait()
}

// fireThenResolve notifies one firing alert, then its resolution.
func (p *pipe) fireThenResolve(t *testing.T) {
	a := criticalAlert()
	p.cycle(t, time.Second, a)
	a.State, a.ResolvedAt = store.StateResolved, at(2*time.Second)
	p.st.alerts[a.ID] = a
	p.cycle(t, 5*time.Second)
}

func str(v any) string { s, _ := v.(string); return s }

func TestMSTeamsAdaptiveCard(t *testing.T) {
	srv := newLocalReceiver(t)
	p := newPipe(t, notify.Receiver{MSTeams: &notify.MSTeamsConfig{URL: srv.URL + "/workflows/abc"}}, nil)
	p.fireThenResolve(t)
	got := srv.got()
	if len(got) != 2 {
		t.Fatalf("%d requests, want firing and resolved", len(got))
	}
	for i, want := range []string{"[FIRING:1] HighErrorRate", "[RESOLVED:1] HighErrorRate"} {
		r := got[i]
		if r.Path != "/workflows/abc" || r.Body["type"] != "message" {
			t.Fatalf("request %+v", r)
		}
		att := r.Body["attachments"].([]any)[0].(map[string]any)
		card := att["content"].(map[string]any)
		if att["contentType"] != "application/vnd.microsoft.card.adaptive" || card["type"] != "AdaptiveCard" || card["version"] != "1.4" {
			t.Fatalf("attachment %v", att)
		}
		body := card["body"].([]any)
		if h := body[0].(map[string]any); !strings.HasPrefix(str(h["text"]), want) {
			t.Errorf("heading %v, want %q", h["text"], want)
		}
		b, _ := json.Marshal(card)
		for _, s := range []string{"Error ratio 0.5 on /api/chat", "FactSet", "4bf92f3577b34da6a3ce929d0e0e4736", "Action.OpenUrl", "http://vigil.test/api/alerts/a1"} {
			if !strings.Contains(string(b), s) {
				t.Errorf("card lacks %q: %s", s, b)
			}
		}
	}
}

func TestDiscordWebhook(t *testing.T) {
	srv := newLocalReceiver(t)
	p := newPipe(t, notify.Receiver{Discord: &notify.DiscordConfig{URL: srv.URL + "/api/webhooks/1/token"}}, nil)
	a := criticalAlert()
	a.Annotations["summary"] = strings.Repeat("x", 5000) // longer than any Discord limit
	p.cycle(t, time.Second, a)
	got := srv.got()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	m := got[0].Body
	e := m["embeds"].([]any)[0].(map[string]any)
	if c := str(m["content"]); !strings.HasPrefix(c, "[FIRING:1] HighErrorRate") || len([]rune(c)) > 2000 {
		t.Errorf("content %q", c)
	}
	if d := str(e["description"]); len([]rune(d)) > 4096 || !strings.HasSuffix(d, "…") || !strings.Contains(d, "**FIRING** HighErrorRate") {
		t.Errorf("description of %d runes: %.80q", len([]rune(d)), d)
	}
	if len([]rune(str(e["title"]))) > 256 || e["color"].(float64) == 0 {
		t.Errorf("embed %v", e)
	}
}

func TestOpsgenieCreatesAndCloses(t *testing.T) {
	srv := newLocalReceiver(t)
	const key = "og-secret-0123456789"
	p := newPipe(t, notify.Receiver{Opsgenie: &notify.OpsgenieConfig{APIKeyEnv: "OG_KEY", URL: srv.URL}}, map[string]string{"OG_KEY": key})
	p.fireThenResolve(t)
	got := srv.got()
	if len(got) != 2 {
		t.Fatalf("%d requests, want create and close", len(got))
	}
	create, closeReq := got[0], got[1]
	alias := notify.OpsgenieAlias(`{}:{alertname="HighErrorRate"}`)
	if create.Method != http.MethodPost || create.Path != "/v2/alerts" || create.Header.Get("Authorization") != "GenieKey "+key {
		t.Errorf("create %s %s auth %q", create.Method, create.Path, create.Header.Get("Authorization"))
	}
	b := create.Body
	if b["alias"] != alias || b["priority"] != "P1" || b["source"] != "Vigil" || len([]rune(str(b["message"]))) > 130 ||
		!strings.HasPrefix(str(b["message"]), "[FIRING:1] HighErrorRate") || !strings.Contains(str(b["description"]), "Error ratio 0.5") {
		t.Errorf("create body %v", b)
	}
	if closeReq.Path != "/v2/alerts/"+alias+"/close" || closeReq.Query != "identifierType=alias" ||
		closeReq.Header.Get("Authorization") != "GenieKey "+key || closeReq.Body["source"] != "Vigil" {
		t.Errorf("close %s?%s %v", closeReq.Path, closeReq.Query, closeReq.Body)
	}
}

func TestTelegramSendMessage(t *testing.T) {
	srv := newLocalReceiver(t)
	const token = "123456:telegram-secret-token"
	p := newPipe(t, notify.Receiver{Telegram: &notify.TelegramConfig{BotTokenEnv: "TG_TOKEN", ChatID: -1001234567890, URL: srv.URL}},
		map[string]string{"TG_TOKEN": token})
	a := criticalAlert()
	a.Annotations["summary"] = "p95 <1s & rising"
	p.cycle(t, time.Second, a)
	got := srv.got()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.Path != "/bot"+token+"/sendMessage" {
		t.Errorf("path %q", r.Path)
	}
	m := r.Body
	if m["chat_id"].(float64) != -1001234567890 || m["parse_mode"] != "HTML" || m["disable_web_page_preview"] != true {
		t.Errorf("message %v", m)
	}
	if txt := str(m["text"]); !strings.Contains(txt, "<b>[FIRING:1] HighErrorRate") || !strings.Contains(txt, "p95 &lt;1s &amp; rising") || len([]rune(txt)) > 4096 {
		t.Errorf("text %q", txt)
	}
}

func TestSecretsAreNeitherLoggedNorInErrors(t *testing.T) {
	const key, token = "og-secret-0123456789", "123456:telegram-secret-token"
	srv := newLocalReceiver(t)
	srv.code = http.StatusServiceUnavailable
	env := map[string]string{"OG_KEY": key, "TG_TOKEN": token}
	for name, r := range map[string]notify.Receiver{
		"opsgenie": {Opsgenie: &notify.OpsgenieConfig{APIKeyEnv: "OG_KEY", URL: srv.URL}},
		"telegram": {Telegram: &notify.TelegramConfig{BotTokenEnv: "TG_TOKEN", ChatID: 42, URL: srv.URL}},
		// A closed port: the transport error must not carry the URL.
		"telegram unreachable": {Telegram: &notify.TelegramConfig{BotTokenEnv: "TG_TOKEN", ChatID: 42, URL: "http://127.0.0.1:1"}},
	} {
		t.Run(name, func(t *testing.T) {
			p := newPipe(t, r, env)
			p.cycle(t, time.Second, criticalAlert())
			var failed int
			for _, ev := range p.rec.events {
				if ev.Kind == "notify_failed" {
					failed++
				}
				for _, v := range ev.Details {
					if strings.Contains(v, key) || strings.Contains(v, token) {
						t.Errorf("history event %s carries the secret: %v", ev.Kind, ev.Details)
					}
				}
			}
			if failed == 0 {
				t.Fatal("no failure recorded: the test checks nothing")
			}
			if l := p.logs.String(); strings.Contains(l, key) || strings.Contains(l, token) || !strings.Contains(l, "notification failed") {
				t.Errorf("logs:\n%s", l)
			}
		})
	}
}

func TestUnsetSecretIsAConfigErrorNamingTheKey(t *testing.T) {
	for _, tt := range []struct {
		r    notify.Receiver
		want string
	}{
		{notify.Receiver{Name: "og", Opsgenie: &notify.OpsgenieConfig{APIKeyEnv: "OG_KEY"}}, "receivers[0].opsgenie.api_key_env: environment variable OG_KEY is not set"},
		{notify.Receiver{Name: "tg", Telegram: &notify.TelegramConfig{BotTokenEnv: "TG_TOKEN", ChatID: 1}}, "receivers[0].telegram.bot_token_env: environment variable TG_TOKEN is not set"},
		{notify.Receiver{Name: "pd", PagerDuty: &notify.PagerDutyConfig{RoutingKeyEnv: "PD_KEY"}}, "receivers[0].pagerduty.routing_key_env: environment variable PD_KEY is not set"},
	} {
		_, err := notify.New(notify.Config{Route: &notify.Route{Receiver: tt.r.Name}, Receivers: []notify.Receiver{tt.r},
			Store: &memStore{}, Recorder: &recorded{}, LookupEnv: func(string) (string, bool) { return "", false }})
		if err == nil || err.Error() != tt.want {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestValidateReceivers(t *testing.T) {
	err := notify.ValidateReceivers([]notify.Receiver{
		{Name: "a", Opsgenie: &notify.OpsgenieConfig{URL: "ftp://x"}},
		{Name: "a", Telegram: &notify.TelegramConfig{}, Discord: &notify.DiscordConfig{URL: "nope"}, MSTeams: &notify.MSTeamsConfig{}},
	})
	for _, want := range []string{
		"receivers[0].opsgenie.api_key_env: required", "receivers[0].opsgenie.url: must be an http or https URL",
		`receivers[1].name: duplicate receiver "a"`, "receivers[1].telegram.bot_token_env: required", "receivers[1].telegram.chat_id: required",
		"receivers[1].discord.url: must be an http or https URL", "receivers[1].msteams.url: must be an http or https URL",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
}
