package stacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
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
	startOnFreePorts(t, 60*time.Second, func() (*process, string) {
		cfg, ports := rebind(t, "tools/jaeger/config.yaml", "127.0.0.1", jaegerPorts)
		path := filepath.Join(t.TempDir(), "jaeger.yaml")
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		p := start(t, bin, []string{"--config", "file:" + path}, nil)
		otlp, query = "http://"+addr(ports["4318"]), "http://"+addr(ports["16686"])
		return p, "http://" + addr(ports["13133"]) + "/status"
	})
	waitReady(t, query+"/api/services", 30*time.Second)
	return otlp, query
}

// findTrace polls Jaeger's query API until the trace holds a span named
// span: exports are asynchronous.
func findTrace(t *testing.T, query, traceID, span string) {
	t.Helper()
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
				Spans []struct {
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
					if s.OperationName == span && s.TraceID == traceID {
						return
					}
					names = append(names, s.OperationName)
				}
			}
			last = fmt.Sprintf("spans %v", names)
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("trace %s with span %q not found in Jaeger: %s", traceID, span, last)
}

// TestTracesReachJaeger checks both ways traces get to a real Jaeger: OTLP
// export, and GET /api/traces/export posted to Jaeger's OTLP/HTTP endpoint.
func TestTracesReachJaeger(t *testing.T) {
	otlp, query := startJaeger(t)

	t.Run("a request with a known traceparent is exported over OTLP", func(t *testing.T) {
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
		findTrace(t, query, traceID, "GET /api/users/:id")
	})

	t.Run("GET /api/traces/export is OTLP JSON Jaeger accepts", func(t *testing.T) {
		// No OTLP exporter: the trace reaches Jaeger only through the export.
		const adminKey = "stacktest-admin-key-0123456789abcdef"
		base := startVigil(t, "", "OTEL_TRACES_EXPORTER=none", "OTEL_SERVICE_NAME=vigil-export", "VIGIL_ADMIN_TOKEN="+adminKey)
		const traceID = "5af92f3577b34da6a3ce929d0e0e4737"
		code, err := send(t.Context(), "GET", base+"/api/users/43", nil, map[string]string{
			"traceparent":  "00-" + traceID + "-00f067aa0ba902b8-01",
			"X-Demo-Fault": "error", // errors are always kept by the recent-span store
		})
		if err != nil || code != 500 {
			t.Fatalf("GET /api/users/43 with a demo fault: %d %v", code, err)
		}
		var body []byte
		deadline := time.Now().Add(15 * time.Second)
		for {
			body, err = httpGet(t.Context(), base+"/api/traces/export?minutes=5", "X-API-Key", adminKey)
			if err == nil && strings.Contains(string(body), traceID) || time.Now().After(deadline) {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
		if err != nil || !strings.Contains(string(body), traceID) {
			t.Fatalf("GET /api/traces/export?minutes=5 does not contain trace %s: %v %s", traceID, err, tail(body, 512))
		}
		otlpURL := otlp + "/v1/traces"
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, otlpURL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := readAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %s %s", otlpURL, resp.Status, answer)
		}
		findTrace(t, query, traceID, "GET /api/users/:id")
	})
}
