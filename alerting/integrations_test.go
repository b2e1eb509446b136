package alerting_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	smtpd "github.com/emersion/go-smtp"

	"github.com/vigilhq/vigil/alerting"
)

type recorder struct {
	mu     sync.Mutex
	bodies []map[string]any
	codes  []int
}

func (r *recorder) server(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(req.Body).Decode(&m); err != nil {
			t.Errorf("decode: %v", err)
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if len(r.codes) > 0 {
			c := r.codes[0]
			r.codes = r.codes[1:]
			w.WriteHeader(c)
			return
		}
		r.bodies = append(r.bodies, m)
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(s.Close)
	return s
}

func (r *recorder) got() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.bodies...)
}

func withReceiver(rule alerting.Rule, recv alerting.Receiver) alerting.Config {
	cfg := webhookConfig("", rule)
	recv.Name = "ops"
	cfg.Receivers = []alerting.Receiver{recv}
	return cfg
}

func TestPagerDutyEvents(t *testing.T) {
	rec := &recorder{codes: []int{429}}
	srv := rec.server(t)
	ratio := 0.5
	cfg := withReceiver(errorRule(0, 0), alerting.Receiver{PagerDuty: &alerting.PagerDutyConfig{RoutingKey: "R0UTINGKEY", URL: srv.URL}})
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second) // 429 then retried
	got := rec.got()
	if len(got) != 1 {
		t.Fatalf("%d events after a 429, want 1", len(got))
	}
	ev := got[0]
	fp := e.active(t)[0].Fingerprint
	if ev["event_action"] != "trigger" || ev["routing_key"] != "R0UTINGKEY" || ev["dedup_key"] != fp {
		t.Errorf("trigger %v", ev)
	}
	p, _ := ev["payload"].(map[string]any)
	if p["severity"] != "critical" || p["summary"] != "Error ratio 0.5 on /api/chat" || p["source"] != "http://vigil.test" ||
		p["component"] != "/api/chat" || p["class"] != "HighErrorRate" || p["timestamp"] != "2026-03-01T12:00:01Z" {
		t.Errorf("payload %v", p)
	}
	if d, _ := p["custom_details"].(map[string]any); d["trace_id"] != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("custom_details %v", d)
	}

	if _, err := e.eng.Acknowledge(context.Background(), e.active(t)[0].ID, "alice", ""); err != nil {
		t.Fatal(err)
	}
	e.step(t, 5*time.Second)
	ratio = 0
	e.step(t, 5*time.Second)
	got = rec.got()
	var actions []string
	for _, g := range got {
		actions = append(actions, g["event_action"].(string))
		if g["dedup_key"] != fp {
			t.Errorf("dedup_key %v, want %s", g["dedup_key"], fp)
		}
	}
	if strings.Join(actions, ",") != "trigger,acknowledge,resolve" {
		t.Errorf("actions %v", actions)
	}
}

func TestSlackMessage(t *testing.T) {
	rec := &recorder{}
	srv := rec.server(t)
	ratio := 0.5
	cfg := withReceiver(errorRule(0, 0), alerting.Receiver{Slack: &alerting.SlackConfig{URL: srv.URL, Channel: "#ops"}})
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	got := rec.got()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	m := got[0]
	if m["channel"] != "#ops" || !strings.HasPrefix(m["text"].(string), "[FIRING:1] HighErrorRate") {
		t.Errorf("message %v", m)
	}
	b, _ := json.Marshal(m["blocks"])
	if !strings.Contains(string(b), "Error ratio 0.5 on /api/chat") || !strings.Contains(string(b), "4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("blocks %s", b)
	}
}

type mailBackend struct {
	mu   sync.Mutex
	msgs []mail
}

type mail struct {
	from string
	to   []string
	data string
}

type mailSession struct {
	b *mailBackend
	m mail
}

func (b *mailBackend) NewSession(*smtpd.Conn) (smtpd.Session, error) { return &mailSession{b: b}, nil }
func (s *mailSession) Reset()                                        { s.m = mail{} }
func (s *mailSession) Logout() error                                 { return nil }
func (s *mailSession) Mail(from string, _ *smtpd.MailOptions) error {
	s.m.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtpd.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.m)
	s.b.mu.Unlock()
	return nil
}

func TestEmailOverSMTP(t *testing.T) {
	be := &mailBackend{}
	srv := smtpd.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })

	ratio := 0.5
	cfg := withReceiver(errorRule(0, 0), alerting.Receiver{Email: &alerting.EmailConfig{
		SMTP: ln.Addr().String(), From: "vigil@example.com", To: []string{"ops@example.com", "dev@example.com"}}})
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.msgs) != 1 {
		t.Fatalf("%d mails", len(be.msgs))
	}
	m := be.msgs[0]
	if m.from != "vigil@example.com" || strings.Join(m.to, ",") != "ops@example.com,dev@example.com" {
		t.Errorf("envelope %+v", m)
	}
	for _, want := range []string{"Subject: [FIRING:1] HighErrorRate", "Error ratio 0.5 on /api/chat", "trace_id: 4bf92f3577b34da6a3ce929d0e0e4736"} {
		if !strings.Contains(m.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, m.data)
		}
	}
}
