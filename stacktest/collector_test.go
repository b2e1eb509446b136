package stacktest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/internal/otlptest"
	"github.com/vigilhq/vigil/internal/vigiltest"
)

// The collector is the Jaeger v2 binary of tools/jaeger (an OpenTelemetry
// Collector distribution) run with tools/jaeger/collector.yaml: traces into
// Jaeger's storage, metrics to its prometheus exporter (scraped here) and,
// like logs, to the test's own OTLP/HTTP receiver through an otlphttp
// exporter the test adds. Every signal has a pipeline in that one binary;
// no other collector is built.

// collectorPorts are the listeners of tools/jaeger/collector.yaml.
var collectorPorts = []string{"4317", "4318", "16686", "16685", "13133", "8889"}

type collector struct {
	otlpHTTP, otlpGRPC string // endpoints for OTEL_EXPORTER_OTLP_ENDPOINT
	prom               string // the prometheus exporter's /metrics
	query              string // Jaeger's query API
	rcv                *otlptest.Receiver
	proc               *process
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	need(t, "go")
	bin := build(t, "jaeger", "tools/jaeger", "github.com/jaegertracing/jaeger/cmd/jaeger")
	c := &collector{rcv: otlptest.NewReceiver(t)}
	startOnFreePorts(t, 60*time.Second, func() (*process, string) {
		cfg, ports := rebind(t, "tools/jaeger/collector.yaml", "127.0.0.1", collectorPorts)
		out, err := withReceiverExporter([]byte(cfg), c.rcv.URL)
		if err != nil {
			t.Fatalf("tools/jaeger/collector.yaml: %v", err)
		}
		path := filepath.Join(t.TempDir(), "collector.yaml")
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		c.proc = start(t, bin, []string{"--config", "file:" + path}, nil)
		c.otlpHTTP = "http://" + addr(ports["4318"])
		c.otlpGRPC = "http://" + addr(ports["4317"])
		c.prom = "http://" + addr(ports["8889"]) + "/metrics"
		c.query = "http://" + addr(ports["16686"])
		return c.proc, "http://" + addr(ports["13133"]) + "/status"
	})
	return c
}

// withReceiverExporter adds an otlphttp exporter towards url to the
// metrics and logs pipelines of a collector configuration.
func withReceiverExporter(cfg []byte, url string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(cfg, &doc); err != nil {
		return nil, err
	}
	exporters, _ := doc["exporters"].(map[string]any)
	service, _ := doc["service"].(map[string]any)
	pipelines, _ := service["pipelines"].(map[string]any)
	if exporters == nil || pipelines == nil {
		return nil, errors.New("no exporters or service.pipelines")
	}
	exporters["otlphttp/stacktest"] = map[string]any{
		"endpoint":    url,
		"compression": "none",
		// The receiver is there for the whole test: nothing to retry.
		"retry_on_failure": map[string]any{"enabled": false},
		"sending_queue":    map[string]any{"enabled": false},
	}
	for _, signal := range []string{"metrics", "logs"} {
		p, _ := pipelines[signal].(map[string]any)
		if p == nil {
			return nil, fmt.Errorf("no %s pipeline", signal)
		}
		exps, _ := p["exporters"].([]any)
		p["exporters"] = append(exps, "otlphttp/stacktest")
	}
	return yaml.Marshal(doc)
}

// TestCollectorReceivesEverySignal sends Vigil's traces, metrics and logs
// to a real collector over both OTLP protocols and both temporalities,
// and checks what the collector passed on: metrics with the same names and
// the same request counts as Vigil's own /metrics (and exemplars), log
// records carrying the trace and span of the request that wrote them (as
// Vigil's JSON stderr does), and the trace in Jaeger.
func TestCollectorReceivesEverySignal(t *testing.T) {
	tests := map[string]struct{ protocol, temporality string }{
		"http/protobuf, cumulative": {"http/protobuf", "cumulative"},
		"grpc, cumulative":          {"grpc", "cumulative"},
		"http/protobuf, delta":      {"http/protobuf", "delta"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			col := startCollector(t)
			endpoint := col.otlpHTTP
			if tc.protocol == "grpc" {
				endpoint = col.otlpGRPC
			}
			service := "vigil-" + strings.NewReplacer("/", "-", ",", "", " ", "-").Replace(name)
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "vigil.yml")
			if err := os.WriteFile(cfgPath, []byte(vigilConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			p := vigiltest.Start(t, vigilBinary(t), vigiltest.Options{DataDir: dir, Env: []string{
				"VIGIL_CONFIG=" + cfgPath,
				"STACKTEST_CLIENT_KEY=" + clientKey,
				"OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL=" + tc.protocol,
				"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=" + tc.temporality,
				"OTEL_SERVICE_NAME=" + service,
				"OTEL_TRACES_SAMPLER=always_on",
				"OTEL_BSP_SCHEDULE_DELAY=200",
				"OTEL_BLRP_SCHEDULE_DELAY=200",
				"OTEL_METRIC_EXPORT_INTERVAL=1000",
				"VIGIL_LOG_FORMAT=json",
				"VIGIL_DEMO_FAULTS=1",
			}})

			// Traffic: successes and failures that log, as a client (usage
			// counters), past /api/public's limit (rate-limit and security
			// event counters).
			var failTrace string
			for i := range 12 {
				hdr := map[string]string{"X-API-Key": clientKey}
				if i%4 == 3 {
					hdr["X-Demo-Fault"] = "error"
				}
				resp, err := sendFull(t.Context(), "GET", fmt.Sprintf("%s/api/users/%d", p.URL, i), hdr)
				if err != nil {
					t.Fatal(err)
				}
				if i%4 == 3 {
					failTrace = resp.Header.Get("X-Trace-Id")
				}
			}
			for range 5 {
				if _, err := sendFull(t.Context(), "GET", p.URL+"/api/public", map[string]string{"X-API-Key": clientKey}); err != nil {
					t.Fatal(err)
				}
			}

			t.Run("metrics: same names and counts as /metrics", func(t *testing.T) {
				compareWithCollector(t, p.URL+"/metrics", col.prom, service)
			})
			t.Run("metrics: temporality as preferred", func(t *testing.T) {
				want := metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
				if tc.temporality == "delta" {
					want = metricspb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
				}
				col.rcv.Wait(t, 30*time.Second, "request duration histogram", func(r *otlptest.Receiver) bool {
					return len(r.MetricsNamed(names.MetricRequestDuration)) > 0
				})
				for _, m := range col.rcv.MetricsNamed(names.MetricRequestDuration) {
					if got := m.GetHistogram().GetAggregationTemporality(); got != want {
						t.Fatalf("the collector received %v, want %v", got, want)
					}
				}
			})
			t.Run("logs carry the request's trace and span, on stderr too", func(t *testing.T) {
				var spanID string
				col.rcv.Wait(t, 30*time.Second, "log record of the failing request", func(r *otlptest.Receiver) bool {
					for _, lr := range r.LogRecords() {
						if lr.GetBody().GetStringValue() == "request failed" && hex.EncodeToString(lr.GetTraceId()) == failTrace {
							spanID = hex.EncodeToString(lr.GetSpanId())
							return true
						}
					}
					return false
				})
				if len(spanID) != 16 {
					t.Fatalf("OTLP record of trace %s has span ID %q", failTrace, spanID)
				}
				if !stderrHasRecord(p.Logs(), "request failed", failTrace, spanID) {
					t.Errorf("no JSON stderr record \"request failed\" with trace_id %s and span_id %s:\n%s", failTrace, spanID, tail([]byte(p.Logs()), 4096))
				}
			})
			t.Run("the failing request's trace is in Jaeger", func(t *testing.T) {
				findTrace(t, col.query, failTrace, "GET /api/users/:id")
			})
		})
	}
}

// sendFull performs one request and returns the response (body drained).
func sendFull(ctx context.Context, method, url string, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	_, _ = readAll(resp.Body)
	_ = resp.Body.Close()
	return resp, nil
}

func stderrHasRecord(logs, msg, traceID, spanID string) bool {
	for line := range strings.SplitSeq(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg && m["trace_id"] == traceID && m["span_id"] == spanID {
			return true
		}
	}
	return false
}

// scrapeFamilies reads a Prometheus text exposition.
func scrapeFamilies(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	body, err := httpGet(t.Context(), url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return mfs
}

// requestCounts is http_server_request_duration_seconds_count by route,
// method and status, leaving out /metrics and /health (the test's own
// scrapes and the harness's readiness polls).
func requestCounts(mfs map[string]*dto.MetricFamily, service string) map[string]uint64 {
	out := map[string]uint64{}
	mf := mfs[names.PromRequestDuration]
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if job, ok := labels["job"]; ok && job != service {
			continue // the collector's series of another service
		}
		route := labels[names.PromAttrRoute]
		if route == "/metrics" || route == "/health" || route == "/ready" || route == "" {
			continue
		}
		key := fmt.Sprintf("%s %s %s", labels[names.PromAttrMethod], route, labels[names.PromAttrStatusCode])
		out[key] += m.GetHistogram().GetSampleCount()
	}
	return out
}

// compareWithCollector waits until the collector's Prometheus exporter
// counts the requests Vigil's /metrics counts (exports are periodic), then
// checks that every metric name of /metrics is there too.
func compareWithCollector(t *testing.T, vigilMetrics, collectorMetrics, service string) {
	t.Helper()
	want := requestCounts(scrapeFamilies(t, vigilMetrics), service)
	if len(want) < 3 {
		t.Fatalf("Vigil's /metrics counts too few request series: %v", want)
	}
	var got map[string]uint64
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = requestCounts(scrapeFamilies(t, collectorMetrics), service)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request counts differ after 30s:\n/metrics:   %v\ncollector:  %v", want, got)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// A name /metrics has may appear after the collector's last export
	// (a gauge first observed by an evaluation cycle): the names must
	// agree within the deadline too.
	required := []string{names.PromRequestDuration, names.PromResponseBodySize, names.PromGoGoroutines,
		names.PromGoMemoryUsed, names.PromProcessMemoryUsage, names.PromSystemCPUTime, names.PromSystemFilesystemUtil,
		names.PromClientRequests, names.PromSecurityEvents, names.PromAlertsActive}
	for {
		vigil := scrapeFamilies(t, vigilMetrics)
		coll := scrapeFamilies(t, collectorMetrics)
		var missing, absent []string
		for name := range vigil {
			if _, ok := coll[name]; !ok {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		// The signal's substance, whatever else /metrics had: HTTP server
		// histograms, runtime, host and process metrics, Vigil's own.
		for _, name := range required {
			if _, ok := coll[name]; !ok {
				absent = append(absent, name)
			}
		}
		if len(missing) == 0 && len(absent) == 0 {
			break
		}
		if time.Now().After(deadline) {
			if len(missing) > 0 {
				t.Errorf("%d of %d metric names of /metrics are not in the collector's output: %v", len(missing), len(vigil), missing)
			}
			for _, name := range absent {
				t.Errorf("the collector has no %s", name)
			}
			break
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Exemplars travel too: the collector's OpenMetrics output has them.
	body, err := httpGet(t.Context(), collectorMetrics, "Accept", "application/openmetrics-text; version=1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, names.PromRequestDuration+"_bucket") && strings.Contains(line, "# {") && strings.Contains(line, "trace_id=") {
			found = true
			break
		}
	}
	if !found {
		t.Errorf("no exemplar with a trace_id on %s_bucket in the collector's OpenMetrics output", names.PromRequestDuration)
	}
}

// TestCollectorDownUnderLoad takes the collector away while requests keep
// coming, killed (connections refused) or paused with SIGSTOP (a hung
// collector: connections accepted, never answered): no request may wait on
// the exporters (the load's slowest request stays far below the OTLP
// export timeout, 10 s), and what could not be exported is counted in
// vigil.exporter.dropped for every signal.
func TestCollectorDownUnderLoad(t *testing.T) {
	for _, how := range []string{"killed", "paused"} {
		t.Run("collector "+how, func(t *testing.T) {
			col := startCollector(t)
			p := vigiltest.Start(t, vigilBinary(t), vigiltest.Options{Env: []string{
				"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.otlpHTTP,
				"OTEL_SERVICE_NAME=vigil-collector-" + how,
				"OTEL_TRACES_SAMPLER=always_on",
				"OTEL_BSP_SCHEDULE_DELAY=100",
				"OTEL_BSP_MAX_EXPORT_BATCH_SIZE=64",
				"OTEL_BLRP_SCHEDULE_DELAY=100",
				"OTEL_BLRP_MAX_EXPORT_BATCH_SIZE=64",
				"OTEL_METRIC_EXPORT_INTERVAL=500",
				"OTEL_METRIC_EXPORT_TIMEOUT=1000",
				"OTEL_EXPORTER_OTLP_TIMEOUT=10000",
				"VIGIL_DEMO_FAULTS=1",
			}})
			col.rcv.Wait(t, 30*time.Second, "metrics before the collector goes", func(r *otlptest.Receiver) bool {
				return len(r.Metrics()) > 0
			})
			if how == "killed" {
				col.proc.kill()
			} else {
				col.proc.pause(t)
			}
			loadWithoutCollector(t, p)
		})
	}
}

func loadWithoutCollector(t *testing.T, p *vigiltest.Proc) {
	t.Helper()
	const (
		workers   = 8
		perWorker = 150
		bound     = 3 * time.Second
	)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      []error
	)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				hdr := map[string]string{}
				if i%5 == 0 {
					hdr["X-Demo-Fault"] = "error" // logs a record per failure
				}
				start := time.Now()
				_, err := sendFull(t.Context(), "GET", fmt.Sprintf("%s/api/users/%d", p.URL, w*perWorker+i), hdr)
				d := time.Since(start)
				mu.Lock()
				latencies = append(latencies, d)
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d requests failed, first: %v", len(errs), errs[0])
	}
	slices.Sort(latencies)
	p99 := latencies[len(latencies)*99/100]
	worst := latencies[len(latencies)-1]
	t.Logf("%d requests without a collector: p50 %s, p99 %s, max %s", len(latencies), latencies[len(latencies)/2], p99, worst)
	if worst > bound {
		t.Errorf("slowest request took %s without a collector, want under %s (export timeout 10s)", worst, bound)
	}

	deadline := time.Now().Add(60 * time.Second)
	for _, signal := range []string{"traces", "metrics", "logs"} {
		for {
			n := droppedInMetrics(t, p.URL+"/metrics", signal)
			if n > 0 {
				t.Logf("vigil_exporter_dropped_total{signal=%q} = %v", signal, n)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s drop counted 60s after the collector went", signal)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !strings.Contains(p.Logs(), "telemetry export dropped items") {
		t.Errorf("no log line about dropped telemetry:\n%s", tail([]byte(p.Logs()), 4096))
	}
}

// droppedInMetrics is vigil_exporter_dropped_total{signal} of the OTLP
// exporters (instrumentation scope), as /metrics shows it.
func droppedInMetrics(t *testing.T, url, signal string) float64 {
	t.Helper()
	mf := scrapeFamilies(t, url)[names.PromExporterDropped]
	if mf == nil {
		return 0
	}
	n := 0.0
	for _, m := range mf.GetMetric() {
		var sig, scope string
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "signal":
				sig = l.GetValue()
			case "otel_scope_name":
				scope = l.GetValue()
			}
		}
		if sig == signal && scope == names.ScopeName {
			n += m.GetCounter().GetValue()
		}
	}
	return n
}
