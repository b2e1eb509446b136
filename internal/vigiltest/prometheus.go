package vigiltest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// promReadyTimeout bounds the wait for Prometheus' /-/ready (a restart
// replays the WAL first).
const promReadyTimeout = 60 * time.Second

// NeedBinary returns the path of a program the test needs, failing the
// test when it is missing and the CI environment variable is set, and
// skipping it otherwise.
func NeedBinary(tb testing.TB, name, install string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s not found (%s): %v", name, install, err)
		}
		tb.Skipf("%s not installed (%s), skipping (CI unset)", name, install)
	}
	return p
}

// PrometheusOptions describe one Prometheus process.
type PrometheusOptions struct {
	// Targets are the host:port addresses scraped as job Job. Optional.
	Targets []string
	// Job is the scrape job of Targets. Optional. Default "vigil".
	Job string
	// ScrapeInterval is the scrape and rule evaluation interval.
	// Optional. Default 1s.
	ScrapeInterval time.Duration
	// RuleFiles are loaded as rule_files (absolute paths). Optional.
	RuleFiles []string
	// Addr is the 127.0.0.1:port to listen on, for tests that must name
	// Prometheus before it starts (FreeAddr). Optional. Default a free port.
	Addr string
	// Alertmanagers are host:port addresses Prometheus sends its alerts to
	// (Alertmanager API v2). Optional.
	Alertmanagers []string
}

// queryLog is the file of Prometheus' query log, in its data directory's
// parent.
const queryLog = "queries.log"

// Prometheus is a running Debian prometheus (2.42) with exemplar storage,
// scraping its targets and itself (job "prometheus"). Kill and Restart
// crash it and bring it back on the same port with the same TSDB.
type Prometheus struct {
	// URL is the base URL, http://127.0.0.1:port.
	URL string

	tb     testing.TB
	bin    string
	dir    string
	args   []string
	logs   *SyncBuffer
	cmd    *exec.Cmd
	exited chan struct{}
	client *http.Client
}

// StartPrometheus starts Prometheus on a free 127.0.0.1 port and waits
// until it is ready. It fails the test under CI when prometheus is not
// installed (scripts/install-deps installs it) and skips it elsewhere.
func StartPrometheus(tb testing.TB, opts PrometheusOptions) *Prometheus {
	tb.Helper()
	bin := NeedBinary(tb, "prometheus", "install Debian's prometheus package: scripts/install-deps")
	if opts.Job == "" {
		opts.Job = "vigil"
	}
	if opts.ScrapeInterval <= 0 {
		opts.ScrapeInterval = time.Second
	}
	dir := tb.TempDir()
	addr := opts.Addr
	if addr == "" {
		addr = FreeAddr(tb)
	}
	iv := opts.ScrapeInterval.String()
	cfg := map[string]any{
		"global": map[string]any{"scrape_interval": iv, "scrape_timeout": iv, "evaluation_interval": iv,
			"query_log_file": filepath.Join(dir, queryLog)},
		"scrape_configs": []any{
			map[string]any{"job_name": opts.Job, "static_configs": []any{map[string]any{"targets": opts.Targets}}},
			map[string]any{"job_name": "prometheus", "static_configs": []any{map[string]any{"targets": []string{addr}}}},
		},
	}
	if len(opts.RuleFiles) > 0 {
		cfg["rule_files"] = opts.RuleFiles
	}
	if len(opts.Alertmanagers) > 0 {
		cfg["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{
			"api_version": "v2", "static_configs": []any{map[string]any{"targets": opts.Alertmanagers}}}}}
	}
	b, err := yaml.Marshal(cfg)
	require.NoError(tb, err)
	path := filepath.Join(dir, "prometheus.yml")
	require.NoError(tb, os.WriteFile(path, b, 0o600))
	p := &Prometheus{
		URL:  "http://" + addr,
		dir:  dir,
		tb:   tb,
		bin:  bin,
		logs: &SyncBuffer{},
		args: []string{
			"--config.file=" + path,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
			"--enable-feature=exemplar-storage",
			"--log.level=warn",
		},
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}},
	}
	p.start()
	tb.Cleanup(p.cleanup)
	return p
}

func (p *Prometheus) start() {
	p.tb.Helper()
	p.cmd = exec.CommandContext(context.Background(), p.bin, p.args...) //nolint:gosec // the test's own flags
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	p.exited = make(chan struct{})
	require.NoError(p.tb, p.cmd.Start(), "start prometheus")
	exited, cmd := p.exited, p.cmd
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	p.waitReady()
}

func (p *Prometheus) waitReady() {
	p.tb.Helper()
	waitOK(p.tb, p.client, p.URL+"/-/ready", promReadyTimeout, p.exited,
		func() string { return "prometheus exited early\n" + p.logs.String() },
		func() string { return "prometheus\n" + p.logs.String() })
}

// Kill crashes Prometheus with SIGKILL and waits until it is gone.
func (p *Prometheus) Kill() {
	p.tb.Helper()
	select {
	case <-p.exited:
		p.tb.Fatalf("prometheus was not running when killed\n%s", p.logs.String())
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.client.CloseIdleConnections()
}

// Restart starts Prometheus again on the same port with the same
// configuration and TSDB directory, and waits until it is ready.
func (p *Prometheus) Restart() {
	p.tb.Helper()
	select {
	case <-p.exited:
	default:
		p.tb.Fatal("Restart: prometheus is still running; Kill it first")
	}
	p.start()
}

func (p *Prometheus) cleanup() {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(cleanupGrace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	p.client.CloseIdleConnections()
	if p.tb.Failed() {
		p.tb.Logf("prometheus logs:\n%s", p.logs.String())
	}
}

// Queries returns the queries Prometheus has run, from its query log
// (every query through the HTTP API and of its own rules), in order.
func (p *Prometheus) Queries() []string {
	p.tb.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, queryLog))
	require.NoError(p.tb, err)
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e struct {
			Params struct {
				Query string `json:"query"`
			} `json:"params"`
		}
		require.NoError(p.tb, json.Unmarshal([]byte(line), &e), "query log line %q", line)
		out = append(out, e.Params.Query)
	}
	return out
}

// Logs returns what Prometheus wrote so far.
func (p *Prometheus) Logs() string { return p.logs.String() }

// PromSample is one sample of an instant query's result.
type PromSample struct {
	Metric map[string]string
	Value  float64
}

// Query runs an instant query through Prometheus' HTTP API (not through
// Vigil's client) and returns its vector; a failed query fails the test.
func (p *Prometheus) Query(q string) []PromSample {
	p.tb.Helper()
	return p.QueryAt(q, time.Time{})
}

// QueryAt is Query evaluated at ts (zero: now).
func (p *Prometheus) QueryAt(q string, ts time.Time) []PromSample {
	p.tb.Helper()
	args := url.Values{"query": {q}}
	if !ts.IsZero() {
		args.Set("time", strconv.FormatFloat(float64(ts.UnixNano())/1e9, 'f', -1, 64))
	}
	req, err := http.NewRequestWithContext(p.tb.Context(), http.MethodGet, p.URL+"/api/v1/query?"+args.Encode(), nil)
	require.NoError(p.tb, err)
	resp, err := p.client.Do(req)
	require.NoError(p.tb, err, "query %s", q)
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(p.tb, json.NewDecoder(resp.Body).Decode(&body), "query %s", q)
	require.Equal(p.tb, "success", body.Status, "query %s: %s", q, body.Error)
	require.Equal(p.tb, "vector", body.Data.ResultType, "query %s", q)
	out := make([]PromSample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		require.NoError(p.tb, err, "query %s: value %v", q, r.Value)
		out = append(out, PromSample{Metric: r.Metric, Value: v})
	}
	return out
}

// WaitScraped waits until each of the targets of job has been scraped
// successfully after the call (up == 1 with a newer timestamp), so what
// the targets counted before the call is in Prometheus when it returns.
func (p *Prometheus) WaitScraped(job string, targets int, within time.Duration) {
	p.tb.Helper()
	since := float64(time.Now().UnixMilli()) / 1000
	deadline := time.Now().Add(within)
	for {
		ok := 0
		// timestamp() of a selector is the scrape's time (of anything else,
		// the evaluation time).
		for _, s := range p.Query(fmt.Sprintf(`timestamp(up{job=%q}) and up{job=%q} == 1`, job, job)) {
			if s.Value > since {
				ok++
			}
		}
		if ok >= targets {
			return
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("job %s: %d of %d targets scraped within %s\n%s", job, ok, targets, within, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond) // polling another process
	}
}
