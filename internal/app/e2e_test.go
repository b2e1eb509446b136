package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vigilBin is the real binary, built once for the end-to-end tests.
var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vigilBin = filepath.Join(dir, "vigil")
	build := exec.Command("go", "build", "-o", vigilBin, "github.com/vigilhq/vigil/cmd/vigil")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build vigil:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running vigil serve.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	URL  string
	logs *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// startVigil runs the binary on a free port with dataDir and extra env, and
// waits until /ready answers.
func startVigil(t testing.TB, dataDir string, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(vigilBin, append([]string{"serve", "--addr", addr, "--data-dir", dataDir}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{t: t, cmd: cmd, URL: "http://" + addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	require.NoError(t, cmd.Start())
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			t.Logf("vigil killed at cleanup: %v", <-p.done)
		}
		if t.Failed() {
			t.Logf("vigil logs:\n%s", p.logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.URL + "/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("vigil exited early: %v\n%s", err, p.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("vigil did not become ready\n%s", p.logs.String())
	return nil
}

func (p *proc) stop() error {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		return err
	case <-time.After(30 * time.Second):
		p.t.Fatal("vigil did not stop within 30s of SIGTERM")
		return nil
	}
}

// kill crashes vigil with SIGKILL and waits for it. The signal must be what
// ended it: a process that had already exited makes a restart test moot.
func (p *proc) kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	err := <-p.done
	var ws syscall.WaitStatus
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		ws, _ = ee.Sys().(syscall.WaitStatus)
	}
	if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("vigil was not running when killed (exit: %v)\n%s", err, p.logs.String())
	}
}

func (p *proc) do(method, path, token string, body any, hdr ...string) (*http.Response, []byte) {
	p.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(p.t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+path, r)
	require.NoError(p.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(p.t, err)
	return resp, b
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(vigilBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	require.NoError(t, err)
	return 0, o.String(), e.String()
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
		{"an unknown config section exits 1", []string{"serve", "--config", unknown, "--data-dir", t.TempDir()}, 1, "", `unknown section "alertin"`},
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

	resp, body := p.do("GET", "/api/users/42", "", nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Len(t, resp.Header.Get("X-Trace-Id"), 32)
	assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))

	resp, body = p.do("POST", "/api/chat", "", map[string]string{"message": "hello"})
	require.Equal(t, 200, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `"prompt_tokens"`)

	resp, body = p.do("GET", "/definitely/not/here", "", nil)
	assert.Equal(t, 404, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), resp.Header.Get("X-Trace-Id"))

	resp, body = p.do("GET", "/metrics", "", nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, string(body), `http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/api/users/:id"`)
	assert.NotContains(t, string(body), "/definitely/not/here")
	assert.Contains(t, string(body), `vigil_client_requests_total{http_request_method="POST",http_route="/api/chat",otel_scope_name=`)
	assert.Regexp(t, `vigil_chat_tokens_total\{.*token_type="completion",vigil_client="anonymous"\} [1-9]`, string(body))
	_, legacy := p.do("GET", "/metrics/prometheus", "", nil)
	assert.Contains(t, string(legacy), "http_server_request_duration_seconds")

	resp, body = p.do("GET", "/api/health", "", nil)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "application/health+json", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "store:responseTime")

	// Demo faults are off by default: the header is ignored.
	resp, _ = p.do("GET", "/api/users/1", "", nil, "X-Demo-Fault", "error")
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
	require.NoError(t, p.stop(), "exit status after SIGTERM")
	r := <-res
	require.NoError(t, r.err)
	assert.Equal(t, 200, r.status, "the in-flight request completes")
	assert.Contains(t, p.logs.String(), "shutting down")
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
