// Package notify delivers alert notifications through named stages, in the
// spirit of Alertmanager's notify package.
//
// # Pipeline
//
// Each cycle, [Pipeline.Notify] takes the active alerts and
//
//  1. groups them: every alert goes to the deepest matching routes of the
//     routing tree ([Route.Match]) and, per route, to the group of its
//     group_by labels; recently resolved alerts and those the notification
//     log still owes a receiver join their groups;
//  2. mutes: [MuteStage] drops the firing alerts a [Muter] (silences)
//     mutes;
//  3. fans out to every integration of the route's receiver, where each
//     group passes [ReadLogStage] (the notification log entry),
//     [WaitStage] (group_wait, group_interval and the backoff of a
//     failed delivery), [DedupStage] (a pure function of the log entry and
//     the group, [NeedsUpdate]), [RetryStage] (bounded attempts with
//     exponential backoff, leader only) and [LogStage] (the notification
//     log and the alert history).
//
// Stages implement the one-method [Stage] interface and are composed with
// [MultiStage] and [FanoutStage]; none of them knows the engine: their
// collaborators are small interfaces ([NotificationLog], [Muter],
// [Recorder]) given at construction.
//
// # Owed notifications
//
// A delivery that fails stays owed in the notification log (the alerts
// tried, since when, how many attempts): it is tried again, with backoff,
// until it is delivered or the receiver's owed_horizon (default 24h)
// passes — across restarts and leader changes, since the log lives in the
// store. An alert that resolved before its firing notification was
// delivered still gets its resolved notification, and with
// deliver_missed_firing its firing one first.
//
// # Integrations
//
// One file per integration: webhook (Alertmanager v4 payload), Slack,
// email (SMTP), PagerDuty Events v2, Microsoft Teams (Workflows webhook
// with an Adaptive Card), Discord, Opsgenie Alert API v2 and Telegram Bot
// API. Secrets come from environment variables named in the configuration
// and are never logged.
package notify
