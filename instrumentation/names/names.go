package names

// OpenTelemetry instrument names recorded by Vigil, and the names the OTel
// Prometheus exporter gives them. Dashboards, recording rules and the engine
// import these, so a renamed metric breaks the build, not a panel.
const (
	// HTTP server semantic conventions.
	MetricRequestDuration  = "http.server.request.duration"   // histogram, s
	MetricActiveRequests   = "http.server.active_requests"    // up-down counter
	MetricRequestBodySize  = "http.server.request.body.size"  // histogram, By
	MetricResponseBodySize = "http.server.response.body.size" // histogram, By
	PromRequestDuration    = "http_server_request_duration_seconds"
	PromActiveRequests     = "http_server_active_requests"
	PromRequestBodySize    = "http_server_request_body_size_bytes"
	PromResponseBodySize   = "http_server_response_body_size_bytes"

	// Vigil's own instruments.
	MetricClientRequests     = "vigil.client.requests" // counter: client, http.route, http.request.method, outcome
	PromClientRequests       = "vigil_client_requests_total"
	MetricChatTokens         = "vigil.chat.tokens" // counter: client, token.type (prompt|completion)
	PromChatTokens           = "vigil_chat_tokens_total"
	MetricRateLimited        = "vigil.ratelimit.limited" // counter: client, http.route
	PromRateLimited          = "vigil_ratelimit_limited_total"
	MetricSecurityEvents     = "vigil.security.events" // counter: event.type
	PromSecurityEvents       = "vigil_security_events_total"
	MetricAlertsActive       = "vigil.alerts.active" // gauge: state, severity
	PromAlertsActive         = "vigil_alerts_active"
	MetricExporterDropped    = "vigil.exporter.dropped" // counter: signal
	PromExporterDropped      = "vigil_exporter_dropped_total"
	MetricSLOBudgetRemaining = "vigil.slo.error_budget.remaining" // gauge ratio: slo
	PromSLOBudgetRemaining   = "vigil_slo_error_budget_remaining_ratio"
	MetricSLOBurnRate        = "vigil.slo.burn_rate" // gauge: slo, window
	PromSLOBurnRate          = "vigil_slo_burn_rate"
)

// Attribute keys (OTel names; Prometheus replaces dots with underscores).
const (
	AttrMethod         = "http.request.method"
	AttrRoute          = "http.route"
	AttrStatusCode     = "http.response.status_code"
	AttrScheme         = "url.scheme"
	AttrErrorType      = "error.type"
	AttrClient         = "vigil.client"
	PromAttrMethod     = "http_request_method"
	PromAttrRoute      = "http_route"
	PromAttrStatusCode = "http_response_status_code"
	PromAttrClient     = "vigil_client"
)

// Runtime, host and process metrics (contrib runtime and host v0.72 and this
// package's gopsutil gauges), as the OTel Prometheus exporter names them.
// TestRuntimeAndHostMetricNames keeps them true.
const (
	MetricGoGoroutines        = "go.goroutines" // renamed from the contrib runtime's go.goroutine.count (see histogramViews)
	PromGoGoroutines          = "go_goroutines"
	PromGoMemoryUsed          = "go_memory_used_bytes" // go_memory_type: stack|other
	PromGoMemoryAllocated     = "go_memory_allocated_bytes_total"
	PromGoMemoryAllocations   = "go_memory_allocations_total"
	PromGoMemoryGCGoal        = "go_memory_gc_goal_bytes"
	PromGoProcessorLimit      = "go_processor_limit"
	PromGoConfigGOGC          = "go_config_gogc_percent"
	PromProcessCPUTime        = "process_cpu_time_seconds_total" // cpu_mode: user|system
	PromProcessCPUUtilization = "process_cpu_utilization_ratio"
	PromProcessMemoryUsage    = "process_memory_usage_bytes"    // RSS
	PromSystemCPUTime         = "system_cpu_time_seconds_total" // cpu_mode: user|system|idle|other
	PromSystemMemoryUsage     = "system_memory_usage_bytes"     // system_memory_state: used|free
	PromSystemMemoryUtil      = "system_memory_utilization_ratio"
	PromSystemNetworkIO       = "system_network_io_bytes_total" // network_io_direction: transmit|receive
	PromSystemFilesystemUsage = "system_filesystem_usage_bytes" // system_filesystem_state: used|free, system_filesystem_mountpoint
	PromSystemFilesystemUtil  = "system_filesystem_utilization_ratio"
	PromTargetInfo            = "target_info"
)

// Process and filesystem instruments the contrib host package does not
// record, observed with gopsutil at collection time (telemetry.Setup).
const (
	MetricProcessMemoryUsage          = "process.memory.usage"          // up-down counter, By (RSS)
	MetricProcessCPUUtilization       = "process.cpu.utilization"       // gauge, 1
	MetricSystemFilesystemUsage       = "system.filesystem.usage"       // up-down counter, By: system.filesystem.state, system.filesystem.mountpoint
	MetricSystemFilesystemUtilization = "system.filesystem.utilization" // gauge, 1: system.filesystem.mountpoint
)

// ScopeName is the instrumentation scope of every instrument and tracer
// Vigil's instrumentation creates (otel_scope_name in Prometheus output),
// whichever adapter records them.
const ScopeName = "github.com/vigilhq/vigil/instrumentation"
