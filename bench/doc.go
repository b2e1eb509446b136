// Package bench measures what Vigil's echo instrumentation costs per request,
// side by side with its peers, over one route and one handler
// (GET /api/users/:id returning a small JSON object):
//
//   - bare: echo v4 with no middleware;
//   - echoprometheus: github.com/labstack/echo-contrib's Prometheus
//     middleware (metrics only);
//   - otelhttp: otelhttp v0.72 around echo, with an SDK MeterProvider
//     exporting to Prometheus and an SDK TracerProvider with a batch span
//     processor;
//   - otelecho: otelecho v0.60.0 (its last release, traces only) with the same
//     providers;
//   - vigil: Vigil's middleware with the providers the application builds
//     (Prometheus exporter, exporter.Metrics behind a PeriodicReader,
//     exporter.Spans behind a batch span processor), once with the default
//     sampler and once sampling every request.
//
// It is its own Go module, so the peers never become dependencies of Vigil.
//
// # Running
//
//	cd bench
//	go test -run '^$' -bench . -benchmem -count 6 . | tee new.txt
//	go run ./cmd/load            # loopback req/s and p99 ratios to bare echo
//
// BENCHMARKS.md at the repository root holds the figures and the machine they
// were taken on.
package bench
