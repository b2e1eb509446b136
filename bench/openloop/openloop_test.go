package openloop_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/bench/openloop"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunSendsAtTheRateAndCountsStatuses(t *testing.T) {
	var hits, authed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") == "Bearer t" {
			authed.Add(1)
		}
		if r.URL.Path == "/slow" {
			time.Sleep(20 * time.Millisecond) // a real server's latency, not test logic
		}
		if r.URL.Path == "/missing" {
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	res, err := openloop.Run(context.Background(), openloop.Config{
		URLs:     []string{srv.URL + "/fast", srv.URL + "/slow", srv.URL + "/missing"},
		Header:   http.Header{"Authorization": {"Bearer t"}},
		Rate:     300,
		Duration: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 90 || hits.Load() != 90 || authed.Load() != 90 {
		t.Errorf("sent %d, server saw %d (%d with the header), want 90", res.Sent, hits.Load(), authed.Load())
	}
	if res.Status[200] != 60 || res.Status[404] != 30 || res.Errors != 0 {
		t.Errorf("statuses %v errors %d (%s)", res.Status, res.Errors, res.FirstError)
	}
	if p := res.Percentile(srv.URL+"/slow", 0.5); p < 20*time.Millisecond {
		t.Errorf("slow path p50 = %v, want ≥ 20ms", p)
	}
	if res.P99 < res.P50 || res.Max < res.P99 {
		t.Errorf("percentiles out of order: p50 %v p99 %v max %v", res.P50, res.P99, res.Max)
	}
	srv.CloseClientConnections()
}

func TestRunRejectsAnEmptyConfig(t *testing.T) {
	for name, cfg := range map[string]openloop.Config{
		"no urls":   {Rate: 1, Duration: time.Second},
		"zero rate": {URLs: []string{"http://127.0.0.1:1"}, Duration: time.Second},
		"no time":   {URLs: []string{"http://127.0.0.1:1"}, Rate: 1},
	} {
		if _, err := openloop.Run(context.Background(), cfg); !errors.Is(err, openloop.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}
