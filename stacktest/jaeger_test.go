package stacktest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jaegerPorts are the listeners of tools/jaeger/config.yaml, rewritten to
// free ports for the test.
var jaegerPorts = []string{"4317", "4318", "16686", "16685", "13133"}

// startJaeger builds the Jaeger v2 Go tool (its own module, tools/jaeger)
// and runs it with the committed configuration on free ports. It returns
// the OTLP/HTTP endpoint and the query base URL.
func startJaeger(t *testing.T) (otlp, query string) {
	t.Helper()
	need(t, "go")
	if _, err := os.Stat(filepath.Join(repoRoot, "tools", "jaeger", "go.mod")); err != nil {
		t.Fatal(err)
	}
	bin := build(t, "jaeger", "tools/jaeger", "github.com/jaegertracing/jaeger/cmd/jaeger")
	b, err := os.ReadFile(filepath.Join(repoRoot, "tools", "jaeger", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	ports := map[string]int{}
	for _, p := range jaegerPorts {
		ports[p] = freePort(t)
		if !strings.Contains(cfg, "127.0.0.1:"+p) {
			t.Fatalf("tools/jaeger/config.yaml does not bind 127.0.0.1:%s", p)
		}
		cfg = strings.ReplaceAll(cfg, "127.0.0.1:"+p, addr(ports[p]))
	}
	path := filepath.Join(t.TempDir(), "jaeger.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	start(t, bin, []string{"--config", "file:" + path}, nil)
	query = "http://" + addr(ports["16686"])
	waitReady(t, "http://"+addr(ports["13133"])+"/status", 60*time.Second)
	waitReady(t, query+"/api/services", 30*time.Second)
	return "http://" + addr(ports["4318"]), query
}

// TestTraceReachesJaeger sends a request with a known traceparent to a
// Vigil exporting OTLP to a real Jaeger and finds the trace there.
func TestTraceReachesJaeger(t *testing.T) {
	otlp, query := startJaeger(t)
	base := startVigil(t, "",
		"OTEL_EXPORTER_OTLP_ENDPOINT="+otlp,
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
		"OTEL_SERVICE_NAME=vigil-stacktest",
		"OTEL_BSP_SCHEDULE_DELAY=200",
	)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	code, err := send(t.Context(), "GET", base+"/api/users/42", nil, map[string]string{
		"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01",
	})
	if err != nil || code != 200 {
		t.Fatalf("GET /api/users/42: %d %v", code, err)
	}

	// The batch span processor exports asynchronously: poll Jaeger.
	var last string
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		body, err := httpGet(t.Context(), query+"/api/traces/"+traceID)
		if err != nil {
			last = err.Error()
			time.Sleep(500 * time.Millisecond)
			continue
		}
		var r struct {
			Data []struct {
				TraceID string `json:"traceID"`
				Spans   []struct {
					OperationName string `json:"operationName"`
					TraceID       string `json:"traceID"`
				} `json:"spans"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &r); err != nil {
			last = fmt.Sprintf("decode: %v: %s", err, tail(body, 512))
		} else {
			var names []string
			for _, tr := range r.Data {
				for _, s := range tr.Spans {
					if s.OperationName == "GET /api/users/:id" && s.TraceID == traceID {
						return
					}
					names = append(names, s.OperationName)
				}
			}
			last = fmt.Sprintf("spans %v", names)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("trace %s with span GET /api/users/:id not found in Jaeger: %s", traceID, last)
}
