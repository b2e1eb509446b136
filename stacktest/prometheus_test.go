package stacktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// clientKey authenticates the generated traffic as a client so usage,
// token and rate-limit metrics are recorded.
const clientKey = "stacktest-client-key-0123456789"

const vigilConfig = `
auth:
  keys:
    - name: stacktest
      role: client
      key_env: STACKTEST_CLIENT_KEY
ratelimit:
  limits:
    - route: /api/public
      requests: 3
      per: 1m
    - route: /api/chat
      requests: 100000
      per: 1m
slos:
  - name: users-availability
    route: /api/users/:id
    objective: 0.99
    window: 30d
    latency_threshold: 250ms
`

// firingRule makes sure ALERTS has a firing series as soon as errors are
// scraped; the committed alerts need minutes of `for`.
const firingRule = `
groups:
  - name: stacktest
    rules:
      - alert: StackTestServerErrors
        expr: sum by (job) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[1m])) > 0
        labels:
          severity: info
`

// prometheusConfig derives a 1s-interval configuration from the committed
// prometheus.yml: same rule files, the scrape target rewritten to Vigil.
func prometheusConfig(t *testing.T, vigilAddr, promAddr, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
	}
	global["scrape_interval"], global["evaluation_interval"], global["scrape_timeout"] = "1s", "1s", "1s"
	cfg["global"] = global
	delete(cfg, "alerting")

	var rules []any
	for _, pattern := range cfg["rule_files"].([]any) {
		abs, err := filepath.Abs(filepath.Join(repoRoot, "prometheus", pattern.(string)))
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, abs)
	}
	extra := filepath.Join(dir, "stacktest-rules.yml")
	if err := os.WriteFile(extra, []byte(firingRule), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg["rule_files"] = append(rules, extra)

	var jobs []any
	for _, sc := range cfg["scrape_configs"].([]any) {
		sc := sc.(map[string]any)
		target := vigilAddr
		if sc["job_name"] == "prometheus" {
			target = promAddr
		}
		jobs = append(jobs, map[string]any{
			"job_name":       sc["job_name"],
			"metrics_path":   sc["metrics_path"],
			"static_configs": []any{map[string]any{"targets": []any{target}}},
		})
	}
	cfg["scrape_configs"] = jobs

	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startPrometheus runs Debian's prometheus with exemplar storage and
// returns its base URL.
func startPrometheus(t *testing.T, vigilAddr string) string {
	t.Helper()
	bin := need(t, "prometheus")
	var base string
	startOnFreePorts(t, 30*time.Second, func() (*process, string) {
		port := freePort(t)
		dir := t.TempDir()
		cfg := prometheusConfig(t, vigilAddr, addr(port), dir)
		p := start(t, bin, []string{
			"--config.file=" + cfg,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr(port),
			"--enable-feature=exemplar-storage",
			"--log.level=warn",
		}, nil)
		base = "http://" + addr(port)
		return p, base + "/-/ready"
	})
	return base
}

// traffic sends a mix of requests until ctx ends: successes, demo errors,
// demo delays, chat calls and rate-limited calls.
func traffic(ctx context.Context, base string) {
	key := map[string]string{"X-API-Key": clientKey}
	reqs := []struct {
		method, path string
		body         []byte
		header       map[string]string
	}{
		{"GET", "/api/users/42", nil, key},
		{"GET", "/api/users/7", nil, map[string]string{"X-API-Key": clientKey, "X-Demo-Fault": "error"}},
		{"GET", "/api/users/9", nil, map[string]string{"X-API-Key": clientKey, "X-Demo-Delay": "250ms"}},
		{"POST", "/api/chat", []byte(`{"message":"What is a histogram?"}`), key},
		{"POST", "/api/chat", []byte(`{"message":"fail"}`), map[string]string{"X-API-Key": clientKey, "X-Demo-Fault": "error", "X-Demo-Delay": "100ms"}},
		{"GET", "/api/public", nil, key},
		{"GET", "/api/users/x", nil, map[string]string{"X-Demo-Delay": "20ms"}},
	}
	var wg sync.WaitGroup
	for _, r := range reqs {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = send(ctx, r.method, base+r.path, r.body, r.header)
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
}

// apiResponse is the envelope of the Prometheus HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	ErrorType string          `json:"errorType"`
	Data      json.RawMessage `json:"data"`
}

func promAPI(ctx context.Context, base, path string, params url.Values) (json.RawMessage, error) {
	req, err := httpGet(ctx, base+path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	var r apiResponse
	if err := json.Unmarshal(req, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w: %s", path, err, req)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", path, r.ErrorType, r.Error)
	}
	return r.Data, nil
}

// httpGet returns the body of a GET; header holds name, value pairs.
func httpGet(ctx context.Context, u string, header ...string) ([]byte, error) {
	req, err := httpRequest(ctx, u)
	if err != nil {
		return nil, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return readAll(resp.Body)
}

// instantQuery returns the number of series an instant query returns.
func instantQuery(ctx context.Context, base, expr string) (int, error) {
	data, err := promAPI(ctx, base, "/api/v1/query", url.Values{"query": {expr}})
	if err != nil {
		return 0, err
	}
	var d struct {
		ResultType string            `json:"resultType"`
		Result     []json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return 0, err
	}
	if d.ResultType == "scalar" {
		return 1, nil
	}
	return len(d.Result), nil
}

// panelQuery is one target of one committed dashboard.
type panelQuery struct {
	where, expr string
}

var templateVar = regexp.MustCompile(`\$\{?(\w+)(?::\w+)?\}?`)

// substitute replaces Grafana template variables the way Grafana would with
// "All" selected.
func substitute(expr string) string {
	return templateVar.ReplaceAllStringFunc(expr, func(m string) string {
		switch templateVar.FindStringSubmatch(m)[1] {
		case "__rate_interval", "__interval", "__range":
			return "1m"
		case "route":
			// A route with request bodies, errors and delays in traffic().
			return "/api/chat"
		default:
			return ".+"
		}
	})
}

func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "grafana", "dashboards", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no committed dashboards: %v", err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	}
	var out []panelQuery
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Panels []panel `json:"panels"`
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				out = append(out, panelQuery{
					where: fmt.Sprintf("%s / %s / %s", filepath.Base(f), p.Title, tg.RefID),
					expr:  substitute(tg.Expr),
				})
			}
		}
	}
	return out
}

// TestDashboardQueriesReturnData runs every panel query of every committed
// dashboard against a real Prometheus scraping a real Vigil under load.
func TestDashboardQueriesReturnData(t *testing.T) {
	queries := dashboardQueries(t)
	need(t, "prometheus") // before building Vigil
	base := startVigil(t, vigilConfig, "STACKTEST_CLIENT_KEY="+clientKey)
	prom := startPrometheus(t, strings.TrimPrefix(base, "http://"))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { traffic(ctx, base); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	// Panels need a few scrapes and rule evaluations before they have data;
	// retry the missing ones until the deadline.
	pending := map[string]panelQuery{}
	for _, q := range queries {
		pending[q.where] = q
	}
	lastErr := map[string]string{}
	deadline := time.Now().Add(60 * time.Second)
	for len(pending) > 0 && time.Now().Before(deadline) {
		for where, q := range pending {
			n, err := instantQuery(t.Context(), prom, q.expr)
			switch {
			case err != nil:
				lastErr[where] = err.Error()
			case n == 0:
				lastErr[where] = "no data"
			default:
				delete(pending, where)
			}
		}
		if len(pending) > 0 {
			time.Sleep(time.Second)
		}
	}
	for where, q := range pending {
		t.Errorf("%s: %s\n\tquery: %s", where, lastErr[where], q.expr)
	}
	t.Logf("%d panel queries checked, %d without data", len(queries), len(pending))

	t.Run("exemplars with trace_id are stored", func(t *testing.T) {
		now := time.Now()
		data, err := promAPI(t.Context(), prom, "/api/v1/query_exemplars", url.Values{
			"query": {"http_server_request_duration_seconds_bucket"},
			"start": {fmt.Sprint(now.Add(-5 * time.Minute).Unix())},
			"end":   {fmt.Sprint(now.Unix())},
		})
		if err != nil {
			t.Fatal(err)
		}
		var series []struct {
			Exemplars []struct {
				Labels map[string]string `json:"labels"`
			} `json:"exemplars"`
		}
		if err := json.Unmarshal(data, &series); err != nil {
			t.Fatal(err)
		}
		traceID := regexp.MustCompile(`^[0-9a-f]{32}$`)
		var found int
		for _, s := range series {
			for _, e := range s.Exemplars {
				if traceID.MatchString(e.Labels["trace_id"]) {
					found++
				}
			}
		}
		if found == 0 {
			t.Fatalf("no exemplar with a trace_id among %d series: %s", len(series), tail(data, 1024))
		}
	})
}
