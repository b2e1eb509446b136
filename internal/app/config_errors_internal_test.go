package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every config error is one line naming the key from the file's root: no
// "invalid configuration" stutter, no YAML or Go type names.
func TestConfigErrorsNameTheKey(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	tests := []struct{ name, yaml, want string }{
		{"a rule threshold out of range names the rule and the key",
			"alerting: {rules: [{name: a, kind: error_ratio, window: 1m, threshold: 0.1}, {name: b, kind: error_ratio, window: 1m, threshold: 0.1}, {name: c, kind: error_ratio, window: 1m, threshold: -1}]}",
			"alerting.rules[2].threshold: must be > 0 and <= 1"},
		{"every problem of a rule is on the one line",
			"alerting: {rules: [{name: a, kind: error_ratio, threshold: -1}]}",
			"alerting.rules[0].threshold: must be > 0 and <= 1; alerting.rules[0].window: must be > 0"},
		{"a word as the evaluation interval", "alerting: {evaluation_interval: abc}",
			`alerting.evaluation_interval: "abc" is not a valid duration such as 30s, 5m or 1h`},
		{"a word as a rule's for", "alerting: {rules: [{name: x, kind: error_ratio, window: 1m, threshold: 0.1, for: abc}]}",
			`alerting.rules[0].for: "abc" is not a valid duration such as 30s, 5m or 1h`},
		{"a mapping as a route timer", "alerting: {route: {group_wait: {a: 1}}}",
			"alerting.route.group_wait: must be a duration such as 30s, 5m or 1h"},
		{"an unknown rule kind", "alerting: {rules: [{name: a, kind: nope}]}", `alerting.rules[0].kind: unknown kind "nope"`},
		{"a list as the alerting section", "alerting: [1]", "alerting: must be a mapping"},
		{"a misspelt key inside a section", "alerting: {rulez: []}",
			"alerting.rulez: unknown key (known: evaluation_interval, external_url, receivers, route, rules, silence_retention)"},
		{"an unknown receiver in the route", "alerting: {rules: [], route: {receiver: nobody}}",
			`alerting.route.receiver: unknown receiver "nobody"`},
		{"a receiver without a URL", "alerting: {rules: [], receivers: [{name: r, webhook: {}}]}",
			"alerting.receivers[0].webhook.url: must be an http or https URL"},
		{"an SLO objective out of range", "slos: [{name: a, route: /api/chat, objective: 2}]",
			"slos[0].objective: must be between 0 and 1 (exclusive), e.g. 0.999"},
		{"an SLO without a route", "slos: [{name: a, objective: 0.9}]",
			"slos[0].route: must be a route template starting with / (or give family)"},
		{"a usage retention out of range", "usage: {retention: 1m}", "usage.retention: must be from 1h to 400d"},
		{"a console session under a minute", "console: {session_ttl: 1s}", "console.session_ttl: 1s is shorter than a minute"},
		{"an unknown role", "auth: {keys: [{name: a, role: boss, key_sha256: " + hash + "}]}",
			`auth.keys[0].role: unknown role "boss" (want admin, viewer or client)`},
		{"a key without a secret", "auth: {keys: [{name: a, role: admin}]}", "auth.keys[0]: one of key_sha256 or key_env is required"},
		{"a key_env that is not set", "auth: {keys: [{name: a, role: admin, key_env: VIGIL_TEST_UNSET_KEY}]}",
			"auth.keys[0].key_env: environment variable VIGIL_TEST_UNSET_KEY is not set"},
		{"a rate limit of zero requests", "ratelimit: {limits: [{route: /x, requests: 0, per: 1m}]}",
			"ratelimit.limits[0].requests: must be positive, got 0"},
		{"a word as a rate limit window", "ratelimit: {limits: [{route: /x, requests: 1, per: soon}]}",
			"ratelimit.limits[0].per: must be a duration such as 30s or 5m"},
		{"a word as the body limit", "server: {body_limit: abc}", "server.body_limit: must be an integer"},
		{"a negative body limit", "server: {body_limit: -1}", "server.body_limit: must not be negative"},
		{"a trusted proxy that is not a CIDR", "server: {trusted_proxies: [x]}",
			`server.trusted_proxies[0]: "x" is not a CIDR such as 10.0.0.0/8`},
		{"a readiness target of another scheme", "readiness: {allowed_targets: [ftp://x]}",
			"readiness.allowed_targets[0]: invalid target url: scheme must be http or https"},
		{"a link that is not a URL", "links: {grafana: notaurl}",
			`links.grafana: "notaurl" is not an absolute http or https URL such as http://localhost:3000`},
		{"an unknown section lists the known ones", "bogus: 1",
			"bogus: unknown section (known: alerting, auth, console, fleet, links, ratelimit, readiness, server, slos, usage)"},
		{"a section given twice", "links: {}\nlinks: {}\n", "links: given twice (lines 1 and 2)"},
		{"problems of several sections", "server: {body_limit: -1}\nlinks: {jaeger: x}\n",
			`links.jaeger: "x" is not an absolute http or https URL such as http://localhost:3000; server.body_limit: must not be negative`},
		{"a file that is a list", "- a\n- b\n", "the file must be a mapping of sections such as alerting and auth"},
		{"two documents", "links: {}\n---\nlinks: {}\n", "more than one YAML document"},
		{"a syntax error names the line", "links:\n  grafana: x\n  jaeger\n", "line 3: could not find expected ':'"},
		{"a tab for indentation", "links:\n\tgrafana: x\n", "line 2: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.yaml))
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// The command line prints the file and the key on one line.
func TestServeReportsAConfigErrorOnOneLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte("alerting:\n  rules:\n    - {name: a, kind: error_ratio, window: 1m, threshold: 0}\n"), 0o600))
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"serve", "--config", path, "--data-dir", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0"}, &stdout, &stderr)
	assert.Equal(t, ExitError, code)
	assert.Equal(t, "vigil serve: config "+path+": alerting.rules[0].threshold: must be > 0 and <= 1\n", stderr.String())

	code = Main(context.Background(), []string{"rules", "check", "--config", path}, &stdout, &stderr)
	assert.Equal(t, ExitError, code)
	assert.Contains(t, stderr.String(), "vigil rules check: config "+path+": alerting.rules[0].threshold: must be > 0 and <= 1\n")
}
