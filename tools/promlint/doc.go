// Package promlint lints Vigil's generated Grafana dashboards
// (grafana/dashboards/*.json) with the rules of grafana/dashboard-linter,
// re-implemented here, and parses every panel query with the Prometheus
// PromQL parser.
//
// It is its own module so that github.com/prometheus/prometheus (and the
// dependency upgrades it brings) stays out of Vigil's main go.mod.
//
// # Rules
//
//   - a `datasource` template variable of type prometheus;
//   - `job` and `instance` query variables: multi-value, include All with
//     allValue `.+`, refreshed on time-range change;
//   - panels and targets query `$datasource`;
//   - every panel has a title, a description, a known unit and at least
//     one target;
//   - every query parses as PromQL once template variables are substituted;
//   - rate, irate and increase use `[$__rate_interval]`;
//   - `*_total` counters appear only inside rate, irate or increase;
//   - dashboard uids and titles are unique, panel titles unique within a
//     dashboard.
//
// # Usage
//
//	cd tools/promlint && go test ./...
package promlint
