package readiness_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/server"
)

func faultCheck(t *testing.T, url string) readiness.Check {
	t.Helper()
	cfg := fastConfig(url)
	for _, id := range readiness.Categories() {
		if id != readiness.CatExposure {
			cfg.Skip = append(cfg.Skip, id)
		}
	}
	ch := findCheck(runChecker(t, cfg), "exposure.fault_injection")
	if ch == nil {
		t.Fatal("no exposure.fault_injection check")
	}
	return *ch
}

// TestVigilDemoFaultsAreFound is issue 15 item 7: a Vigil with
// VIGIL_DEMO_FAULTS=1 scored 100 / A+ although any client could inject 500s
// and 10 s delays by header.
func TestVigilDemoFaultsAreFound(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run("demo faults "+strconv.FormatBool(on), func(t *testing.T) {
			e, err := server.New(server.Config{DemoFaults: on})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(e)
			defer srv.Close()
			ch := faultCheck(t, srv.URL)
			if !on {
				if ch.Result != readiness.Pass {
					t.Fatalf("without demo faults: %s %s", ch.Result, ch.Detail)
				}
				return
			}
			if ch.Result != readiness.Fail || ch.Severity != readiness.SevHigh {
				t.Fatalf("with demo faults: %s/%s %s", ch.Result, ch.Severity, ch.Detail)
			}
			for _, want := range []string{"X-Demo-Fault: error turned GET /api/public 200 into 500", "X-Demo-Delay: 1500ms delayed GET /api/public"} {
				if !strings.Contains(ch.Detail, want) {
					t.Errorf("detail %q lacks %q", ch.Detail, want)
				}
			}
		})
	}
}

// TestFaultHeadersOfOtherTools: Envoy's header-controlled fault filter and
// a mock server choosing its status from Prefer are found too; a service
// that ignores them, a slow one and a flaky one are not reported.
func TestFaultHeadersOfOtherTools(t *testing.T) {
	good := &testAPI{}
	var flaky atomic.Int64
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		detail  string
	}{
		{"an Envoy fault filter aborting by header is a failure", func(w http.ResponseWriter, r *http.Request) {
			if v := r.Header.Get("X-Envoy-Fault-Abort-Request"); v != "" {
				code, _ := strconv.Atoi(v)
				w.WriteHeader(code)
				return
			}
			if v := r.Header.Get("X-Envoy-Fault-Delay-Request"); v != "" {
				ms, _ := strconv.Atoi(v)
				time.Sleep(time.Duration(ms) * time.Millisecond)
			}
			good.ServeHTTP(w, r)
		}, readiness.Fail, "X-Envoy-Fault-Abort-Request: 531 turned GET /api/public 200 into 531"},
		{"a mock server honouring Prefer: code= is a failure", func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Prefer") == "code=500" {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			good.ServeHTTP(w, r)
		}, readiness.Fail, "Prefer: code=500"},
		{"a service that ignores fault headers passes", good.ServeHTTP, readiness.Pass, "none of"},
		{"a service that fails one request in three is not reported", func(w http.ResponseWriter, r *http.Request) {
			if flaky.Add(1)%3 == 0 {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			good.ServeHTTP(w, r)
		}, readiness.Pass, "none of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			ch := faultCheck(t, srv.URL)
			if ch.Result != tt.want || !strings.Contains(ch.Detail, tt.detail) {
				t.Fatalf("%s: %s", ch.Result, ch.Detail)
			}
		})
	}
}
