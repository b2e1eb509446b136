// Package reporting turns Vigil's windowed series, span records and usage
// rollups into summaries, SLO status and exportable reports.
//
// # Usage
//
// [Usage] counts every matched request exactly (not sampled) per minute and
// per (client, route, method): requests, errors (status ≥ 500), rate-limited
// requests (429) and chat tokens. Minute buckets are kept in memory for
// [UsageConfig.MemorySpan] (24 h by default) with a bounded number of keys;
// hourly deltas are flushed to the store every minute and on Close, so a
// restart loses nothing and counts nothing twice. [Usage.Run] also deletes
// rollups older than [UsageConfig.Retention] (30 days by default).
//
// # Summaries
//
// [Service] answers the management API: request and performance summaries
// and system series from the series store, recent error and slow spans,
// usage, SLO status and the combined [Report], rendered as JSON, CSV
// ([WriteCSV]: RFC 4180, long format with a section column) or Markdown
// ([WriteMarkdown]).
//
// Latency quantiles use [series.Quantile], the algorithm of Prometheus'
// histogram_quantile, over the merged http.server.request.duration
// histogram, so they agree with Prometheus within one bucket.
//
// # SLOs
//
// Each configured [SLO] gets an availability SLI over its window, computed
// from the hourly usage rollups in the store (the series keep only 24 h), a
// latency SLI over min(window, 24 h) from the duration histogram, the error
// budget remaining and the 1 h burn rate from the series. See [SLOStatus].
//
// # Command line
//
// [Main] implements `vigil report`: it fetches /api/reports from a running
// server and writes it atomically to a file or to stdout.
package reporting
