package app_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

var firstKeyRE = regexp.MustCompile(`vigil_[A-Za-z0-9_-]{43}`)

// noToken clears VIGIL_ADMIN_TOKEN in the child even when the test's own
// environment sets it.
var noToken = []string{"VIGIL_ADMIN_TOKEN="}

func firstRunKeys(p *vigiltest.Proc) []string { return firstKeyRE.FindAllString(p.Logs(), -1) }

func waitFirstRunKey(t *testing.T, p *vigiltest.Proc) string {
	t.Helper()
	require.Eventually(t, func() bool { return len(firstRunKeys(p)) > 0 }, 10*time.Second, 20*time.Millisecond,
		"no first-run key printed:\n%s", p.Logs())
	keys := firstRunKeys(p)
	require.Len(t, keys, 1, "printed once")
	return keys[0]
}

func TestFirstRunCreatesAnAdminKeyOnce(t *testing.T) {
	dir := t.TempDir()
	p := startVigil(t, dir, append(noToken, "VIGIL_LOG_FORMAT=json"))
	key := waitFirstRunKey(t, p)
	logs := p.Logs()
	assert.Contains(t, logs, p.URL+"/ui", "printed with the console's address")
	assert.GreaterOrEqual(t, len(strings.TrimPrefix(key, "vigil_")), 24)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, key) {
			assert.Equal(t, "    "+key, line, "the key appears only on its own line, never in a log record")
		}
	}

	resp, body := p.Do("GET", "/admin/security/events", key, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	// Stored as a hash only: the database file never holds the key.
	require.NoError(t, p.Stop())
	for _, name := range []string{"vigil.db", "vigil.db-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			assert.NotContains(t, string(b), key, name)
		}
	}

	// A second start on the same data dir prints no key; the first works.
	again := startVigil(t, dir, noToken)
	resp, _ = again.Do("GET", "/api/alerts", key, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, firstRunKeys(again), "never printed again")
	assert.NotContains(t, again.Logs(), "first run")

	code, out, stderr := runCLI(t, "keys", "list", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `admin\s+admin\s+store\s+.*first run`, out)
	assert.NotContains(t, out, key)
}

func TestFirstRunIsOffWithAConfiguredKey(t *testing.T) {
	t.Run("VIGIL_ADMIN_TOKEN", func(t *testing.T) {
		dir := t.TempDir()
		p := startVigil(t, dir, []string{"VIGIL_ADMIN_TOKEN=" + adminToken})
		resp, _ := p.Do("GET", "/api/alerts", adminToken, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, firstRunKeys(p))
		assert.NotContains(t, p.Logs(), "first run")
		cmd := exec.Command(vigilBin, "keys", "list", "--json", "--data-dir", dir)
		cmd.Env = append(os.Environ(), "VIGIL_ADMIN_TOKEN="+adminToken)
		out, err := cmd.Output()
		require.NoError(t, err)
		var rows []map[string]any
		require.NoError(t, json.Unmarshal(out, &rows))
		require.Len(t, rows, 1, "only the environment's key, none stored: %s", out)
		assert.Equal(t, "env VIGIL_ADMIN_TOKEN", rows[0]["source"])
		assert.NotContains(t, string(out), adminToken)
	})
	t.Run("a key in the config file", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "vigil.yaml")
		require.NoError(t, os.WriteFile(cfg, []byte("auth:\n  keys:\n    - {name: dash, role: viewer, key_env: DASH_KEY}\n"), 0o600))
		p := startVigil(t, t.TempDir(), append(noToken, "DASH_KEY=dash-key-0123456789abcdef"), "--config", cfg)
		assert.Empty(t, firstRunKeys(p))
		assert.Contains(t, p.Logs(), "no admin key", "and it says how to get one")
		resp, _ := p.Do("GET", "/api/alerts", "dash-key-0123456789abcdef", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "configured keys keep working")
	})
	t.Run("a key made with vigil keys before the first start", func(t *testing.T) {
		dir := t.TempDir()
		code, out, stderr := runCLI(t, "keys", "create", "ops", "--role", "admin", "--data-dir", dir)
		require.Equal(t, 0, code, stderr)
		key := strings.TrimSpace(out)
		p := startVigil(t, dir, noToken)
		assert.Empty(t, firstRunKeys(p))
		resp, body := p.Do("POST", "/api/silences", key, map[string]any{
			"matchers": []map[string]any{{"name": "alertname", "value": "X", "isEqual": true}}, "duration": "1h", "comment": "c"})
		assert.Equal(t, http.StatusCreated, resp.StatusCode, "the stored admin key acts: %s", body)
	})
}

func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	p := startVigil(t, dir, noToken)
	admin := waitFirstRunKey(t, p)

	code, out, stderr := runCLI(t, "keys", "create", "dash", "--role", "viewer", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	viewer := strings.TrimSpace(out)
	assert.Regexp(t, `^vigil_[A-Za-z0-9_-]{43}$`, viewer, "stdout is the key alone")
	assert.Contains(t, stderr, "shown only this once")

	resp, _ := p.Do("GET", "/api/alerts", viewer, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the running server accepts a key made beside it")
	resp, _ = p.Do("GET", "/admin/security/events", viewer, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	code, out, _ = runCLI(t, "keys", "list", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^dash\s+viewer\s+store\s+.*active$`, out)
	assert.NotContains(t, out, viewer)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"a taken name", []string{"keys", "create", "dash", "--role", "admin"}, 1, `already named "dash"`},
		{"a bad role", []string{"keys", "create", "x", "--role", "root"}, 2, `--role "root"`},
		{"no role", []string{"keys", "create", "x"}, 2, "--role"},
		{"a bad name", []string{"keys", "create", "no spaces", "--role", "viewer"}, 2, "key name"},
		{"no name", []string{"keys", "revoke"}, 2, "exactly one key name"},
		{"an unknown key", []string{"keys", "revoke", "nobody"}, 1, `no active key named "nobody"`},
		{"an unknown command", []string{"keys", "rotate"}, 2, `unknown command "rotate"`},
		{"a missing store", []string{"keys", "list", "--data-dir", "/nonexistent/vigil"}, 1, "no store at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "--data-dir") {
				args = append(args, "--data-dir", dir)
			}
			code, _, stderr := runCLI(t, args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.stderr)
			assert.Equal(t, 1, strings.Count(strings.TrimRight(stderr, "\n"), "\n")+1, "one line: %q", stderr)
		})
	}

	code, out, stderr = runCLI(t, "keys", "revoke", "dash", "--data-dir", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `revoked key "dash"`)
	resp, _ = p.Do("GET", "/api/alerts", viewer, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "revoked at once on the running server")
	resp, _ = p.Do("GET", "/api/alerts", admin, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// The name is free again.
	code, _, stderr = runCLI(t, "keys", "create", "dash", "--role", "viewer", "--data-dir", dir)
	assert.Equal(t, 0, code, stderr)
}
