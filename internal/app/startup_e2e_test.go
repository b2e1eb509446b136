package app_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLIEnv runs the binary with extra environment ("KEY=value").
func runCLIEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(vigilBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode(), o.String(), e.String()
	}
	require.NoError(t, err)
	return 0, o.String(), e.String()
}

func oneLine(t *testing.T, s string) {
	t.Helper()
	assert.Equal(t, 1, strings.Count(strings.TrimRight(s, "\n"), "\n")+1, "one line: %q", s)
}

func TestBooleanEnvironment(t *testing.T) {
	t.Run("a value ParseBool refuses exits 2 naming the variable", func(t *testing.T) {
		code, _, stderr := runCLIEnv(t, []string{"VIGIL_DEMO_FAULTS=yes"}, "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, `VIGIL_DEMO_FAULTS="yes"`)
		oneLine(t, stderr)
	})
	t.Run("true turns demo faults on", func(t *testing.T) {
		p := startVigil(t, t.TempDir(), []string{"VIGIL_DEMO_FAULTS=true"})
		resp, _ := p.Do(http.MethodGet, "/api/users/1", "", nil, "X-Demo-Fault", "error")
		assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	})
}

// TestClientCommandsTakeABaseURL: health, report and docs read --url the
// same way, as the server's base URL.
func TestClientCommandsTakeABaseURL(t *testing.T) {
	p := startVigil(t, t.TempDir(), []string{"VIGIL_ADMIN_TOKEN=base-url-admin-token-0123"})
	for _, base := range []string{p.URL, p.URL + "/"} {
		code, stdout, stderr := runCLI(t, "health", "--url", base)
		assert.Equal(t, 0, code, stderr)
		assert.Equal(t, p.URL+"/health: 200 OK\n", stdout, "health probes <url>/health, not <url>")

		code, stdout, stderr = runCLI(t, "report", "--url", base, "--token", "base-url-admin-token-0123", "--format", "csv")
		assert.Equal(t, 0, code, stderr)
		assert.NotEmpty(t, stdout)
	}
	for _, cmd := range [][]string{{"health"}, {"report"}, {"docs", "--out", t.TempDir()}} {
		code, _, stderr := runCLI(t, append(cmd, "--url", "ftp://"+strings.TrimPrefix(p.URL, "http://"))...)
		assert.Equal(t, 2, code, "%v: %s", cmd, stderr)
		assert.Contains(t, stderr, "--url must be an http or https base URL", cmd)
		oneLine(t, stderr)
	}

	dir := t.TempDir()
	code, _, stderr := runCLI(t, "docs", "--out", dir, "--url", p.URL)
	require.Equal(t, 0, code, stderr)
	for _, name := range []string{"openapi.json", "API_DOCUMENTATION.md", "index.html"} {
		b, err := os.ReadFile(dir + "/" + name)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "localhost:8000", "%s: every sample calls --url", name)
		assert.Contains(t, string(b), p.URL+"/api/chat", name)
	}
}

// TestFailedStartSaysOnlyWhy: a start that cannot listen reports that and
// nothing else (no loop stopped by the start's own cancellation).
func TestFailedStartSaysOnlyWhy(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	tests := []struct{ name, addr, want string }{
		{"a bad address", "bogus", "missing port in address"},
		{"a port in use", taken.Addr().String(), "address already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLIEnv(t, []string{"VIGIL_ADMIN_TOKEN=failed-start-admin-token"},
				"serve", "--addr", tt.addr, "--data-dir", t.TempDir(), "--log-level", "warn")
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tt.want)
			oneLine(t, stderr)
			assert.NotContains(t, stderr, "context canceled")
		})
	}
}

// TestDataDirIsLocked runs two real processes on one data dir.
func TestDataDirIsLocked(t *testing.T) {
	dir := t.TempDir()
	first := startVigil(t, dir, nil)

	code, _, stderr := runCLIEnv(t, nil, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--log-level", "warn")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, stderr, fmt.Sprintf("locked by PID %d", first.PID()), "the second process names the holder")
	oneLine(t, stderr)
	resp, _ := first.Do(http.MethodGet, "/ready", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the holder keeps serving")

	// A clean stop releases the lock; so does kill -9 (the OS drops it).
	require.NoError(t, first.Stop())
	second := startVigil(t, dir, nil)
	second.Kill()
	third := startVigil(t, dir, nil)
	resp, _ = third.Do(http.MethodGet, "/ready", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
