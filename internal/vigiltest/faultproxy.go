package vigiltest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Fault is what a FaultProxy does to the requests it forwards.
type Fault struct {
	// Delay holds each request this long before forwarding it (or until
	// the client gives up).
	Delay time.Duration
	// Status, when set, answers every request with this status and Body
	// instead of forwarding it.
	Status int
	// Body is the answer with Status (Content-Type application/json).
	Body string
}

// FaultProxy is a reverse proxy in front of a real server (Prometheus)
// that injects faults on demand: a slow answer, an error status or a
// malformed body. Without a fault it forwards unchanged; while the server
// is down it drops the client's connection (as the dead server would).
type FaultProxy struct {
	// URL is the proxy's base URL.
	URL string

	mu    sync.Mutex
	fault Fault
}

// NewFaultProxy starts a proxy to target (a base URL), closed at cleanup.
func NewFaultProxy(tb testing.TB, target string) *FaultProxy {
	tb.Helper()
	u, err := url.Parse(target)
	require.NoError(tb, err)
	fp := &FaultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{}
	rp.ErrorLog = log.New(io.Discard, "", 0) // a client giving up mid-request is the point of a delay
	// Upstream down: drop the client's connection as a dead server would,
	// rather than answer 502 as a proxy does.
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := fp.current()
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = w.Write([]byte(f.Body))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(srv.Close)
	fp.URL = srv.URL
	return fp
}

// Set replaces the fault; Fault{} forwards unchanged.
func (fp *FaultProxy) Set(f Fault) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.fault = f
}

func (fp *FaultProxy) current() Fault {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	return fp.fault
}
