package alerting_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
)

// routingTree is the first thing an Alertmanager user configures:
// critical alerts page, the rest go to Slack.
const routingTree = `
alerting:
  evaluation_interval: 1s
  receivers:
    - name: slack
      slack: {url: "%s", channel: "#alerts"}
    - name: pagerduty
      pagerduty: {routing_key_env: VIGIL_TEST_PD_KEY, url: "%s"}
  route:
    receiver: slack
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 5s
    repeat_interval: 1h
    routes:
      - matchers: ["severity=critical"]
        receiver: pagerduty
`

func TestCriticalToPagerDutyTheRestToSlack(t *testing.T) {
	slack, pd := &recorder{}, &recorder{}
	slackSrv, pdSrv := slack.server(t), pd.server(t)
	t.Setenv("VIGIL_TEST_PD_KEY", "R0UTINGKEY")
	cfg, err := alerting.ParseConfig(fmt.Appendf(nil, routingTree, slackSrv.URL, pdSrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	critical := errorRule(0, 0)
	warning := errorRule(0, 0)
	warning.Name, warning.Severity = "ElevatedErrorRate", "warning"
	cfg.Rules = []alerting.Rule{critical, warning}
	ratio := 0.5
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)

	pages := pd.got()
	if len(pages) != 1 || pages[0]["event_action"] != "trigger" {
		t.Fatalf("PagerDuty got %v, want one trigger", pages)
	}
	if p, _ := pages[0]["payload"].(map[string]any); p["class"] != "HighErrorRate" || p["severity"] != "critical" {
		t.Errorf("PagerDuty was paged for %v", p)
	}
	msgs := slack.got()
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0]["text"].(string), "[FIRING:1] ElevatedErrorRate") {
		t.Fatalf("Slack got %v, want the warning only", msgs)
	}

	ratio = 0
	e.step(t, 5*time.Second)
	if got := pd.got(); len(got) != 2 || got[1]["event_action"] != "resolve" {
		t.Errorf("PagerDuty after healing: %v", got)
	}
	if got := slack.got(); len(got) != 2 || !strings.HasPrefix(got[1]["text"].(string), "[RESOLVED:1] ElevatedErrorRate") {
		t.Errorf("Slack after healing: %v", got)
	}
}

func TestTwoRoutesToOneReceiverDoNotDedupEachOther(t *testing.T) {
	hook := newHook(t)
	cfg := webhookConfig(hook.URL, errorRule(0, 0))
	cfg.Route.Routes = []alerting.ChildRoute{
		{Matchers: []string{"team=api"}, Continue: true, GroupBy: []string{"team"}},
		{Matchers: []string{"severity=~critical|error"}},
	}
	ratio := 0.5
	e := newEnv(t, cfg, ratioSeries(&ratio), nil, nil)
	e.step(t, time.Second)
	got := hook.got()
	if len(got) != 2 {
		t.Fatalf("%d notifications, want one per matching route", len(got))
	}
	keys := map[string]bool{got[0].GroupKey: true, got[1].GroupKey: true}
	for _, want := range []string{`{}/{team="api"}/0:{team="api"}`, `{}/{severity=~"critical|error"}/1:{alertname="HighErrorRate", route="/api/chat"}`} {
		if !keys[want] {
			t.Errorf("group keys %v lack %s", keys, want)
		}
	}
	e.step(t, 10*time.Second)
	if n := len(hook.got()); n != 2 {
		t.Errorf("%d notifications after another cycle: the log keeps the routes apart", n)
	}
}

func TestChildRoutesInheritWhatTheyDoNotSet(t *testing.T) {
	cfg, err := alerting.ParseConfig([]byte(`
rules: []
receivers: [{name: a}, {name: b}]
route:
  receiver: a
  group_by: [alertname]
  group_wait: 10s
  repeat_interval: 2h
  routes:
    - matchers: ["team=api"]
      group_wait: 0s
      routes:
        - matchers: ['env!="dev"']
          receiver: b
`))
	if err != nil {
		t.Fatal(err)
	}
	child := cfg.Route.Routes[0]
	if child.Receiver != "" || child.GroupWait == nil || child.GroupWait.D() != 0 || child.Routes[0].Receiver != "b" {
		t.Errorf("parsed %+v", child)
	}
}

func TestRoutingTreeErrorsNameTheKey(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"a malformed matcher", "rules: []\nreceivers: [{name: a}]\nroute:\n  routes:\n    - matchers: [severity=critical]\n    - matchers: [\"team=~(\"]\n",
			"route.routes[1].matchers[0]: invalid matcher"},
		{"a matcher without an operator", "rules: []\nroute:\n  routes: [{matchers: [severity]}]\n", "route.routes[0].matchers[0]: invalid matcher"},
		{"an unknown receiver deep in the tree", "rules: []\nreceivers: [{name: a}]\nroute:\n  routes: [{routes: [{receiver: nope}]}]\n",
			`route.routes[0].routes[0].receiver: unknown receiver "nope"`},
		{"a child's timer", "rules: []\nroute:\n  routes: [{group_interval: 0s}]\n", "route.routes[0].group_interval: must be > 0"},
		{"a child's group_by", "rules: []\nroute:\n  routes: [{group_by: ['a-b']}]\n", "route.routes[0].group_by[0]"},
		{"an unknown key in a child", "rules: []\nroute:\n  routes: [{matcher: [a=b]}]\n", "matcher"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alerting.ParseConfig([]byte(tt.yaml))
			if err == nil || !errors.Is(err, alerting.ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// downThenUp is a receiver address that refuses connections until up is
// called, then serves h there.
func downThenUp(t *testing.T, h http.Handler) (url string, up func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // down: connection refused
	return "http://" + addr, func() {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("receiver back on %s: %v", addr, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(ln) }()
		t.Cleanup(func() { srv.Close(); <-done })
	}
}
