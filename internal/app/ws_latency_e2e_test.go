package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
)

// A WebSocket held open on /ws/metrics is one request, its handshake: the
// session's lifetime is no request duration, so the p95 latency rule
// cannot fire on /ws/metrics (issue 15 item 1). A slow ordinary request,
// through the same server and rule, does make it fire: the rule is live.
func TestHeldWebSocketCannotFireLatencyRule(t *testing.T) {
	hooks, hookURL := vigiltest.NewHookReceiver(t)
	const threshold = 0.5 // seconds; the WebSocket is held three times as long
	cfg := fmt.Sprintf(`alerting:
  evaluation_interval: 1s
  rules:
    - name: HighLatencyP95
      kind: latency_quantile
      quantile: 0.95
      window: 30s
      threshold: %g
      for: 0s
      severity: warning
  receivers:
    - name: ops
      webhook: {url: %q}
  route:
    receiver: ops
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 1h
`, threshold, hookURL)
	cfgPath := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	p := startVigil(t, t.TempDir(), []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken}, "--config", cfgPath)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+p.URL[len("http"):]+"/ws/metrics",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + adminToken}}})
	require.NoError(t, err)
	var first server.StreamMessage
	require.NoError(t, wsjson.Read(ctx, ws, &first), "the stream is live")
	held := time.Duration(3 * threshold * float64(time.Second))
	readErr := make(chan error, 1)
	go func() { // keep reading: a held, working session
		for {
			var m server.StreamMessage
			if err := wsjson.Read(ctx, ws, &m); err != nil {
				readErr <- err
				return
			}
		}
	}()
	select {
	case <-time.After(held):
	case err := <-readErr:
		t.Fatalf("the session ended before %s: %v", held, err)
	}
	require.NoError(t, ws.Close(websocket.StatusNormalClosure, ""))
	assert.Error(t, <-readErr, "the reader ends with the close")

	// The handshake was recorded as a 101 that took no time worth a
	// latency alert.
	_, metrics := p.Do("GET", "/metrics", "", nil)
	sum := regexp.MustCompile(`http_server_request_duration_seconds_sum\{[^}]*http_response_status_code="101",http_route="/ws/metrics"[^}]*\} (\S+)`).
		FindSubmatch(metrics)
	require.NotNil(t, sum, "no 101 series for /ws/metrics in:\n%s", metrics)
	seconds, err := strconv.ParseFloat(string(sum[1]), 64)
	require.NoError(t, err)
	assert.Less(t, seconds, threshold, "the WebSocket's %s session counted as request time", held)

	// Positive control: slow requests on an ordinary route fire the rule.
	for range 3 {
		resp, _ := p.Do("GET", "/api/users/1", "", nil, "X-Demo-Delay", "700ms")
		require.Equal(t, 200, resp.StatusCode)
	}
	firing := hooks.Wait("firing", 20*time.Second)
	require.Len(t, firing.Alerts, 1)
	assert.Equal(t, "/api/users/:id", firing.Alerts[0].Labels["route"])

	// Two more evaluations over the same window: still nothing on /ws/metrics.
	lastEval := func() time.Time {
		resp, body := p.Do("GET", "/api/alerts/rules", adminToken, nil)
		require.Equal(t, 200, resp.StatusCode, string(body))
		var rules server.RuleList
		require.NoError(t, json.Unmarshal(body, &rules))
		require.Len(t, rules.Rules, 1)
		return rules.Rules[0].LastEvaluation
	}
	seen := lastEval()
	for n := 0; n < 2; {
		require.NoError(t, ctx.Err(), "the rule stopped being evaluated")
		if at := lastEval(); at.After(seen) {
			seen, n = at, n+1
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	resp, body := p.Do("GET", "/api/alerts?state=firing", adminToken, nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	var list server.AlertList
	require.NoError(t, json.Unmarshal(body, &list))
	for _, a := range list.Alerts {
		assert.NotEqual(t, "/ws/metrics", a.Labels["route"], "HighLatencyP95 fired on the held WebSocket: %v", a)
	}
	assert.Equal(t, 1, list.Count, "only the slow route fires")
}
