package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

const adminToken = "e2e-admin-token-0123456789"

func writeConfig(t testing.TB, hookURL string) string {
	t.Helper()
	cfg := fmt.Sprintf(`alerting:
  evaluation_interval: 1s
  rules:
    - name: HighErrorRate
      kind: error_ratio
      route: /api/users/:id
      window: 4s
      threshold: 0.2
      for: 0s
      severity: critical
      labels: {team: api}
      annotations: {summary: "Error ratio {{ .Value }} on {{ .Labels.route }}"}
  receivers:
    - name: ops
      webhook: {url: %q}
  route:
    receiver: ops
    group_by: [alertname, route]
    group_wait: 0s
    group_interval: 1s
    repeat_interval: 1h
`, hookURL)
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

func TestAlertLifecycleEndToEnd(t *testing.T) {
	hooks, hookURL := vigiltest.NewHookReceiver(t)
	cfgPath := writeConfig(t, hookURL)
	dataDir := t.TempDir()
	env := []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken, "VIGIL_LOG_LEVEL=debug"}
	p := startVigil(t, dataDir, env, "--config", cfgPath)

	// The stream sees the alert as it fires.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+p.URL[len("http"):]+"/ws/metrics",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + adminToken}}})
	require.NoError(t, err)
	defer func() { _ = ws.CloseNow() }() // teardown; the reader goroutine's error ends the stream
	streamed := make(chan server.StreamMessage, 256)
	go func() {
		for {
			var m server.StreamMessage
			if err := wsjson.Read(ctx, ws, &m); err != nil {
				close(streamed)
				return
			}
			streamed <- m
		}
	}()

	faultAt := time.Now()
	for range 10 {
		resp, _ := p.Do("GET", "/api/users/3", "", nil, "X-Demo-Fault", "error")
		require.Equal(t, 500, resp.StatusCode)
	}
	firing := hooks.Wait("firing", 15*time.Second)
	t.Logf("fault to firing webhook: %s", time.Since(faultAt))
	require.Len(t, firing.Alerts, 1)
	fa := firing.Alerts[0]
	assert.Equal(t, "4", firing.Version)
	assert.Equal(t, "HighErrorRate", fa.Labels["alertname"])
	assert.Equal(t, "api", fa.Labels["team"])
	assert.NotEmpty(t, fa.Fingerprint)
	assert.Len(t, fa.Annotations["trace_id"], 32, "a firing alert points at a failing trace")

	resp, body := p.Do("GET", "/api/alerts?state=firing", adminToken, nil)
	require.Equal(t, 200, resp.StatusCode, string(body))
	var list server.AlertList
	require.NoError(t, json.Unmarshal(body, &list))
	require.Equal(t, 1, list.Count)
	id := list.Alerts[0].ID

	sawKinds := map[string]bool{}
	for m := range streamed {
		sawKinds[m.Type] = true
		if m.Type == server.MessageAlert {
			break
		}
	}
	assert.True(t, sawKinds[server.MessageSystemMetrics] && sawKinds[server.MessageAPIMetrics] && sawKinds[server.MessageAlert], "%v", sawKinds)

	// Acknowledge needs the admin role; a viewer-less request is refused.
	resp, _ = p.Do("POST", "/api/alerts/"+id+"/acknowledge", "", server.AlertAction{By: "ana"})
	assert.Equal(t, 401, resp.StatusCode)
	resp, body = p.Do("POST", "/api/alerts/"+id+"/acknowledge", adminToken, server.AlertAction{By: "ana", Comment: "looking"})
	require.Equal(t, 200, resp.StatusCode, string(body))
	resp, body = p.Do("GET", "/api/alerts?state=acknowledged", adminToken, nil)
	require.Equal(t, 200, resp.StatusCode)
	require.NoError(t, json.Unmarshal(body, &list))
	assert.Equal(t, 1, list.Count)

	// Traffic heals; the resolved notification still goes out after the ack.
	healed := make(chan struct{})
	go func() {
		defer close(healed)
		for ctx.Err() == nil && hooks.Count("resolved") == 0 {
			resp, err := http.Get(p.URL + "/api/users/4")
			if err == nil {
				resp.Body.Close()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	hooks.Wait("resolved", 20*time.Second)
	<-healed

	resp, _ = p.Do("POST", "/api/alerts/"+id+"/resolve", adminToken, server.AlertAction{By: "ana"})
	assert.Equal(t, 409, resp.StatusCode, "acting on a resolved alert is a conflict")
	resp, _ = p.Do("GET", "/api/alerts/nope", adminToken, nil)
	assert.Equal(t, 404, resp.StatusCode)

	history := func(p *vigiltest.Proc) []store.AlertEvent {
		resp, body := p.Do("GET", "/api/alerts/"+id+"/history", adminToken, nil)
		require.Equal(t, 200, resp.StatusCode, string(body))
		var h server.AlertHistory
		require.NoError(t, json.Unmarshal(body, &h))
		return h.Events
	}
	kinds := func(evs []store.AlertEvent) []string {
		var out []string
		for _, e := range evs {
			out = append(out, e.Kind)
		}
		return out
	}
	before := history(p)
	assert.Subset(t, kinds(before), []string{"firing", "acknowledged", "resolved"})

	// Restart: state and history are still there, nothing is re-sent.
	require.NoError(t, p.Stop())
	firingSent, resolvedSent := hooks.Count("firing"), hooks.Count("resolved")
	assert.Equal(t, 1, firingSent)
	assert.Equal(t, 1, resolvedSent)
	p2 := startVigil(t, dataDir, env, "--config", cfgPath)
	resp, body = p2.Do("GET", "/api/alerts/"+id, adminToken, nil)
	require.Equal(t, 200, resp.StatusCode)
	var al store.Alert
	require.NoError(t, json.Unmarshal(body, &al))
	assert.Equal(t, store.StateResolved, al.State)
	assert.Equal(t, "ana", al.AcknowledgedBy)
	assert.Equal(t, kinds(before), kinds(history(p2)))
	time.Sleep(2500 * time.Millisecond) // two evaluation cycles
	assert.Equal(t, firingSent, hooks.Count("firing"))
	assert.Equal(t, resolvedSent, hooks.Count("resolved"))
}

func TestFiringAlertSurvivesKill9(t *testing.T) {
	hooks, hookURL := vigiltest.NewHookReceiver(t)
	cfgPath := writeConfig(t, hookURL)
	dataDir := t.TempDir()
	env := []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken, "VIGIL_LOG_LEVEL=debug"}
	p := startVigil(t, dataDir, env, "--config", cfgPath)
	for range 10 {
		p.Do("GET", "/api/users/3", "", nil, "X-Demo-Fault", "error")
	}
	hooks.Wait("firing", 15*time.Second)
	// The notification log is written after the receiver answers: a kill in
	// that millisecond window would re-send (at-least-once), so kill after it.
	time.Sleep(500 * time.Millisecond)
	p.Kill()

	p2 := startVigil(t, dataDir, env, "--config", cfgPath)
	resp, body := p2.Do("GET", "/api/alerts?state=firing", adminToken, nil)
	require.Equal(t, 200, resp.StatusCode)
	var list server.AlertList
	require.NoError(t, json.Unmarshal(body, &list))
	require.Equal(t, 1, list.Count, "the firing alert survived kill -9")
	// Without faults the restarted process resolves it, notifying once.
	deadline := time.Now().Add(20 * time.Second)
	for hooks.Count("resolved") == 0 {
		require.True(t, time.Now().Before(deadline), "no resolved notification after restart")
		p2.Do("GET", "/api/users/4", "", nil)
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, 1, hooks.Count("firing"), "the restart did not re-send the firing notification")
}
