// Package httpmetrics aggregates the three HTTP server histograms of the
// instrumentation (request duration, request and response body sizes)
// itself, for the Prometheus exporter's reader, which collects them as a
// metric producer. telemetry.Setup creates and registers them for its
// MeterProvider; the server instrumentation (httpserver) looks them up.
package httpmetrics
