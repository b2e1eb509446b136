package app

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/security/securitytest"
)

func TestConsoleRoleMatrix(t *testing.T) {
	v := newTestVigil(t, "")
	securitytest.RunMatrix(t, v.echo, matrixKeys, []securitytest.Route{
		{Method: "GET", Path: "/ui", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/ui/assets/app.js", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/ui/session", Want: securitytest.Expect(securitytest.Viewer, 200)},
		{Method: "POST", Path: "/ui/logout", Want: securitytest.Public(303)},
	})
}

func TestConsolePagesKeepTheirCSP(t *testing.T) {
	v := newTestVigil(t, "")
	rec := httptest.NewRecorder()
	v.echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/ui", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	csp := rec.Header().Get("Content-Security-Policy")
	assert.Contains(t, csp, "script-src 'self'")
	assert.NotContains(t, csp, "unsafe-inline", "no inline script or style on the console")
	assert.Contains(t, csp, "require-trusted-types-for 'script'")
}

func TestDemoRules(t *testing.T) {
	c, err := demoAlerting()
	require.NoError(t, err)
	assert.Equal(t, time.Second, time.Duration(c.EvaluationInterval))
	names := map[string]bool{}
	for _, r := range c.Rules {
		names[r.Name] = true
		assert.LessOrEqual(t, time.Duration(r.Window), time.Minute, "%s: demo windows are seconds", r.Name)
	}
	assert.True(t, names["HighErrorRate"] && names["HighLatencyP95"])

	cfg, err := ParseConfig(nil)
	require.NoError(t, err)
	opts := Options{Demo: true}
	require.NoError(t, applyDemo(&opts, &cfg, discardLogger()))
	assert.True(t, opts.DemoFaults, "--demo turns demo faults on")
	assert.Equal(t, c.Rules[0].Name, cfg.Alerting.Rules[0].Name, "the demo rules replace the defaults")

	own, err := ParseConfig([]byte("alerting:\n  evaluation_interval: 3s\n  rules: []\n"))
	require.NoError(t, err)
	require.NoError(t, applyDemo(&opts, &own, discardLogger()))
	assert.Empty(t, own.Alerting.Rules, "a config's alerting section wins over the demo rules")

	plain, err := ParseConfig(nil)
	require.NoError(t, err)
	off := Options{}
	require.NoError(t, applyDemo(&off, &plain, discardLogger()))
	assert.False(t, off.DemoFaults)
	assert.Equal(t, "HighErrorRate", plain.Alerting.Rules[0].Name)
	assert.Greater(t, time.Duration(plain.Alerting.Rules[0].Window), time.Minute, "without --demo the production defaults apply")
}

func TestConsoleURL(t *testing.T) {
	tests := map[string]string{
		"[::]:8000":      "http://localhost:8000/ui",
		"0.0.0.0:8000":   "http://localhost:8000/ui",
		"127.0.0.1:1234": "http://127.0.0.1:1234/ui",
		"[::1]:80":       "http://[::1]:80/ui",
	}
	for in, want := range tests {
		addr, err := net.ResolveTCPAddr("tcp", in)
		require.NoError(t, err)
		assert.Equal(t, want, consoleURL(addr), in)
	}
}

func TestConsoleSection(t *testing.T) {
	cfg, err := ParseConfig([]byte("console:\n  session_ttl: 8h\n"))
	require.NoError(t, err)
	assert.Equal(t, 8*time.Hour, time.Duration(cfg.Console.SessionTTL))
	for in, want := range map[string]string{
		"console:\n  session_ttl: 10s\n": "shorter than a minute",
		"console:\n  session_tl: 1h\n":   "session_tl",
		"console:\n  session_ttl: -1h\n": "session_ttl",
	} {
		_, err := ParseConfig([]byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
