// Package bench measures what Vigil's instrumentation costs per request,
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
//     (the Prometheus exporter, whose aggregation exporter.Poller reads for
//     the series store, and exporter.Spans behind a batch span processor)
//     with the default sampler (vigil), sampling every request
//     (vigil-sampled100) and tracing off (vigil-unsampled);
//     vigil-sdk-instruments gives the middleware a plain MeterProvider, as an
//     application bringing its own does, so its histograms go through the
//     SDK's instruments;
//   - bare-echov5 and vigil-echov5, bare-nethttp and vigil-nethttp: echo v5
//     and a net/http ServeMux ("GET /api/users/{id}") without
//     instrumentation and with Vigil's adapter for them, with the providers
//     of vigil. Their ratios are taken against their own bare framework
//     ([Variant.Base]).
//
// BenchmarkMiddlewareRequest builds a request and a recorder per operation
// (the harness of the reference table); BenchmarkMiddleware reuses
// them, so it measures the handler chain alone.
//
// Two more measurements of the engine's goals live here: cmd/apiload (an
// open-loop load, package openloop, against a running `vigil serve`) and
// BenchmarkRSS1kSeries24h (process RSS after 24 simulated hours).
//
// It is its own Go module, so the peers never become dependencies of Vigil.
//
// # Running
//
//	cd bench
//	go test -run '^$' -bench 'BenchmarkMiddleware(Request)?$' -benchmem -count 6 . | tee new.txt
//	go run ./cmd/load            # loopback req/s and p99 ratios to bare echo
//	VIGIL_ADMIN_TOKEN=... go run ./cmd/apiload -base http://127.0.0.1:8080
//
// BENCHMARKS.md at the repository root holds the figures and the machine they
// were taken on.
package bench
