package app_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// vigilBin is the real binary, built once for the end-to-end tests.
var vigilBin string

func TestMain(m *testing.M) { os.Exit(vigiltest.Run(m, &vigilBin)) }

// startVigil runs vigil serve on a free port with dataDir and extra env,
// and waits until /ready answers.
func startVigil(tb testing.TB, dataDir string, env []string, args ...string) *vigiltest.Proc {
	tb.Helper()
	return vigiltest.Start(tb, vigilBin, vigiltest.Options{DataDir: dataDir, Env: env, Args: args})
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIEnv(t, nil, args...)
}

func TestCommandLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("alerting:\n  rules:\n    - name: X\n      kind: nonsense\n"), 0o600))
	unknown := filepath.Join(t.TempDir(), "unknown.yaml")
	require.NoError(t, os.WriteFile(unknown, []byte("alertin: {}\n"), 0o600))
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help lists the commands", []string{"--help"}, 0, "serve", ""},
		{"serve help documents every flag", []string{"serve", "--help"}, 0, "--data-dir", ""},
		{"an unknown flag exits 2 with one line", []string{"serve", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{"an unknown command exits 2", []string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"an invalid rule exits 1 with one line", []string{"serve", "--config", bad, "--data-dir", t.TempDir()}, 1, "", "kind"},
		{"an unknown config section exits 1", []string{"serve", "--config", unknown, "--data-dir", t.TempDir()}, 1, "", `config ` + unknown + `: alertin: unknown section (known: alerting, auth,`},
		{"a missing config file exits 1", []string{"serve", "--config", "/nonexistent.yaml"}, 1, "", "read config"},
		{"a bad log format exits 2", []string{"serve", "--log-format", "xml"}, 2, "", "invalid log format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assert.Contains(t, stdout, tt.stdout)
			assert.Contains(t, stderr, tt.stderr)
			if tt.code != 0 {
				assert.Equal(t, 1, strings.Count(strings.TrimRight(stderr, "\n"), "\n")+1, "one line: %q", stderr)
			}
		})
	}
	code, _, _ := runCLI(t, "serve", "--help")
	assert.Equal(t, 0, code)
	_, out, _ := runCLI(t, "serve", "--help")
	for _, flag := range []string{"--addr", "--data-dir", "--config", "--log-format"} {
		assert.Contains(t, out, flag)
	}
}

func TestServeEndToEnd(t *testing.T) {
	p := startVigil(t, t.TempDir(), nil)

	resp, body := p.Do("GET", "/api/users/42", "", nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Len(t, resp.Header.Get("X-Trace-Id"), 32)
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))

	resp, body = p.Do("POST", "/api/chat", "", map[string]string{"message": "hello"})
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `"prompt_tokens"`)

	resp, body = p.Do("GET", "/definitely/not/here", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), resp.Header.Get("X-Trace-Id"))

	resp, body = p.Do("GET", "/metrics", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/api/users/:id"`)
	assert.NotContains(t, string(body), "/definitely/not/here")
	assert.Contains(t, string(body), `vigil_client_requests_total{http_request_method="POST",http_route="/api/chat",otel_scope_name=`)
	assert.Regexp(t, `vigil_chat_tokens_total\{.*token_type="completion",vigil_client="anonymous"\} [1-9]`, string(body))
	_, legacy := p.Do("GET", "/metrics/prometheus", "", nil)
	assert.Contains(t, string(legacy), "http_server_request_duration_seconds")

	resp, body = p.Do("GET", "/api/health", "", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/health+json", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "store:responseTime")

	// Demo faults are off by default: the header is ignored.
	resp, _ = p.Do("GET", "/api/users/1", "", nil, "X-Demo-Fault", "error")
	assert.Equal(t, 200, resp.StatusCode)
}

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	p := startVigil(t, t.TempDir(), []string{"VIGIL_DEMO_FAULTS=1"})
	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", p.URL+"/api/users/7", nil)
		req.Header.Set("X-Demo-Delay", "1500ms")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		resp.Body.Close()
		res <- result{status: resp.StatusCode}
	}()
	time.Sleep(300 * time.Millisecond) // let the request reach the handler
	require.NoError(t, p.Stop(), "exit status after SIGTERM")
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, 200, r.status, "the in-flight request completes")
	assert.Contains(t, p.Logs(), "shutting down")
	// New connections are refused once it has stopped.
	_, err := http.Get(p.URL + "/health")
	assert.Error(t, err)
}

func TestRulesExportMatchesCommittedPrometheusRules(t *testing.T) {
	code, stdout, stderr := runCLI(t, "rules", "export")
	require.Equal(t, 0, code, stderr)
	committed, err := os.ReadFile("../../prometheus/rules/alerts.yml")
	require.NoError(t, err)
	assert.Equal(t, string(committed), stdout, "regenerate with: vigil rules export > prometheus/rules/alerts.yml")
	code, _, stderr = runCLI(t, "rules", "frob")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "export or check")
}

// TestMetricsPassPromtool runs Prometheus' own linter over the exposition of
// a server that has served traffic.
func TestMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not installed (scripts/install-deps installs it)")
		}
		t.Skip("promtool not installed")
	}
	p := startVigil(t, t.TempDir(), nil)
	p.Do("GET", "/api/users/1", "", nil)
	p.Do("POST", "/api/chat", "", map[string]string{"message": "hi"})
	p.Do("GET", "/nope", "", nil)
	resp, body := p.Do("GET", "/metrics", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.CombinedOutput()
	assert.NoError(t, err, "promtool check metrics:\n%s", out)
	assert.Empty(t, strings.TrimSpace(string(out)), "promtool reports problems")
}
