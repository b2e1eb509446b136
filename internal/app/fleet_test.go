package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFleetConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        []string
		stderr     string
	}{
		{"an unknown fleet key is named", "fleet:\n  prometheus: {url: http://127.0.0.1:9, urll: x}\n", nil,
			"fleet.prometheus.urll: unknown key (known: basic_auth, bearer_token_env, extra_matchers, max_series, timeout, tls_config, url)"},
		{"a bad URL from the environment is named", "", []string{"VIGIL_FLEET_PROMETHEUS=prometheus:9090"},
			"fleet.prometheus.url: want an http or https URL such as http://prometheus:9090 (from VIGIL_FLEET_PROMETHEUS)"},
		{"an unset secret is named", "fleet:\n  prometheus: {url: http://127.0.0.1:9, bearer_token_env: VIGIL_TEST_UNSET_TOKEN}\n", nil,
			"fleet.prometheus.bearer_token_env: environment variable VIGIL_TEST_UNSET_TOKEN is not set"},
		{"an unreadable CA file is named", "fleet:\n  prometheus: {url: https://127.0.0.1:9, tls_config: {ca_file: /nonexistent/ca.pem}}\n", nil,
			"fleet.prometheus.tls_config.ca_file: cannot read /nonexistent/ca.pem"},
		{"a bad extra matcher is named", "fleet:\n  prometheus: {url: http://127.0.0.1:9, extra_matchers: '{job=vigil}'}\n", nil,
			`fleet.prometheus.extra_matchers: label job: want a quoted value such as "vigil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.yaml), 0o600))
			code, _, stderr := runCLIEnv(t, tt.env, "serve", "--config", path, "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
			assert.Equal(t, 1, code, stderr)
			line := strings.TrimSpace(stderr)
			assert.True(t, strings.HasPrefix(line, "vigil serve: "), line)
			assert.True(t, strings.HasSuffix(line, tt.stderr), "names the key: %s", line)
			assert.NotContains(t, line, "\n", "one line")
		})
	}
}

func TestRulesExportWithExtraMatchers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`alerting:
  rules:
    - {name: HighErrorRate, kind: error_ratio, window: 5m, threshold: 0.05}
fleet:
  prometheus: {url: http://prometheus:9090, extra_matchers: '{job="vigil"}'}
`), 0o600))
	code, stdout, stderr := runCLI(t, "rules", "export", "--config", path)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, `http_server_request_duration_seconds_count{http_response_status_code=~"5..",job="vigil"}[5m]`,
		"the exported rule selects what the fleet-mode leader queries")
	assert.Contains(t, stdout, `http_server_request_duration_seconds_count{job="vigil"}[5m]`)
}
