package fleettest_test

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// BenchmarkFaultToWebhookFleet is internal/app's BenchmarkFaultToWebhook in
// fleet mode: a real `vigil serve` whose leader evaluates on a real
// Prometheus scraping it every second, 1 s evaluation interval, the same
// rule (error_ratio over 4s, for: 0). It measures the time from the first
// failing request to the firing webhook arriving (goal ≤ 4 s): a scrape,
// Prometheus' ingestion, the next cycle's query and the notification.
//
// Unlike the in-process benchmark's burst of 10 failing requests, the
// fault lasts until the alert fires, over steady healthy traffic (about
// 50 requests a second): Prometheus' rate() takes a counter's first sample
// as its baseline, so a burst that creates the 5xx series and stops before
// the next scrape is never an increase. Each iteration is one incident:
// fault, firing (timed), healthy traffic until the resolved notification.
func BenchmarkFaultToWebhookFleet(b *testing.B) {
	f := startFleetWith(b, 1, options{window: 4 * time.Second})
	p := f.replicas[0]
	tr := startTraffic(b)
	healthy := func() { tr.set([]*vigiltest.Proc{p}, nil) }
	healthy()
	f.scraped()
	var total, worst time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		tr.set(nil, []*vigiltest.Proc{p})
		f.hooks.Wait("firing", 30*time.Second)
		took := time.Since(start)
		total += took
		worst = max(worst, took)
		n++
		b.StopTimer()
		healthy()
		f.hooks.Wait("resolved", 30*time.Second)
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(n), "s/fault-to-webhook")
	b.ReportMetric(worst.Seconds(), "s/worst")
}
