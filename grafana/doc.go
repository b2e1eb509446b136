// Package grafana builds Vigil's Grafana dashboards from Go code with
// github.com/grafana/grafana-foundation-sdk/go and holds the provisioning
// files the docker compose stack mounts into Grafana.
//
// Queries are written with the metric-name constants of the
// instrumentation package, so renaming a metric breaks the build rather
// than a panel. Every dashboard has a `datasource` variable and multi-value
// `job` and `instance` variables; every panel queries `${datasource}`.
//
// # Files
//
//   - provisioning/datasources/datasources.yml: Prometheus (uid
//     "prometheus", exemplars linked to Jaeger by trace_id) and Jaeger (uid
//     "jaeger").
//   - provisioning/dashboards/dashboards.yml: a file provider reading
//     /var/lib/grafana/dashboards.
//   - dashboards/*.json: generated; do not edit by hand.
//
// # Regenerating
//
//	go generate ./grafana/...
//
// or `go test ./grafana/ -update`. A test fails when the committed JSON
// differs from what the code generates.
package grafana

//go:generate go run ./gen -out dashboards
