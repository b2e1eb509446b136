package fleettest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// scaleRuleFiles are the rule files of the compose scale profile's
// Prometheus (prometheus/prometheus-fleet.yml), as absolute paths.
func scaleRuleFiles(t testing.TB) []string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "prometheus"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "prometheus-fleet.yml"))
	require.NoError(t, err)
	var cfg struct {
		RuleFiles []string `yaml:"rule_files"`
	}
	require.NoError(t, yaml.Unmarshal(b, &cfg))
	require.NotEmpty(t, cfg.RuleFiles)
	var out []string
	for _, f := range cfg.RuleFiles {
		out = append(out, filepath.Join(dir, f))
	}
	return out
}

// alertmanager stands where Alertmanager would: it counts the alerts
// Prometheus sends (POST /api/v2/alerts).
type alertmanager struct {
	addr string
	mu   sync.Mutex
	n    int
}

func newAlertmanager(t testing.TB) *alertmanager {
	am := &alertmanager{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var alerts []json.RawMessage
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &alerts)
		am.mu.Lock()
		am.n += len(alerts)
		am.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	am.addr = strings.TrimPrefix(srv.URL, "http://")
	return am
}

func (am *alertmanager) alerts() int {
	am.mu.Lock()
	defer am.mu.Unlock()
	return am.n
}

// rule returns a replica's status of its only rule.
func rule(t testing.TB, p *vigiltest.Proc) alerting.RuleStatus {
	t.Helper()
	var l server.RuleList
	getJSON(t, p, "/api/alerts/rules", &l)
	require.Len(t, l.Rules, 1)
	return l.Rules[0]
}

// leader waits until exactly one replica evaluates (its rule has an
// evaluation time) and returns it and the other.
func (f *fleet) leader() (lead, follower *vigiltest.Proc) {
	f.t.Helper()
	vigiltest.Eventually(f.t, 15*time.Second, "one replica evaluates", func() bool {
		a, b := rule(f.t, f.replicas[0]), rule(f.t, f.replicas[1])
		switch {
		case !a.LastEvaluation.IsZero() && b.LastEvaluation.IsZero():
			lead, follower = f.replicas[0], f.replicas[1]
		case a.LastEvaluation.IsZero() && !b.LastEvaluation.IsZero():
			lead, follower = f.replicas[1], f.replicas[0]
		default:
			return false
		}
		return true
	})
	return lead, follower
}

// traffic sends GET /api/users/:id every 20 ms to each replica of ok
// (succeeding) and of failing (X-Demo-Fault: error), and keeps the trace
// IDs of the failing responses.
type traffic struct {
	mu      sync.Mutex
	ok      []*vigiltest.Proc
	failing []*vigiltest.Proc
	traces  map[string]bool
	stop    context.CancelFunc
	done    chan struct{}
}

func startTraffic(t testing.TB) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{stop: cancel, traces: map[string]bool{}, done: make(chan struct{})}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	send := func(p *vigiltest.Proc, fail bool, i int) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/api/users/%d", p.URL, i%7+1), nil)
		if err != nil {
			return
		}
		if fail {
			req.Header.Set("X-Demo-Fault", "error")
		}
		resp, err := client.Do(req)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if fail {
			tr.mu.Lock()
			tr.traces[resp.Header.Get("X-Trace-Id")] = true
			tr.mu.Unlock()
		}
	}
	go func() {
		defer close(tr.done)
		defer client.CloseIdleConnections()
		for i := 0; ctx.Err() == nil; i++ {
			tr.mu.Lock()
			ok, failing := tr.ok, tr.failing
			tr.mu.Unlock()
			for _, p := range ok {
				send(p, false, i)
			}
			for _, p := range failing {
				send(p, true, i)
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond): // pacing, ~50 requests/s per replica
			}
		}
	}()
	t.Cleanup(tr.close)
	return tr
}

func (tr *traffic) set(ok, failing []*vigiltest.Proc) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.ok, tr.failing = ok, failing
}

func (tr *traffic) failed(traceID string) bool {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.traces[traceID]
}

func (tr *traffic) close() {
	tr.stop()
	<-tr.done
}

// notifications counts, per alert fingerprint, the notifications of each
// status.
func notifications(h *vigiltest.HookReceiver) map[string]map[string]int {
	out := map[string]map[string]int{}
	for _, p := range h.Payloads() {
		for _, a := range p.Alerts {
			if out[a.Fingerprint] == nil {
				out[a.Fingerprint] = map[string]int{}
			}
			out[a.Fingerprint][a.Status]++
		}
	}
	return out
}

// promAlertingRules counts the alerting rules Prometheus has loaded.
func promAlertingRules(t testing.TB, prom *vigiltest.Prometheus) int {
	t.Helper()
	resp, err := http.Get(prom.URL + "/api/v1/rules?type=alert")
	require.NoError(t, err)
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Rules []json.RawMessage `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	n := 0
	for _, g := range body.Data.Groups {
		n += len(g.Rules)
	}
	return n
}

// TestFleetAlerting is one incident on real processes: errors sent only to
// the replica that is not the leader fire the leader's rule (its own
// requests all succeed), with the trace of a failing request on the other
// replica; Prometheus killed mid-incident resolves nothing and evaluation
// resumes after the restart; the end of the incident resolves it. The
// leader sends exactly one firing and one resolved notification, and with
// the scale profile's Prometheus configuration the incident is one alert.
func TestFleetAlerting(t *testing.T) {
	am := newAlertmanager(t)
	f := startFleetWith(t, 2, options{ruleFiles: scaleRuleFiles(t), alertmanagers: []string{am.addr}})
	lead, follower := f.leader()
	tr := startTraffic(t)
	tr.set([]*vigiltest.Proc{lead, follower}, nil)
	vigiltest.Eventually(t, 20*time.Second, "the rule evaluates on Prometheus", func() bool {
		r := rule(t, lead)
		return r.Health == "ok"
	})

	// The incident: the follower fails every request, the leader none.
	tr.set([]*vigiltest.Proc{lead}, []*vigiltest.Proc{follower})
	firing := f.hooks.Wait("firing", 30*time.Second)
	require.Len(t, firing.Alerts, 1)
	fa := firing.Alerts[0]
	assert.Equal(t, usersRoute, fa.Labels["route"])
	t.Run("the leader fired on the fleet's errors, none of which it served", func(t *testing.T) {
		var s reporting.RequestSummary
		getJSON(t, lead, "/api/metrics/requests?minutes=5&scope=replica", &s)
		assert.Equal(t, int64(0), usersRow(t, s.Routes).Errors, "the leader served no failing request")
		r := rule(t, lead)
		assert.Equal(t, "ok", r.Health)
		assert.Greater(t, r.LastValue, 0.2)
	})
	t.Run("the leader queried exactly the value expression `vigil rules export` writes", func(t *testing.T) {
		out, err := exec.CommandContext(t.Context(), vigilBin, "rules", "export", "--config", f.cfgPath).Output()
		require.NoError(t, err)
		var file struct {
			Groups []struct {
				Rules []struct{ Alert, Expr string } `yaml:"rules"`
			} `yaml:"groups"`
		}
		require.NoError(t, yaml.Unmarshal(out, &file))
		require.Len(t, file.Groups, 1)
		require.Len(t, file.Groups[0].Rules, 1)
		exported := file.Groups[0].Rules[0].Expr
		queried := map[string]bool{}
		for _, q := range f.prom.Queries() {
			queried[q] = true
		}
		value, ok := strings.CutSuffix(exported, " > 0.2")
		require.True(t, ok, "exported %q", exported)
		assert.True(t, queried[value], "the exported value %q is not among the queries Prometheus ran", value)
		assert.Contains(t, value, `job="vigil"`, "with the extra matchers of the fleet section")
	})
	t.Run("the alert's trace is a failing request of the other replica, from its exemplar", func(t *testing.T) {
		var l server.AlertList
		getJSON(t, follower, "/api/alerts?state=firing", &l)
		require.Len(t, l.Alerts, 1)
		assert.NotEmpty(t, l.Alerts[0].TraceID)
		assert.True(t, tr.failed(l.Alerts[0].TraceID), "trace %s is none of the follower's failing requests", l.Alerts[0].TraceID)
	})

	t.Run("Prometheus killed mid-incident resolves nothing", func(t *testing.T) {
		f.prom.Kill()
		vigiltest.Eventually(t, 10*time.Second, "the rule's health says why", func() bool {
			r := rule(t, lead)
			return r.Health == "err" && strings.Contains(r.LastError, "prometheus unreachable")
		})
		c, _ := health(t, lead)
		assert.Equal(t, server.StatusWarn, c.Status)
		assert.Positive(t, metricValue(t, lead, "vigil_fleet_query_failures_total", `reason="unreachable"`))
		// Longer than the no-data hold (the 10s window).
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			require.Equal(t, 0, f.hooks.Count("resolved"), "resolved while Prometheus was down")
			var l server.AlertList
			getJSON(t, follower, "/api/alerts?state=firing", &l)
			require.Len(t, l.Alerts, 1, "the alert left the firing state while Prometheus was down")
			time.Sleep(500 * time.Millisecond) // watching another process
		}
	})
	t.Run("evaluation resumes by itself when Prometheus returns", func(t *testing.T) {
		f.prom.Restart()
		vigiltest.Eventually(t, 20*time.Second, "the rule evaluates again", func() bool {
			r := rule(t, lead)
			return r.Health == "ok" && r.LastValue > 0.2
		})
		// The window fills again over the gap; nothing resolves or re-fires.
		time.Sleep(12 * time.Second) // a whole window of the incident after the restart
		var l server.AlertList
		getJSON(t, follower, "/api/alerts?state=firing", &l)
		require.Len(t, l.Alerts, 1)
		assert.Equal(t, 0, f.hooks.Count("resolved"))
		assert.Equal(t, 1, f.hooks.Count("firing"))
		c, _ := health(t, lead)
		assert.Equal(t, server.StatusPass, c.Status, c.Output)
	})

	t.Run("the end of the incident resolves it, once", func(t *testing.T) {
		tr.set([]*vigiltest.Proc{lead, follower}, nil)
		resolved := f.hooks.Wait("resolved", 40*time.Second)
		require.Len(t, resolved.Alerts, 1)
		assert.Equal(t, fa.Fingerprint, resolved.Alerts[0].Fingerprint)
		time.Sleep(3 * time.Second) // anything owed would be sent by now
		assert.Equal(t, map[string]map[string]int{fa.Fingerprint: {"firing": 1, "resolved": 1}}, notifications(f.hooks))
	})
	t.Run("one incident is one alert", func(t *testing.T) {
		var l server.AlertList
		getJSON(t, lead, "/api/alerts", &l)
		var ours []store.Alert
		for _, a := range l.Alerts {
			if a.RuleName == "HighErrorRate" || a.Source != store.SourceRule {
				ours = append(ours, a)
			}
		}
		require.Len(t, ours, 1, "%+v", l.Alerts)
		assert.Equal(t, store.StateResolved, ours[0].State)
		assert.Equal(t, 0, promAlertingRules(t, f.prom), "the scale profile's Prometheus loads no alerting rule")
		assert.Equal(t, 0, am.alerts(), "Prometheus sent no alert to Alertmanager")
	})
}

// manySeries is a valid query answer with more series than the default
// max_series (10 000).
func manySeries() string {
	var b strings.Builder
	b.WriteString(`{"status":"success","data":{"resultType":"vector","result":[`)
	for i := range 10001 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"metric":{"route":"/r%d"},"value":[1,"1"]}`, i)
	}
	b.WriteString(`]}}`)
	return b.String()
}

// TestFleetAlertingFaults: with an alert firing, Prometheus slower than the
// timeout, answering an error or too many series for longer than the
// no-data hold: the rule's health is err with the reason, nothing
// resolves or fires, the failures are counted, and evaluation resumes by
// itself once Prometheus answers.
func TestFleetAlertingFaults(t *testing.T) {
	f := startFleet(t, 1)
	p := f.replicas[0]
	tr := startTraffic(t)
	tr.set(nil, []*vigiltest.Proc{p})
	f.hooks.Wait("firing", 30*time.Second)
	faults := []struct {
		name   string
		fault  vigiltest.Fault
		reason string
		err    string
	}{
		{"slower than the timeout", vigiltest.Fault{Delay: 3 * queryTimeout}, "timeout", "prometheus timeout: no answer within 2s"},
		{"an error answer", vigiltest.Fault{Status: http.StatusServiceUnavailable, Body: "overloaded"}, "error_response",
			"prometheus error_response: server error: 503: overloaded"},
		{"more series than max_series", vigiltest.Fault{Status: http.StatusOK, Body: manySeries()}, "too_many_series",
			"prometheus too_many_series: 10001 series, more than max_series 10000"},
	}
	for _, ft := range faults {
		t.Run(ft.name, func(t *testing.T) {
			before := metricValue(t, p, "vigil_fleet_query_failures_total", `reason="`+ft.reason+`"`)
			f.proxy.Set(ft.fault)
			vigiltest.Eventually(t, 15*time.Second, "the rule's health says why", func() bool {
				r := rule(t, p)
				return r.Health == "err" && r.LastError == ft.err
			})
			c, _ := health(t, p)
			assert.Equal(t, server.StatusWarn, c.Status)
			assert.Contains(t, c.Output, "prometheus "+ft.reason)
			deadline := time.Now().Add(12 * time.Second) // longer than the no-data hold
			for time.Now().Before(deadline) {
				require.Equal(t, 0, f.hooks.Count("resolved"), "resolved because queries failed")
				time.Sleep(500 * time.Millisecond) // watching another process
			}
			assert.Greater(t, metricValue(t, p, "vigil_fleet_query_failures_total", `reason="`+ft.reason+`"`), before)
			f.proxy.Set(vigiltest.Fault{})
			vigiltest.Eventually(t, 15*time.Second, "evaluation resumes", func() bool {
				r := rule(t, p)
				return r.Health == "ok" && r.LastValue > 0.2
			})
			var l server.AlertList
			getJSON(t, p, "/api/alerts?state=firing", &l)
			require.Len(t, l.Alerts, 1)
		})
	}
	assert.Equal(t, 1, f.hooks.Count("firing"), "one firing notification through every fault")
	assert.Equal(t, 0, f.hooks.Count("resolved"))
}
