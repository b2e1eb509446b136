package otlptest

import (
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	colmetricspb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	metricspb "go.opentelemetry.io/proto/otlp/metrics/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver keeps every request an OTLP/HTTP exporter sent it.
type Receiver struct {
	// URL is the base URL (http://127.0.0.1:port), the value of
	// OTEL_EXPORTER_OTLP_ENDPOINT or a collector exporter's endpoint.
	URL string

	srv *http.Server
	ln  net.Listener

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every request
	metrics []*metricspb.ResourceMetrics
	logs    []*logspb.ResourceLogs
	spans   []*tracepb.ResourceSpans
	status  int // answer to give; 0 is 200
}

// NewReceiver starts a receiver that stops when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{URL: "http://" + ln.Addr().String(), ln: ln, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/metrics", func(w http.ResponseWriter, req *http.Request) {
		var m colmetricspb.ExportMetricsServiceRequest
		if r.decode(w, req, &m) {
			r.add(func() { r.metrics = append(r.metrics, m.GetResourceMetrics()...) })
			r.answer(w, &colmetricspb.ExportMetricsServiceResponse{})
		}
	})
	mux.HandleFunc("POST /v1/logs", func(w http.ResponseWriter, req *http.Request) {
		var m collogspb.ExportLogsServiceRequest
		if r.decode(w, req, &m) {
			r.add(func() { r.logs = append(r.logs, m.GetResourceLogs()...) })
			r.answer(w, &collogspb.ExportLogsServiceResponse{})
		}
	})
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		var m coltracepb.ExportTraceServiceRequest
		if r.decode(w, req, &m) {
			r.add(func() { r.spans = append(r.spans, m.GetResourceSpans()...) })
			r.answer(w, &coltracepb.ExportTraceServiceResponse{})
		}
	})
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(func() { _ = r.srv.Close() })
	return r
}

// Fail makes the receiver answer every later request with status (503:
// a collector that refuses), or accept again with 0.
func (r *Receiver) Fail(status int) {
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func (r *Receiver) decode(w http.ResponseWriter, req *http.Request, m proto.Message) bool {
	r.mu.Lock()
	status := r.status
	r.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return false
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		defer gz.Close()
		body = gz
	}
	b, err := io.ReadAll(body)
	if err == nil {
		err = proto.Unmarshal(b, m)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func (r *Receiver) answer(w http.ResponseWriter, m proto.Message) {
	b, _ := proto.Marshal(m)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func (r *Receiver) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
}

// Metrics returns every ResourceMetrics received so far.
func (r *Receiver) Metrics() []*metricspb.ResourceMetrics {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*metricspb.ResourceMetrics(nil), r.metrics...)
}

// Logs returns every ResourceLogs received so far.
func (r *Receiver) Logs() []*logspb.ResourceLogs {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*logspb.ResourceLogs(nil), r.logs...)
}

// Spans returns every ResourceSpans received so far.
func (r *Receiver) Spans() []*tracepb.ResourceSpans {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.ResourceSpans(nil), r.spans...)
}

// LogRecords returns every log record received so far.
func (r *Receiver) LogRecords() []*logspb.LogRecord {
	var out []*logspb.LogRecord
	for _, rl := range r.Logs() {
		for _, sl := range rl.GetScopeLogs() {
			out = append(out, sl.GetLogRecords()...)
		}
	}
	return out
}

// MetricsNamed returns every metric of that name received so far.
func (r *Receiver) MetricsNamed(name string) []*metricspb.Metric {
	var out []*metricspb.Metric
	for _, rm := range r.Metrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				if m.GetName() == name {
					out = append(out, m)
				}
			}
		}
	}
	return out
}

// Wait blocks until ok holds for what was received, or fails the test
// after timeout.
func (r *Receiver) Wait(t testing.TB, timeout time.Duration, what string, ok func(*Receiver) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if ok(r) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("otlp receiver: no %s after %s", what, timeout)
		}
	}
}
