package load_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/bench"
	"github.com/vigilhq/vigil/bench/load"
)

// TestLoadRunIsBounded drives every variant with a tiny interleaved load on
// loopback: it keeps the runner working in CI; timings are not asserted.
func TestLoadRunIsBounded(t *testing.T) {
	var targets []load.Target
	for _, v := range bench.Variants() {
		h, stop, err := v.New()
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(func() { srv.Close(); stop() })
		targets = append(targets, load.Target{Name: v.Name, Addr: strings.TrimPrefix(srv.URL, "http://"), Base: v.BaseName()})
	}
	cfg := load.Config{Path: bench.Path, Requests: 40, Rounds: 2, Concurrency: 4, MaxDuration: 30 * time.Second}
	res, err := load.Run(context.Background(), cfg, targets)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Name != targets[i].Name || r.Requests != 40 || r.P99 <= 0 || r.P99 < r.P50 || len(r.RoundRPS) != 2 {
			t.Errorf("result %d = %+v, want 40 requests for %s in 2 rounds with p50 ≤ p99", i, r, targets[i].Name)
		}
	}
	table := load.Table(res)
	for _, row := range []string{"| bare | bare | 40 |", "| vigil-nethttp | bare-nethttp | 40 |", "| vigil-echov5 | bare-echov5 | 40 |"} {
		if !strings.Contains(table, row) {
			t.Errorf("table lacks the row %q:\n%s", row, table)
		}
	}
}

func TestRoundRatioIsTheMedianOfPerRoundRatios(t *testing.T) {
	base := load.Result{RoundRPS: []float64{100, 100, 50, 100}}
	r := load.Result{RoundRPS: []float64{90, 80, 10, 85}}
	// Ratios 0.9, 0.8, 0.2, 0.85: the slow round does not drag the median.
	if got := load.RoundRatio(r, base); got < 0.824 || got > 0.826 {
		t.Errorf("RoundRatio = %v, want 0.825", got)
	}
	if got := load.RoundRatio(load.Result{}, base); got != 0 {
		t.Errorf("RoundRatio without rounds = %v, want 0", got)
	}
}

// TestLoadRunReportsBadStatus checks that a non-200 answer fails the run
// instead of counting as a fast request.
func TestLoadRunReportsBadStatus(t *testing.T) {
	srv := httptest.NewServer(nil) // DefaultServeMux: 404 for everything
	defer srv.Close()
	_, err := load.Run(context.Background(), load.Config{Path: "/nope", Requests: 2, Concurrency: 1, MaxDuration: 10 * time.Second},
		[]load.Target{{Name: "404", Addr: strings.TrimPrefix(srv.URL, "http://")}})
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err = %v, want a bad-response error naming 404", err)
	}
}
