package alerting_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/alerting"
)

const issueExample = `
alerting:
  evaluation_interval: 1s
  rules:
    - name: HighErrorRate
      kind: error_ratio
      route: /api/chat
      window: 30s
      threshold: 0.2
      resolve_threshold: 0.1
      for: 2s
      keep_firing_for: 0s
      severity: critical
      labels: {team: api}
      annotations: {summary: "Error ratio {{ .Value }} on {{ .Labels.route }}"}
  receivers:
    - name: ops
      webhook: {url: "http://127.0.0.1:9999/hook"}
  route:
    receiver: ops
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 5s
    repeat_interval: 1h
`

func TestParseConfigIssueExample(t *testing.T) {
	cfg, err := alerting.ParseConfig([]byte(issueExample))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules[0]
	if cfg.EvaluationInterval.D() != time.Second || len(cfg.Rules) != 1 || r.Threshold != 0.2 ||
		*r.ResolveThreshold != 0.1 || r.For.D() != 2*time.Second || r.Labels["team"] != "api" ||
		cfg.Route.RepeatInterval.D() != time.Hour || cfg.Receivers[0].Webhook.URL != "http://127.0.0.1:9999/hook" {
		t.Errorf("parsed %+v", cfg)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := alerting.ParseConfig([]byte("evaluation_interval: 2s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Rules) != len(alerting.DefaultRules()) || cfg.EvaluationInterval.D() != 2*time.Second {
		t.Errorf("defaults not applied: %d rules, %s", len(cfg.Rules), cfg.EvaluationInterval)
	}
	if cfg.SilenceRetention.D() != 120*time.Hour {
		t.Errorf("silence retention %s, want Alertmanager's 120h", cfg.SilenceRetention)
	}
	cfg, err = alerting.ParseConfig([]byte("rules: []\n"))
	if err != nil || len(cfg.Rules) != 0 {
		t.Errorf("explicit empty rules: %d rules, %v", len(cfg.Rules), err)
	}
	burn := 0
	for _, r := range alerting.DefaultRules() {
		if r.Kind == alerting.KindSLOBurnRate {
			burn++
		}
	}
	if burn != 3 {
		t.Errorf("%d burn-rate rules, want 3", burn)
	}
}

func TestParseConfigErrors(t *testing.T) {
	rule := func(extra string) string {
		return "rules:\n  - name: R\n    kind: error_ratio\n    window: 1m\n    threshold: 0.1\n" + extra
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"an unknown key is rejected", "evaluation_intervall: 1s\n", "evaluation_intervall"},
		{"a malformed duration names the value", "evaluation_interval: soon\n", `"soon"`},
		{"silences are kept at least an hour", "silence_retention: 30m\n", "silence_retention: must be at least 1h (default 120h)"},
		{"a zero silence retention is refused, not the default", "silence_retention: 0s\n", "silence_retention: must be at least 1h"},
		{"a rule needs a name", "rules:\n  - kind: absent\n    window: 1m\n", "rules[0].name: required"},
		{"an unknown kind is rejected", "rules:\n  - name: R\n    kind: magic\n    window: 1m\n", `rules[0].kind: unknown kind "magic"`},
		{"an error ratio above one is rejected", "rules:\n  - name: R\n    kind: error_ratio\n    window: 1m\n    threshold: 2\n", "rules[0].threshold"},
		{"a quantile must lie in (0,1)", "rules:\n  - name: R\n    kind: latency_quantile\n    window: 1m\n    threshold: 1\n    quantile: 95\n", "rules[0].quantile"},
		{"the resolve threshold must be below the threshold", rule("    resolve_threshold: 0.5\n"), "rules[0].resolve_threshold: must be < threshold"},
		{"a window is required", "rules:\n  - name: R\n    kind: request_rate\n    threshold: 1\n", "rules[0].window: must be > 0"},
		{"the short window must be shorter", "rules:\n  - name: R\n    kind: slo_burn_rate\n    objective: 0.999\n    long_window: 5m\n    short_window: 1h\n    factor: 14.4\n", "rules[0].short_window"},
		{"saturation needs a metric", "rules:\n  - name: R\n    kind: saturation\n    threshold: 1\n", "rules[0].metric: required"},
		{"severity is a known level", rule("    severity: apocalyptic\n"), "rules[0].severity"},
		{"a broken annotation template is reported", rule("    annotations: {summary: '{{ .Value '}\n"), "rules[0].annotations.summary"},
		{"duplicate rule names are rejected", rule("  - name: R\n    kind: absent\n    window: 1m\n"), `rules[1].name: duplicate rule "R"`},
		{"the route names a known receiver", "rules: []\nreceivers: [{name: a}]\nroute: {receiver: b}\n", `route.receiver: unknown receiver "b"`},
		{"webhook URLs are http(s)", "rules: []\nreceivers: [{name: a, webhook: {url: 'ftp://x'}}]\n", "receivers[0].webhook.url"},
		{"email needs host:port", "rules: []\nreceivers: [{name: a, email: {smtp: mail, from: a@b, to: [c@d]}}]\n", "receivers[0].email.smtp"},
		{"pagerduty needs a routing key", "rules: []\nreceivers: [{name: a, pagerduty: {}}]\n", "receivers[0].pagerduty.routing_key"},
		{"group_by takes label names", "rules: []\nroute: {group_by: ['a-b']}\n", "route.group_by[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := alerting.ParseConfig([]byte(tt.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, alerting.ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
		})
	}
}

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := alerting.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(issueExample))
	f.Add([]byte("rules: []\n"))
	f.Add([]byte("evaluation_interval: 3d\nroute: {group_wait: 1h30m}\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := alerting.ParseConfig(b)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed config fails validation: %v", err)
		}
		if _, err := alerting.PrometheusRules(cfg); err != nil {
			t.Fatalf("valid config has no Prometheus rules: %v", err)
		}
	})
}
