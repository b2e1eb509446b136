// Package series is Vigil's windowed in-memory time-series store. It is fed
// by the exporter package (it implements exporter.Sink and
// exporter.SpanSink) and answers the queries of the alerting and reporting
// engines: increases (rates, ratios), sums by attribute, merged histograms
// and their quantiles, latest gauge values and per-step ranges, over any
// window up to the retention (24 h by default).
//
// # Storage
//
// Every series (metric name + attribute set) owns two ring buffers of fixed
// size allocated when the series is created: a fine ring (Config.Step, 10 s
// by default, covering Config.FineRetention, 1 h, plus one coarse step) and
// a coarse ring (Config.CoarseStep, 5 m, covering Config.Retention, 24 h).
// Every sample is added to both rings, so no downsampling pass is needed.
// Counters keep one float64 per step, gauges the last value per step,
// histograms per-step bucket-count deltas (uint32), sum, min and max, with
// the boundaries fixed by the first sample of the series. Memory is
// therefore bounded by Config.MaxSeries × the per-series cost; samples that
// would create a series beyond the limit are dropped and counted
// ([Store.Overflow]). Series without samples for Config.Retention are
// deleted.
//
// # Time resolution
//
// A sample at time t belongs to the step whose interval ((i-1)·Step, i·Step]
// contains t. A query window (now-window, now] is answered with whole steps:
// the steps whose end lies in the window, i.e. exact when now and window are
// multiples of Step. The part of a window older than the fine ring of a
// series is answered from coarse steps, rounded outward to whole coarse
// steps (so a 6 h window may include up to one extra coarse step).
//
// # Matchers
//
// Matchers follow Prometheus: regular expressions are fully anchored and a
// missing attribute has the value "". Attribute names are OTel keys
// (http.route, http.response.status_code) and metric names OTel names
// (http.server.request.duration).
package series
