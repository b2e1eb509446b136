// Package fleet is Vigil's side of fleet mode: the `fleet` configuration
// section and a bounded client of a Prometheus-compatible HTTP API v1
// (Prometheus, Thanos Query, Mimir, VictoriaMetrics).
//
// Behind a load balancer every replica's in-memory series hold only the
// requests it served. In fleet mode the alerting leader and the summaries
// read the fleet's numbers from the Prometheus that scrapes every replica,
// while Vigil keeps the rule definitions, the alert state machine,
// acknowledgements, silences, history and notifications.
//
// # Configuration
//
//	fleet:
//	  prometheus:
//	    url: http://prometheus:9090      # or VIGIL_FLEET_PROMETHEUS
//	    bearer_token_env: PROM_TOKEN     # or basic_auth: {username, password_env}
//	    tls_config: {ca_file: /etc/ssl/prom-ca.pem, insecure_skip_verify: false}
//	    timeout: 4s                      # default 80 % of the evaluation interval, ≤ 10s
//	    extra_matchers: '{job="vigil"}'  # added to every selector Vigil builds
//	    max_series: 10000                # a bigger result is an error
//
// [ParseConfig] decodes the section strictly: an unknown key, a value of
// the wrong type or an unset secret variable is one [ConfigError] naming
// the key. Without a URL fleet mode is off and nothing else changes.
//
// # Queries
//
// [Client] wraps github.com/prometheus/client_golang/api/prometheus/v1:
// [Client.Query], [Client.QueryRange] and [Client.QueryExemplars]. Each
// query has the configured timeout (also sent to Prometheus as the query's
// own timeout); a result of more than max_series series is an error, and
// the response body is capped (1 MiB + 4 KiB per allowed series) before it
// is decoded, so a runaway query cannot exhaust memory. Every failure is a
// [*QueryError] with a [Reason] (unreachable, timeout, error_response,
// bad_response, too_many_series) and a short detail without the query's
// URL or credentials, counted by vigil.fleet.query.failures{reason}
// (vigil_fleet_query_failures_total in Prometheus).
//
// Extra matchers are never edited into query strings: Vigil's own PromQL
// builders add [Client.Matchers] to every selector they generate.
//
// # Health
//
// [Client.Health] reports the outcome of the latest query (probing with
// vector(1) when none ran for 30 s); the app shows it as the
// fleet:prometheus component of /api/health, warn while queries fail.
package fleet
