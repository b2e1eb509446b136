package exampletest

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Run is an example's main loop: serve on addr until ctx ends, telling
// onListen the address it listens on.
type Run func(ctx context.Context, addr string, onListen func(net.Addr)) error

// ServesUsersAndMetrics starts run on a free loopback port and checks
// GET /api/users/42, that /metrics has a series for route (the http.route
// the example records), and a clean shutdown.
func ServesUsersAndMetrics(t *testing.T, run Run, route string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	errs := make(chan error, 1)
	go func() { errs <- run(ctx, "127.0.0.1:0", func(a net.Addr) { addrs <- a }) }()
	var base string
	select {
	case a := <-addrs:
		base = "http://" + a.String()
	case err := <-errs:
		cancel()
		t.Fatalf("run: %v", err)
	}

	body := get(t, base+"/api/users/42", 200)
	if !strings.Contains(body, `"id":"42"`) {
		t.Errorf("user: %s", body)
	}
	metrics := get(t, base+"/metrics", 200)
	if !strings.Contains(metrics, `http_route="`+route+`"`) {
		t.Errorf("/metrics has no series for route %s:\n%s", route, metrics)
	}

	cancel()
	select {
	case err := <-errs:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no shutdown")
	}
}

func get(t *testing.T, url string, want int) string {
	t.Helper()
	resp, err := http.Get(url) //nolint:gosec,noctx // a loopback URL the test built
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if resp.Header.Get("X-Trace-Id") == "" {
		t.Errorf("GET %s: no X-Trace-Id", url)
	}
	return string(b)
}
