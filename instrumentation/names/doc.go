// Package names holds the OpenTelemetry instrument and attribute names Vigil
// records, and the names the OTel Prometheus exporter gives them.
//
// It imports nothing, so every part of Vigil can use it: the framework
// adapters and their core ([github.com/vigilhq/vigil/instrumentation/httpserver]),
// the setup ([github.com/vigilhq/vigil/instrumentation/telemetry]), the
// engine, and the dashboard and rule generators, so that a renamed metric
// breaks the build, not a panel. Package instrumentation re-exports every
// name for existing users.
package names
