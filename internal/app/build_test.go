package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/security/securitytest"
)

var matrixKeys = map[string]string{
	securitytest.Client: "client-key-0123456789",
	securitytest.Viewer: "viewer-key-0123456789",
	securitytest.Admin:  "admin-key-0123456789",
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// newTestVigil wires a whole Vigil in-process on a temp data dir.
func newTestVigil(t *testing.T, extraConfig string) *vigil {
	t.Helper()
	yaml := "auth:\n  keys:\n" +
		"    - {name: app, role: client, key_sha256: " + sha(matrixKeys[securitytest.Client]) + "}\n" +
		"    - {name: dash, role: viewer, key_sha256: " + sha(matrixKeys[securitytest.Viewer]) + "}\n" +
		"    - {name: ops, role: admin, key_sha256: " + sha(matrixKeys[securitytest.Admin]) + "}\n" + extraConfig
	cfg, err := ParseConfig([]byte(yaml))
	require.NoError(t, err)
	v, err := build(context.Background(), Options{DataDir: t.TempDir()}, cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { v.close(context.Background()) })
	return v
}

func TestDocumentCoversEveryServedRoute(t *testing.T) {
	v := newTestVigil(t, "")
	require.NoError(t, apidocs.Check(v.echo.Routes(), v.docs.reg))
	doc := v.docs.doc.Load()
	require.NotNil(t, doc)
	require.NoError(t, doc.Validate(context.Background()))
	for _, path := range []string{"/api/chat", "/api/alerts/{id}/acknowledge", "/api/silences", "/ws/metrics"} {
		assert.NotNil(t, doc.Paths.Find(path), path)
	}
}

func TestRoleMatrix(t *testing.T) {
	v := newTestVigil(t, "")
	viewer, admin := securitytest.Expect(securitytest.Viewer, 200), securitytest.Expect(securitytest.Admin, 200)
	routes := []securitytest.Route{
		{Method: "GET", Path: "/health", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/ready", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/metrics", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/health/security", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/api/public", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/api/users/1", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/api/alerts", Want: viewer},
		{Method: "GET", Path: "/api/alerts?state=firing", Want: viewer},
		{Method: "GET", Path: "/api/alerts/rules", Want: viewer},
		{Method: "GET", Path: "/api/alerts/nope", Want: securitytest.Expect(securitytest.Viewer, 404)},
		{Method: "GET", Path: "/api/alerts/nope/history", Want: securitytest.Expect(securitytest.Viewer, 404)},
		{Method: "GET", Path: "/api/silences", Want: viewer},
		{Method: "POST", Path: "/api/alerts/nope/acknowledge", Body: `{"by":"ana"}`, Want: securitytest.Expect(securitytest.Admin, 404)},
		{Method: "POST", Path: "/api/alerts/nope/resolve", Body: `{"by":"ana"}`, Want: securitytest.Expect(securitytest.Admin, 404)},
		{Method: "POST", Path: "/api/silences", Body: `{"matchers":[{"name":"alertname","value":"X","isEqual":true}],"duration":"1h","createdBy":"ana","comment":"c"}`,
			Want: securitytest.Expect(securitytest.Admin, 201)},
		{Method: "DELETE", Path: "/api/silences/nope", Want: securitytest.Expect(securitytest.Admin, 404)},
		{Method: "POST", Path: "/api/alerts/webhook", Body: `{}`, Want: securitytest.Expect(securitytest.Admin, 400)},
		{Method: "GET", Path: "/admin/security/events", Want: admin},
		{Method: "POST", Path: "/api/readiness/runs", Body: `{"target":"http://evil.example"}`, Want: securitytest.Expect(securitytest.Admin, 403)},
		{Method: "GET", Path: "/api/readiness/runs/nope", Want: securitytest.Expect(securitytest.Admin, 404)},
		{Method: "GET", Path: "/api/readiness/runs", Want: admin},
		{Method: "GET", Path: "/api/metrics/requests?minutes=5", Want: viewer},
		{Method: "GET", Path: "/api/metrics/performance?minutes=5", Want: viewer},
		{Method: "GET", Path: "/api/metrics/system?last_hours=1", Want: viewer},
		{Method: "GET", Path: "/api/usage?minutes=60", Want: viewer},
		{Method: "GET", Path: "/api/traces?kind=error", Want: viewer},
		{Method: "GET", Path: "/api/traces/export?minutes=5", Want: viewer},
		{Method: "GET", Path: "/api/slos", Want: viewer},
		{Method: "GET", Path: "/api/reports?format=csv", Want: viewer},
		{Method: "GET", Path: "/openapi.json", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/docs", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/", Want: securitytest.Public(200)},
		{Method: "GET", Path: "/api/health", Want: securitytest.Public(200)},
		// Without an Upgrade header a permitted caller gets the WebSocket
		// handshake error, everyone else the auth error first.
		{Method: "GET", Path: "/ws/metrics", Want: securitytest.Expect(securitytest.Viewer, 426)},
	}
	securitytest.RunMatrix(t, v.echo, matrixKeys, routes)
}

func TestReadinessOfVigilItself(t *testing.T) {
	v := newTestVigil(t, "")
	srv := httptest.NewServer(v.echo)
	defer srv.Close()
	chk, err := readiness.New(readiness.Config{
		BaseURL: srv.URL,
		Token:   matrixKeys[securitytest.Admin],
		Timeout: 5 * time.Second,
		Perf:    readiness.PerfConfig{Requests: 100, Concurrency: 4},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := chk.Run(ctx)
	require.NoError(t, err)
	var problems []string
	for _, cat := range rep.Categories {
		for _, c := range cat.Checks {
			if c.Result == readiness.Warn || c.Result == readiness.Fail {
				problems = append(problems, cat.ID+": "+c.Title+": "+c.Result+": "+c.Detail)
			}
		}
	}
	t.Logf("score %.1f grade %s; warnings and failures:\n%s", rep.Score, rep.Grade, strings.Join(problems, "\n"))
	assert.Contains(t, []string{"A+", "A"}, rep.Grade)
	assert.Zero(t, rep.Summary.Errors, "every probe reached Vigil")
	assert.NoError(t, readiness.Explained(rep), "every warning is explained")
}

func TestComposeConfigIsValid(t *testing.T) {
	cfg, err := LoadConfig("../../config/vigil.yaml")
	require.NoError(t, err)
	assert.Len(t, cfg.Readiness.AllowedTargets, 1)
	assert.NotEmpty(t, cfg.Links.Grafana)
}
