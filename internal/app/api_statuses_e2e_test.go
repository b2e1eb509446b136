package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

const (
	stAdmin  = "statuses-admin-key-0123456789"
	stViewer = "statuses-viewer-key-0123456789"
	stClient = "statuses-client-key-0123456789"
)

// notDriven are documented statuses the probes below do not reach, each
// with why. TestHandlerStatusesAreDocumented finds each in its handler's
// code, so none is documentation without code behind it.
var notDriven = map[string]map[int]string{
	"POST /api/readiness/runs": {http.StatusTooManyRequests: "needs more concurrent runs than a test should start"},
	"GET /ws/metrics":          {http.StatusServiceUnavailable: "needs 100 open streams"},
}

// statusProbe is one request and the status it must get.
type statusProbe struct {
	method, path, token string
	body                []byte
	ctype               string
	header              http.Header // more request headers
	want                int
}

type statusRun struct {
	t      *testing.T
	p      *vigiltest.Proc
	doc    *openapi3.T
	driven map[string]map[int]bool // "METHOD /openapi/path" → statuses seen
	client *http.Client
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// operation finds the documented operation serving method and a concrete
// path, and its key.
func (r *statusRun) operation(method, path string) (*openapi3.Operation, string) {
	r.t.Helper()
	path, _, _ = strings.Cut(path, "?")
	for _, tmpl := range r.doc.Paths.InMatchingOrder() {
		if matchTemplate(tmpl, path) {
			if o := r.doc.Paths.Value(tmpl).GetOperation(method); o != nil {
				return o, method + " " + tmpl
			}
		}
	}
	r.t.Fatalf("%s %s: no documented operation", method, path)
	return nil, ""
}

func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		param := strings.HasPrefix(ts[i], "{") && ps[i] != ""
		if !param && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

// do sends pr, asserts its status and that the document lists it, and
// returns the body.
func (r *statusRun) do(pr statusProbe) []byte {
	r.t.Helper()
	_, b := r.send(pr)
	return b
}

// send is do, returning the response (its body read) too.
func (r *statusRun) send(pr statusProbe) (*http.Response, []byte) {
	r.t.Helper()
	var body io.Reader
	if pr.body != nil {
		body = bytes.NewReader(pr.body)
	}
	req, err := http.NewRequestWithContext(r.t.Context(), pr.method, r.p.URL+pr.path, body)
	require.NoError(r.t, err)
	if pr.body != nil {
		ct := pr.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if pr.token != "" {
		req.Header.Set("Authorization", "Bearer "+pr.token)
	}
	for k, vs := range pr.header {
		req.Header[k] = vs
	}
	resp, err := r.client.Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	r.record(pr.method, pr.path, resp.StatusCode)
	assert.Equal(r.t, pr.want, resp.StatusCode, "%s %s: %s", pr.method, pr.path, b)
	return resp, b
}

func (r *statusRun) record(method, path string, status int) {
	r.t.Helper()
	o, key := r.operation(method, path)
	if r.driven[key] == nil {
		r.driven[key] = map[int]bool{}
	}
	r.driven[key][status] = true
	assert.NotNil(r.t, o.Responses.Value(strconv.Itoa(status)),
		"%s answered %d, which the OpenAPI document does not list for %s", path, status, key)
}

// flood repeats pr until the rate limit answers 429.
func (r *statusRun) flood(pr statusProbe) {
	r.t.Helper()
	for range 20 {
		req, err := http.NewRequestWithContext(r.t.Context(), pr.method, r.p.URL+pr.path, bytes.NewReader(pr.body))
		require.NoError(r.t, err)
		if pr.body != nil {
			ct := pr.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		if pr.token != "" {
			req.Header.Set("Authorization", "Bearer "+pr.token)
		}
		resp, err := r.client.Do(req)
		require.NoError(r.t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		r.record(pr.method, pr.path, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			return
		}
	}
	r.t.Errorf("%s %s never answered 429", pr.method, pr.path)
}

// TestAPIStatusesMatchTheDocument drives every documented operation of a
// real server (PostgreSQL behind a proxy the test can cut) to each status
// the document lists for it: every answer must be documented, and every
// documented status must be answered (500, and the few in notDriven,
// excepted).
func TestAPIStatusesMatchTheDocument(t *testing.T) {
	proxy, storeDSN := proxiedStore(t, "statuses")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	t.Cleanup(target.Close)

	cfg := fmt.Sprintf(`
alerting:
  evaluation_interval: 1s
auth:
  keys:
    - {name: app, role: client, key_env: ST_CLIENT_KEY}
    - {name: dash, role: viewer, key_env: ST_VIEWER_KEY}
ratelimit:
  limits:
    - {route: /api/public, requests: 3, per: 1h}
    - {route: /api/chat, requests: 5, per: 1h}
    - {route: "/api/users/:id", requests: 5, per: 1h}
    - {route: /api/login, requests: 5, per: 1h}
readiness:
  allowed_targets: [%s]
slos:
  - {name: users, route: "/api/users/:id", objective: 0.9}
fleet:
  prometheus:
    url: http://%s
`, target.URL, vigiltest.FreeAddr(t))
	cfgPath := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	p := startVigil(t, t.TempDir(), []string{"VIGIL_ADMIN_TOKEN=" + stAdmin, "ST_VIEWER_KEY=" + stViewer, "ST_CLIENT_KEY=" + stClient,
		"VIGIL_STORE=" + storeDSN},
		"--config", cfgPath)

	resp, raw := p.Do(http.MethodGet, "/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	doc, err := apidocs.Load(raw)
	require.NoError(t, err)
	// Redirects are not followed: a 303 is the status of the route that
	// answered it.
	r := &statusRun{t: t, p: p, doc: doc, driven: map[string]map[int]bool{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	t.Cleanup(r.client.CloseIdleConnections)

	// An alert to act on, from Alertmanager's webhook.
	hook := alerting.WebhookPayload{
		Version: "4", GroupKey: `{}:{alertname="StatusProbe"}`, Status: "firing", Receiver: "vigil",
		GroupLabels: map[string]string{"alertname": "StatusProbe"}, CommonLabels: map[string]string{"alertname": "StatusProbe"},
		CommonAnnotations: map[string]string{}, ExternalURL: "http://alertmanager:9093",
		Alerts: []alerting.WebhookAlert{{Status: "firing", Labels: map[string]string{"alertname": "StatusProbe"},
			Annotations: map[string]string{"summary": "probe"}, GeneratorURL: "http://prometheus:9090/graph",
			StartsAt: time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond), Fingerprint: "5a7c0e1d2b3f4a69"}},
	}
	var created server.WebhookResult
	require.NoError(t, json.Unmarshal(r.do(statusProbe{method: "POST", path: "/api/alerts/webhook", token: stAdmin,
		body: jsonBody(t, hook), want: 200}), &created))
	require.Len(t, created.Alerts, 1)
	id := created.Alerts[0].ID

	big := bytes.Repeat([]byte("x"), server.DefaultBodyLimit+1)
	bigJSON := append(append([]byte(`{"message":"`), big...), '"', '}')
	action := jsonBody(t, server.AlertAction{By: "ana", Comment: "probe"})
	silence := jsonBody(t, server.SilenceRequest{Matchers: []store.Matcher{{Name: "alertname", Value: "StatusProbe", IsEqual: true}},
		Duration: "1h", CreatedBy: "ana", Comment: "probe"})
	probes := []statusProbe{
		{method: "GET", path: "/", want: 200},
		{method: "GET", path: "/health", want: 200},
		{method: "GET", path: "/ready", want: 200},
		{method: "GET", path: "/api/health", want: 200},
		{method: "GET", path: "/metrics", want: 200},
		{method: "GET", path: "/metrics/prometheus", want: 200},
		{method: "GET", path: "/openapi.json", want: 200},
		{method: "GET", path: "/docs", want: 200},
		{method: "GET", path: "/health/security", want: 200},

		{method: "GET", path: "/ws/metrics", want: 401},
		{method: "GET", path: "/ws/metrics", token: stClient, want: 403},
		{method: "GET", path: "/ws/metrics", token: stViewer, want: 426},

		{method: "POST", path: "/api/chat", token: stClient, body: []byte(`{"message":"what is a tensor"}`), want: 200},
		{method: "POST", path: "/api/chat", token: stClient, body: []byte(`{}`), want: 400},
		{method: "POST", path: "/api/chat", token: stClient, body: bigJSON, want: 413},
		{method: "POST", path: "/api/chat", token: stClient, body: []byte(`hello`), ctype: "text/plain", want: 415},
		{method: "GET", path: "/api/users/7", token: stClient, want: 200},
		{method: "GET", path: "/api/users/abc", token: stClient, want: 400},
		{method: "GET", path: "/api/users/5000", token: stClient, want: 404},
		{method: "POST", path: "/api/login", token: stClient, body: jsonBody(t, server.LoginRequest{Username: server.DemoUsername, Password: server.DemoPassword}), want: 200},
		{method: "POST", path: "/api/login", token: stClient, body: []byte(`{"username":"learner"}`), want: 400},
		{method: "POST", path: "/api/login", token: stClient, body: jsonBody(t, server.LoginRequest{Username: "learner", Password: "wrong"}), want: 401},
		{method: "POST", path: "/api/login", token: stClient, body: append([]byte(`{"username":"`), append(big, '"', '}')...), want: 413},
		{method: "POST", path: "/api/login", token: stClient, body: []byte(`x`), ctype: "text/plain", want: 415},
		{method: "GET", path: "/api/public", want: 200},

		{method: "GET", path: "/api/alerts", token: stViewer, want: 200},
		{method: "GET", path: "/api/alerts?state=bogus", token: stViewer, want: 400},
		{method: "GET", path: "/api/alerts", want: 401},
		{method: "GET", path: "/api/alerts", token: stClient, want: 403},
		{method: "GET", path: "/api/alerts/rules", token: stViewer, want: 200},
		{method: "GET", path: "/api/alerts/rules", want: 401},
		{method: "GET", path: "/api/alerts/rules", token: stClient, want: 403},
		{method: "GET", path: "/api/alerts/" + id, token: stViewer, want: 200},
		{method: "GET", path: "/api/alerts/nope", token: stViewer, want: 404},
		{method: "GET", path: "/api/alerts/" + id, want: 401},
		{method: "GET", path: "/api/alerts/" + id, token: stClient, want: 403},
		{method: "GET", path: "/api/alerts/" + id + "/history", token: stViewer, want: 200},
		{method: "GET", path: "/api/alerts/nope/history", token: stViewer, want: 404},
		{method: "GET", path: "/api/alerts/" + id + "/history", want: 401},
		{method: "GET", path: "/api/alerts/" + id + "/history", token: stClient, want: 403},
	}
	for _, verb := range []string{"acknowledge", "resolve"} {
		path := "/api/alerts/" + id + "/" + verb
		probes = append(probes,
			statusProbe{method: "POST", path: path, token: stAdmin, body: []byte(`{"by":5}`), want: 400},
			statusProbe{method: "POST", path: path, body: action, want: 401},
			statusProbe{method: "POST", path: path, token: stViewer, body: action, want: 403},
			statusProbe{method: "POST", path: "/api/alerts/nope/" + verb, token: stAdmin, body: action, want: 404},
			statusProbe{method: "POST", path: path, token: stAdmin, body: append(append([]byte(`{"by":"`), big...), '"', '}'), want: 413},
			statusProbe{method: "POST", path: path, token: stAdmin, body: []byte(`by=ana`), ctype: "application/x-www-form-urlencoded", want: 415},
		)
	}
	probes = append(probes,
		statusProbe{method: "POST", path: "/api/alerts/" + id + "/acknowledge", token: stAdmin, body: action, want: 200},
		statusProbe{method: "POST", path: "/api/alerts/" + id + "/resolve", token: stAdmin, body: action, want: 200},
		statusProbe{method: "POST", path: "/api/alerts/" + id + "/resolve", token: stAdmin, body: action, want: 409},
		statusProbe{method: "POST", path: "/api/alerts/" + id + "/acknowledge", token: stAdmin, body: action, want: 409},

		statusProbe{method: "POST", path: "/api/alerts/webhook", token: stAdmin, body: []byte(`{}`), want: 400},
		statusProbe{method: "POST", path: "/api/alerts/webhook", body: jsonBody(t, hook), want: 401},
		statusProbe{method: "POST", path: "/api/alerts/webhook", token: stViewer, body: jsonBody(t, hook), want: 403},
		statusProbe{method: "POST", path: "/api/alerts/webhook", token: stAdmin, body: bigJSON, want: 413},
		statusProbe{method: "POST", path: "/api/alerts/webhook", token: stAdmin, body: []byte(`x`), ctype: "text/plain", want: 415},

		statusProbe{method: "GET", path: "/api/silences", token: stViewer, want: 200},
		statusProbe{method: "GET", path: "/api/silences", want: 401},
		statusProbe{method: "GET", path: "/api/silences", token: stClient, want: 403},
		statusProbe{method: "POST", path: "/api/silences", token: stAdmin, body: []byte(`{"matchers":[]}`), want: 400},
		statusProbe{method: "POST", path: "/api/silences", body: silence, want: 401},
		statusProbe{method: "POST", path: "/api/silences", token: stViewer, body: silence, want: 403},
		statusProbe{method: "POST", path: "/api/silences", token: stAdmin, body: bigJSON, want: 413},
		statusProbe{method: "POST", path: "/api/silences", token: stAdmin, body: []byte(`x`), ctype: "text/plain", want: 415},
		statusProbe{method: "DELETE", path: "/api/silences/nope", token: stAdmin, want: 404},
		statusProbe{method: "DELETE", path: "/api/silences/nope", want: 401},
		statusProbe{method: "DELETE", path: "/api/silences/nope", token: stViewer, want: 403},
	)
	var sil store.Silence
	for _, pr := range probes {
		r.do(pr)
	}
	require.NoError(t, json.Unmarshal(r.do(statusProbe{method: "POST", path: "/api/silences", token: stAdmin, body: silence, want: 201}), &sil))
	for _, pr := range []statusProbe{
		{method: "GET", path: "/api/silences?state=bogus", token: stViewer, want: 400},
		{method: "GET", path: "/api/silences/" + sil.ID, token: stViewer, want: 200},
		{method: "GET", path: "/api/silences/nope", token: stViewer, want: 404},
		{method: "GET", path: "/api/silences/" + sil.ID, want: 401},
		{method: "GET", path: "/api/silences/" + sil.ID, token: stClient, want: 403},
	} {
		r.do(pr)
	}
	r.do(statusProbe{method: "DELETE", path: "/api/silences/" + sil.ID, token: stAdmin, want: 204})

	// The read-only viewer routes: 200, 400 for a bad parameter, 401, 403.
	// The server is in fleet mode with nothing listening at its
	// Prometheus: a summary in the default (fleet) scope is a 503, the
	// replica scope answers.
	for _, rt := range []struct {
		path, bad string
		fleet     bool
	}{
		{"/api/metrics/requests?minutes=5", "/api/metrics/requests?minutes=0", true},
		{"/api/metrics/performance?minutes=5", "/api/metrics/performance?minutes=x", true},
		{"/api/metrics/system?last_hours=1", "/api/metrics/system?last_hours=25", false},
		{"/api/usage?minutes=60", "/api/usage?minutes=0", false},
		{"/api/traces?kind=error", "/api/traces?kind=weird", false},
		{"/api/traces/export?minutes=5", "/api/traces/export?minutes=-1", false},
		{"/api/reports?minutes=5&format=csv", "/api/reports?format=xml", true},
		{"/api/slos", "/api/slos?scope=everywhere", true},
		{"/admin/security/events", "/admin/security/events?limit=0", false},
	} {
		owner := stViewer
		other := stClient
		if strings.HasPrefix(rt.path, "/admin/") {
			owner, other = stAdmin, stViewer
		}
		if rt.fleet {
			sep := "?"
			if strings.Contains(rt.path, "?") {
				sep = "&"
			}
			r.do(statusProbe{method: "GET", path: rt.path, token: owner, want: 503})
			rt.path += sep + "scope=replica"
		}
		r.do(statusProbe{method: "GET", path: rt.path, token: owner, want: 200})
		if rt.bad != "" {
			r.do(statusProbe{method: "GET", path: rt.bad, token: owner, want: 400})
		}
		r.do(statusProbe{method: "GET", path: rt.path, want: 401})
		r.do(statusProbe{method: "GET", path: rt.path, token: other, want: 403})
	}

	// Readiness runs.
	var run store.ReadinessRun
	start := jsonBody(t, map[string]string{"target": target.URL})
	require.NoError(t, json.Unmarshal(r.do(statusProbe{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: start, want: 202}), &run))
	for _, pr := range []statusProbe{
		{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: []byte(`{"target":""}`), want: 400},
		{method: "POST", path: "/api/readiness/runs", body: start, want: 401},
		{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: []byte(`{"target":"http://203.0.113.9"}`), want: 403},
		{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: bigJSON, want: 413},
		{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: []byte(`x`), ctype: "text/plain", want: 415},
		{method: "GET", path: "/api/readiness/runs/" + run.ID, token: stAdmin, want: 200},
		{method: "GET", path: "/api/readiness/runs/nope", token: stAdmin, want: 404},
		{method: "GET", path: "/api/readiness/runs/" + run.ID, want: 401},
		{method: "GET", path: "/api/readiness/runs/" + run.ID, token: stViewer, want: 403},
		{method: "GET", path: "/api/readiness/runs", token: stAdmin, want: 200},
		{method: "GET", path: "/api/readiness/runs?limit=0", token: stAdmin, want: 400},
		{method: "GET", path: "/api/readiness/runs", want: 401},
		{method: "GET", path: "/api/readiness/runs", token: stViewer, want: 403},
	} {
		r.do(pr)
	}

	// The alert console: its page, the session, login and logout (a form
	// post; browsers get a 303, scripts asking for JSON the session or a
	// 204; another origin a 403).
	form := func(key string) []byte { return []byte("key=" + key) }
	const formType = "application/x-www-form-urlencoded"
	asJSON := http.Header{"Accept": {"application/json"}}
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	for _, pr := range []statusProbe{
		{method: "GET", path: "/ui", want: 200},
		{method: "GET", path: "/ui/session", token: stViewer, want: 200},
		{method: "GET", path: "/ui/session", want: 401},
		{method: "GET", path: "/ui/session", token: stClient, want: 403},
		{method: "POST", path: "/ui/login", body: form(stViewer), ctype: formType, want: 303},
		{method: "POST", path: "/ui/login", body: form(""), ctype: formType, want: 400},
		{method: "POST", path: "/ui/login", body: append(form(""), big...), ctype: formType, want: 413},
		{method: "POST", path: "/ui/login", body: jsonBody(t, map[string]string{"key": stViewer}), want: 415},
		{method: "POST", path: "/ui/login", body: form("not-a-key-0123456789"), ctype: formType, want: 401},
		{method: "POST", path: "/ui/login", body: form(stClient), ctype: formType, want: 403},
		{method: "POST", path: "/ui/login", body: form(stViewer), ctype: formType, header: crossSite, want: 403},
		{method: "POST", path: "/ui/logout", header: asJSON, want: 204},
		{method: "POST", path: "/ui/logout", want: 303},
		{method: "POST", path: "/ui/logout", header: crossSite, want: 403},
	} {
		r.do(pr)
	}
	loggedIn, _ := r.send(statusProbe{method: "POST", path: "/ui/login", body: form(stViewer), ctype: formType, header: asJSON, want: 200})
	var sessionCookie []string
	for _, ck := range loggedIn.Cookies() {
		sessionCookie = append(sessionCookie, ck.Name+"="+ck.Value)
	}
	require.NotEmpty(t, sessionCookie, "a console login sets the session cookie")

	// The live stream upgrades.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	conn, wsResp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.URL, "http")+"/ws/metrics",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + stViewer}}})
	cancel()
	require.NoError(t, err)
	r.record(http.MethodGet, "/ws/metrics", wsResp.StatusCode)
	assert.Equal(t, http.StatusSwitchingProtocols, wsResp.StatusCode)
	_ = conn.Close(websocket.StatusNormalClosure, "done")

	// One key holds at most 10 streams: more are a 429.
	var held []*websocket.Conn
	limited := false
	for range 20 {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		conn, wsResp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(p.URL, "http")+"/ws/metrics",
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + stViewer}}})
		cancel()
		require.NotNil(t, wsResp, "dial /ws/metrics: %v", err)
		r.record(http.MethodGet, "/ws/metrics", wsResp.StatusCode)
		if wsResp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
		require.NoError(t, err)
		held = append(held, conn)
	}
	assert.True(t, limited, "GET /ws/metrics never answered 429 for one key")
	assert.GreaterOrEqual(t, len(held), server.DefaultStreamMaxConnsPerKey, "streams held before the 429")
	for _, c := range held {
		_ = c.Close(websocket.StatusNormalClosure, "done")
	}

	// Rate limits, last: they spend the budgets.
	r.flood(statusProbe{method: "GET", path: "/api/public"})
	r.flood(statusProbe{method: "GET", path: "/api/users/7", token: stClient})
	r.flood(statusProbe{method: "POST", path: "/api/chat", token: stClient, body: []byte(`{"message":"again"}`)})
	r.flood(statusProbe{method: "POST", path: "/api/login", token: stClient, body: jsonBody(t, server.LoginRequest{Username: "learner", Password: "wrong"})})

	// A store outage: the store-backed routes answer 503, the health
	// routes fail.
	proxy.Cut()
	for _, pr := range []statusProbe{
		{method: "GET", path: "/ready", want: 503},
		{method: "GET", path: "/api/health", want: 503},
		{method: "GET", path: "/health/security", want: 503},
		{method: "GET", path: "/admin/security/events", token: stAdmin, want: 503},
		{method: "GET", path: "/api/alerts", token: stViewer, want: 503},
		{method: "GET", path: "/api/alerts/" + id, token: stViewer, want: 503},
		{method: "GET", path: "/api/alerts/" + id + "/history", token: stViewer, want: 503},
		{method: "POST", path: "/api/alerts/" + id + "/acknowledge", token: stAdmin, body: action, want: 503},
		{method: "POST", path: "/api/alerts/" + id + "/resolve", token: stAdmin, body: action, want: 503},
		{method: "POST", path: "/api/alerts/webhook", token: stAdmin, body: jsonBody(t, hook), want: 503},
		{method: "GET", path: "/api/silences", token: stViewer, want: 503},
		{method: "GET", path: "/api/silences/" + sil.ID, token: stViewer, want: 503},
		{method: "POST", path: "/api/silences", token: stAdmin, body: silence, want: 503},
		{method: "DELETE", path: "/api/silences/" + sil.ID, token: stAdmin, want: 503},
		{method: "GET", path: "/api/usage?minutes=1500", token: stViewer, want: 503},
		{method: "GET", path: "/api/slos", token: stViewer, want: 503},
		{method: "GET", path: "/api/reports", token: stViewer, want: 503},
		{method: "POST", path: "/api/readiness/runs", token: stAdmin, body: start, want: 503},
		{method: "GET", path: "/api/readiness/runs/" + run.ID, token: stAdmin, want: 503},
		{method: "GET", path: "/api/readiness/runs", token: stAdmin, want: 503},
		{method: "POST", path: "/ui/login", body: form(stViewer), ctype: formType, want: 503},
		{method: "POST", path: "/ui/logout", header: http.Header{"Cookie": sessionCookie}, want: 503},
	} {
		r.do(pr)
	}

	// The console's login limit, last: it is spent by address, in memory,
	// so it answers while the store is down.
	r.flood(statusProbe{method: "POST", path: "/ui/login", body: form("not-a-key-0123456789"), ctype: formType})

	// Every documented status was answered.
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		for method, o := range doc.Paths.Value(tmpl).Operations() {
			key := method + " " + tmpl
			var missing []int
			for code := range o.Responses.Map() {
				n, err := strconv.Atoi(code)
				require.NoError(t, err, "%s: status %q", key, code)
				if n == http.StatusInternalServerError || r.driven[key][n] {
					continue
				}
				if why, ok := notDriven[echoKey(key)][n]; ok {
					t.Logf("%s %d not driven: %s", key, n, why)
					continue
				}
				missing = append(missing, n)
			}
			slices.Sort(missing)
			assert.Empty(t, missing, "%s documents statuses no probe answered", key)
		}
	}
}

// echoKey turns "GET /api/alerts/{id}" into "GET /api/alerts/:id".
func echoKey(key string) string {
	var b strings.Builder
	for i, part := range strings.Split(key, "/") {
		if i > 0 {
			b.WriteByte('/')
		}
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			part = ":" + strings.Trim(part, "{}")
		}
		b.WriteString(part)
	}
	return b.String()
}
