// Package stacktest holds the integration tests of the full stack, run
// against real processes on 127.0.0.1 since Docker and Grafana are not
// available on CI machines:
//
//   - Prometheus (Debian's prometheus binary) scrapes a real Vigil under
//     generated traffic with errors and delays; every panel query of every
//     committed dashboard must succeed and return data, and exemplars with
//     trace_id must be stored.
//   - Jaeger v2 (the tools/jaeger Go tool) receives Vigil's OTLP traces;
//     the trace of a request sent with a known traceparent must be found.
//   - The same Jaeger binary, run as an OpenTelemetry Collector with
//     tools/jaeger/collector.yaml (metrics to its Prometheus exporter, logs
//     and metrics to an OTLP receiver of the test's own), receives every
//     signal over http/protobuf and grpc: its Prometheus output must match
//     Vigil's /metrics (names, request counts, exemplars), log records carry
//     their request's trace and span; killed under load, it must not slow a
//     request, and Vigil must count the drops.
//   - docker-compose.yml is loaded with compose-go and cross-checked with
//     the Prometheus and Grafana provisioning files; the otel profile's
//     collector configuration (otel-collector/config.yaml) also runs in the
//     Jaeger binary and passes traces and metrics on.
//
// Tests needing a binary fail when it is missing and the CI environment
// variable is set, and skip otherwise. scripts/install-deps installs them.
//
//	go test ./stacktest/ -v
package stacktest
