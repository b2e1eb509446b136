package replicatest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/internal/vigiltest"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

const (
	adminToken = "replicatest-admin-token-0123456789"
	clientKey  = "replicatest-client-key-0123456789"
	// interval is the evaluation interval of every replica in these tests.
	interval = time.Second
)

// client is the tests' HTTP client; its idle connections are closed after
// each test.
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// needServer skips when a server is absent, or fails when CI is set.
func needServer(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s unreachable: %v", what, err)
	}
	t.Skipf("%s unreachable, skipping (CI unset): %v", what, err)
}

// pgSchema creates a fresh, empty schema (dropped at the end) and returns
// a DSN selecting it through search_path, and the schema's name.
func pgSchema(t *testing.T) (dsn, schema string) { return storetest.PostgresSchema(t) }

// pgQuery runs one query on dsn and scans the single row into dest.
func pgQuery(t *testing.T, dsn, q string, dest ...any) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	return conn.QueryRow(ctx, q).Scan(dest...)
}

// redisURL returns the test Redis, skipping or failing when it is absent.
func redisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("VIGIL_TEST_REDIS")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	needServer(t, "redis (set VIGIL_TEST_REDIS)", c.Ping(ctx).Err())
	return url
}

// writeConfig writes the replicas' configuration: one error-ratio rule on
// /api/users/:id (window 6s, fire above 0.2, for 0s), a webhook receiver,
// /api/public limited to 10 per minute, and a client key whose name is
// unique to the test (rate limits key on it, so runs never share budgets).
func writeConfig(t *testing.T, hookURL, clientName string) string {
	t.Helper()
	cfg := fmt.Sprintf(`alerting:
  evaluation_interval: %s
  rules:
    - name: HighErrorRate
      kind: error_ratio
      route: /api/users/:id
      window: 6s
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
ratelimit:
  limits:
    - {route: /api/public, requests: 10, per: 1m}
auth:
  keys:
    - {name: %s, role: client, key_env: VIGIL_RT_CLIENT_KEY}
`, interval, hookURL, clientName)
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path
}

// cluster is the shared setup of a test: PostgreSQL schema, Redis,
// webhook receiver and configuration.
type cluster struct {
	t          *testing.T
	dsn        string
	schema     string
	redis      string
	hooks      *vigiltest.HookReceiver
	cfgPath    string
	clientName string
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	dsn, schema := pgSchema(t)
	c := &cluster{t: t, dsn: dsn, schema: schema, redis: redisURL(t), clientName: "rt-client-" + randomHex(4)}
	var hookURL string
	c.hooks, hookURL = vigiltest.NewHookReceiver(t)
	c.cfgPath = writeConfig(t, hookURL, c.clientName)
	t.Cleanup(client.CloseIdleConnections)
	return c
}

// replica is one running `vigil serve`.
type replica struct {
	*vigiltest.Proc
	t    *testing.T
	name string
}

// launch starts a replica without waiting for it.
func (c *cluster) launch(name string) *replica {
	c.t.Helper()
	p := vigiltest.Launch(c.t, vigilBin, vigiltest.Options{
		Name: "replica " + name,
		Args: []string{"--config", c.cfgPath, "--store", c.dsn, "--ratelimit-redis", c.redis},
		Env: []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken,
			"VIGIL_RT_CLIENT_KEY=" + clientKey, "VIGIL_LOG_LEVEL=info"},
	})
	return &replica{Proc: p, t: c.t, name: name}
}

// start launches replicas at the same instant and waits until each is
// ready.
func (c *cluster) start(names ...string) []*replica {
	c.t.Helper()
	rs := make([]*replica, len(names))
	for i, n := range names {
		rs[i] = c.launch(n)
	}
	for _, r := range rs {
		r.WaitReady()
	}
	return rs
}

// do sends one request; token is sent as a bearer token, hdr as pairs.
func (r *replica) do(method, path, token string, body any, hdr ...string) (int, []byte) {
	r.t.Helper()
	resp, b := r.Do(method, path, token, body, hdr...)
	return resp.StatusCode, b
}

// getJSON GETs path as admin and decodes a 200 answer into v.
func (r *replica) getJSON(path string, v any) {
	r.t.Helper()
	code, body := r.do(http.MethodGet, path, adminToken, nil)
	require.Equal(r.t, http.StatusOK, code, "GET %s on %s: %s", path, r.name, body)
	require.NoError(r.t, json.Unmarshal(body, v))
}

func (r *replica) alerts(query string) []store.Alert {
	var l server.AlertList
	r.getJSON("/api/alerts"+query, &l)
	return l.Alerts
}

func (r *replica) history(id string) []store.AlertEvent {
	var h server.AlertHistory
	r.getJSON("/api/alerts/"+id+"/history", &h)
	return h.Events
}

// rule returns the replica's view of its only rule: an evaluation time is
// set only on a replica that evaluated (the leader).
func (r *replica) rule() alerting.RuleStatus {
	var l server.RuleList
	r.getJSON("/api/alerts/rules", &l)
	require.Len(r.t, l.Rules, 1)
	return l.Rules[0]
}

// leaderPID reads the alerting lease from the shared schema: the holder
// names the process (host-pid-random). 0 when nobody holds it.
func (c *cluster) leaderPID() int {
	c.t.Helper()
	var holder string
	err := pgQuery(c.t, c.dsn, `SELECT holder FROM leases WHERE name = 'alerting-leader' AND expires_at > clock_timestamp()`, &holder)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0
	}
	require.NoError(c.t, err)
	parts := strings.Split(holder, "-")
	require.GreaterOrEqual(c.t, len(parts), 3, "holder %q", holder)
	pid, err := strconv.Atoi(parts[len(parts)-2])
	require.NoError(c.t, err, "holder %q", holder)
	return pid
}

// leader waits until one of rs holds the lease and returns it and the
// others.
func (c *cluster) leader(rs ...*replica) (*replica, []*replica) {
	c.t.Helper()
	var lead *replica
	eventually(c.t, 10*time.Second, "a replica holds the alerting lease", func() bool {
		pid := c.leaderPID()
		for _, r := range rs {
			if r.PID() == pid {
				lead = r
				return true
			}
		}
		return false
	})
	var rest []*replica
	for _, r := range rs {
		if r != lead {
			rest = append(rest, r)
		}
	}
	return lead, rest
}

// eventually polls cond (a real process answers over HTTP; there is no
// clock to inject into it) until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// notifications returns, per alert fingerprint, how many notifications
// reported it with each status.
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

// traffic sends requests to /api/users/:id of its targets, round robin,
// failing (X-Demo-Fault: error) while faulty is set.
type traffic struct {
	mu      sync.Mutex
	targets []*replica
	faulty  bool
	sent    map[string]int
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

func startTraffic(t *testing.T) *traffic {
	ctx, cancel := context.WithCancel(context.Background())
	tr := &traffic{stop: cancel, sent: map[string]int{}}
	tr.wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			tr.mu.Lock()
			targets, faulty := tr.targets, tr.faulty
			tr.mu.Unlock()
			if len(targets) > 0 {
				r := targets[i%len(targets)]
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.URL+"/api/users/"+strconv.Itoa(i%7+1), nil)
				if faulty {
					req.Header.Set("X-Demo-Fault", "error")
				}
				if resp, err := client.Do(req); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					tr.mu.Lock()
					tr.sent[r.name]++
					tr.mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond): // pacing, ~50 requests/s
			}
		}
	})
	t.Cleanup(tr.close)
	return tr
}

// set chooses where requests go and whether they fail.
func (tr *traffic) set(faulty bool, targets ...*replica) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.faulty, tr.targets = faulty, targets
}

func (tr *traffic) close() {
	tr.stop()
	tr.wg.Wait()
}
