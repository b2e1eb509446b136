// Package otlptest is an OTLP/HTTP receiver for tests: a real HTTP server
// on 127.0.0.1 that decodes what OTLP exporters (Vigil's own, or a
// collector's otlphttp exporter) post to /v1/traces, /v1/metrics and
// /v1/logs, keeps it, and lets a test wait for what it expects.
//
//	rcv := otlptest.NewReceiver(t)
//	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL)
//	...
//	logs := rcv.WaitLogs(t, 10*time.Second, func(r *logspb.LogRecord) bool { ... })
package otlptest
