package app

import (
	"strings"
	"testing"
)

// FuzzParseConfig feeds arbitrary files to the config parser: it returns a
// config or one clean line (no stutter, no YAML or Go type names), never
// panics.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"",
		"links: {grafana: http://localhost:3000}\n",
		"server: {body_limit: 10, trusted_proxies: [10.0.0.0/8]}\n",
		"alerting:\n  evaluation_interval: 1s\n  rules:\n    - {name: X, kind: error_ratio, window: 30s, threshold: 0.2}\n",
		"auth:\n  keys:\n    - {name: a, role: admin, key_sha256: " + strings.Repeat("ab", 32) + "}\n",
		"ratelimit: {limits: [{route: /api/public, requests: 10, per: 1m}]}\n",
		"slos: [{name: s, route: /api/chat, objective: 0.999, window: 30d}]\n",
		"readiness: {allowed_targets: [http://127.0.0.1:8000]}\n",
		"fleet: {prometheus: {url: http://prometheus:9090, timeout: 2s, extra_matchers: '{job=\"vigil\"}', max_series: 100}}\n",
		"alertin: {}\n",
		"- a\n- b\n",
		"a: b\n---\nc: d\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			msg := err.Error()
			switch {
			case msg == "" || strings.ContainsAny(msg, "\n\r"):
				t.Fatalf("error not on one line: %q", msg)
			case strings.Contains(msg, "invalid configuration"):
				t.Fatalf("error stutters: %q", msg)
			case strings.Contains(msg, "!!") || strings.Contains(msg, "unmarshal"):
				t.Fatalf("error speaks YAML's or Go's types: %q", msg)
			}
			return
		}
		if cfg.Server.BodyLimit < 0 {
			t.Fatalf("accepted a negative body limit")
		}
	})
}
