// Package alerting evaluates Vigil's alerting rules against the windowed
// series store, runs the alert state machine, persists alerts and their
// append-only history in the store, and sends notifications.
//
// # Rules
//
// A rule is declared once in the `alerting` section of the configuration
// (see [Config] and [ParseConfig]) and produces two outputs that are kept in
// step: the in-process evaluation done by [Engine] and a Prometheus alerting
// rule file produced by [PrometheusRules]. [DefaultRules] is the rule set used
// when no rules are configured.
//
// # Lifecycle
//
// Alerts are identified by a fingerprint of their labels. A rule whose
// condition holds makes an alert pending, then firing once `for` has elapsed
// (immediately with `for: 0`). It resolves once the condition has been false
// for `keep_firing_for` and, with `resolve_threshold`, once the value dropped
// below that threshold. Every transition, acknowledgement, silence and
// notification is appended to the alert's history in the store. The store is
// the source of truth: each evaluation re-reads the active alerts (once per
// cycle), so acknowledgements, manual resolves and silences made on another
// replica are honoured, and a restart restores pending timers and firing
// alerts.
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
//	cfg, err := alerting.ParseConfig(section)
//	eng, err := alerting.New(cfg, alerting.Deps{Store: st, Series: ser, Traces: spans})
//	go eng.Run(ctx)
package alerting
