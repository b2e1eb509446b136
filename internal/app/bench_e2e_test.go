package app_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/vigilhq/vigil/internal/vigiltest"
)

// BenchmarkFaultToWebhook measures, on the real binary with a 1 s evaluation
// interval and for: 0, the time from the first failing request to the firing
// webhook arriving (goal ≤ 5 s). Each iteration is one incident: faults,
// firing (timed), then healthy traffic until the resolved notification.
func BenchmarkFaultToWebhook(b *testing.B) {
	hooks, hookURL := vigiltest.NewHookReceiver(b)
	cfgPath := writeConfig(b, hookURL)
	p := startVigil(b, b.TempDir(), []string{"VIGIL_DEMO_FAULTS=1", "VIGIL_ADMIN_TOKEN=" + adminToken}, "--config", cfgPath)
	var total time.Duration
	for b.Loop() {
		start := time.Now()
		for range 10 {
			p.Do("GET", "/api/users/3", "", nil, "X-Demo-Fault", "error")
		}
		hooks.Wait("firing", 30*time.Second)
		total += time.Since(start)
		b.StopTimer()
		resolved := hooks.Count("resolved")
		deadline := time.Now().Add(30 * time.Second)
		for hooks.Count("resolved") == resolved && time.Now().Before(deadline) {
			if resp, err := http.Get(p.URL + "/api/users/4"); err == nil {
				resp.Body.Close()
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s/fault-to-webhook")
}
