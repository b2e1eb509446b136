// Package alerting evaluates Vigil's alerting rules, runs the alert state
// machine, persists alerts and their append-only history in the store, and
// sends notifications.
//
// # Rules and kinds
//
// A rule is declared once in the `alerting` section of the configuration
// (see [Config] and [ParseConfig]); [DefaultRules] is the rule set used when
// no rules are configured. A rule's kind ([Kind], one type per file:
// kind_error_ratio.go, kind_latency_quantile.go, kind_request_rate.go,
// kind_request_rate_drop.go, kind_saturation.go, kind_absent.go,
// kind_slo_burn_rate.go) answers every question about it: which fields it
// takes and how they are validated, how its value is computed in process,
// its value as a PromQL expression, the label its samples are split by
// (route, slo, or none), its data window, whether a missing sample holds the
// alert's state ("no data") and on which side of its threshold it fires.
// The rest of the package, `vigil rules export` ([PrometheusRules]) and the
// alerts dashboard (package grafana) ask the kind; none switches on it.
// Adding a kind is one file, its entry in the kinds table and its tests.
//
// # One definition, three outputs, any source
//
// A kind's value is defined twice, in step: [Kind.Evaluate] computes it in
// process from the windowed series, [Kind.Value] writes it as a PromQL
// value expression. Both yield one series per label set of the rule's split
// label with the same value. Shared code builds everything else from the
// value expression:
//
//   - [AlertExpr], the exported Prometheus alerting rule: "<value> > t" (or
//     "< t" for a kind that fires below its threshold), and with
//     resolve_threshold the usual ALERTS-based hysteresis,
//     "or (<value> >= r and on(<split label>) ALERTS{alertname=...,
//     alertstate="firing"})";
//   - a dashboard panel: the value over `$__rate_interval` ([PromQL.Range])
//     with the threshold as a line;
//   - the values a fleet-mode source evaluates ([Rule.ValueExpr], with
//     [PromQL.Matchers] for extra matchers such as `job="vigil"`).
//
// Evaluation is a [Source] producing, for every rule, []Sample (labels and
// value) or an error, followed by the one comparison and state machine
// (state.go) every source shares. [SeriesSource] is the in-process source:
// each kind's Evaluate against the series store, identical queries of a
// cycle answered once, many rules on two goroutines. [PromSource], fleet
// mode's source, is one more implementation: it runs each rule's value
// expression (the one [PrometheusRulesFor] exports with the same
// [PromQL]) against a Prometheus-compatible /api/v1/query through a
// [PromQuerier] and returns the vector as samples, labels as they come —
// the state machine keeps only the rule's split label, so an alert raised
// from Prometheus has the fingerprint of the one raised in process. A NaN
// value (0/0 in PromQL) is no data; a failed query is the rule's error:
// its alerts keep their state, as with no data, the no-data hold counts
// from the failure (the window has a gap after an outage), and the rule's
// health says why. The rules to evaluate are the Evaluator's
// (Config().Rules): their SLOs are resolved.
//
// # SLOs
//
// An [SLO] is declared once, in the `slos` section (a sibling of
// `alerting`), for a route or a route family ([RouteFamily]: FamilyAPI, the
// API the service exists for; FamilyManagement, Vigil's management API;
// probes, scrapes, docs and unmatched requests are in neither). Without a
// `slos` section [DefaultSLOs] is one SLO per family. The same list drives
// /api/slos and the reports (package reporting) and the burn-rate rules: a
// slo_burn_rate rule with `slo: "*"` (the defaults' SLOBurnRateFast, Medium
// and Slow: the SRE workbook's 1h/5m ×14.4 and 6h/30m ×6 pages, 3d/6h ×1
// ticket) alerts per SLO, labelled slo, when both of its windows burn the
// SLO's budget faster than its factor.
//
// # Parts
//
// [Engine] wires parts with one job each, each with its own store interface
// of at most five methods: the [Evaluator] (cycles: values → state
// machine → events, then its [Silencer] and [Notifier]), the [Ingester]
// (Alertmanager webhook payloads), [Actions] (acknowledge, resolve),
// [Silences], the [Publisher] (events to subscribers) and [History]
// (standalone events such as notifications). A server composes the parts it
// serves.
//
// # Lifecycle
//
// Alerts are identified by a fingerprint of their labels; an incident's ID
// is its source, full fingerprint and start, unique by construction, and
// the store refuses a second row for one incident. A rule whose condition
// holds makes an alert pending, then firing once `for` has elapsed
// (immediately with `for: 0`). It resolves once the condition has been false
// for `keep_firing_for` and, with `resolve_threshold`, once the value
// crossed back over that threshold. Every transition, acknowledgement,
// silence and notification is appended to the alert's history in the store;
// a change of an alert and its history event are one transaction. The store
// is the source of truth: each evaluation re-reads the active alerts (once
// per cycle), so acknowledgements, manual resolves and silences made on
// another replica are honoured, and a restart restores pending timers and
// firing alerts. Every time is kept at the store's precision
// ([store.Truncate]), so every notification of an alert carries the same
// instants.
//
// # What is written when
//
// New alerts, state changes, keep_firing_for timers, trace IDs and silences
// are written in the cycle that produces them. An active alert's latest
// value, annotations and LastEvalAt (when its condition last held) are kept
// in memory and written at least every half no-data hold (at most a
// minute; see the rule's window), so the copy in the store, which the API
// and other replicas read, lags by at most that much; notifications and
// the rules API use the latest evaluation. A replica that takes over
// counts the no-data hold from the stored LastEvalAt plus that lag, so it
// never resolves an incident earlier than its predecessor would have.
//
// # Notifications
//
// After each cycle the engine hands the active alerts to a [Silencer]
// (package silence: silences mark alerts silenced) and a [Notifier]
// (package notify: the notification pipeline). The routing tree ([Route],
// its child routes with Alertmanager matchers, continue and inherited
// receiver, group_by and timers) sends every alert to the deepest matching
// routes; per route, alerts are grouped by group_by. A new group waits
// group_wait before its first notification, changes are sent at most every
// group_interval, and an unchanged firing group is re-sent every
// repeat_interval unless every firing alert in it is acknowledged or
// silenced. Resolved alerts are always notified. Receivers are webhooks
// (Alertmanager v4 payload), Slack, email over SMTP, PagerDuty Events v2,
// Microsoft Teams, Discord, Opsgenie and Telegram. A notification log in
// the store keyed by receiver, route and group makes sure a restart or a
// leader change neither repeats nor loses a notification; a delivery that
// failed stays owed there until the receiver is back (within the
// receiver's owed_horizon).
//
// # Usage
//
//	cfg, err := alerting.ParseConfig(section, alerting.WithSLOs(slos))
//	eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ser, Traces: spans})
//	go eng.Evaluator.Run(ctx)
package alerting
