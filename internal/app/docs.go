package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/console"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

var (
	viewerRoles = []string{"viewer", "admin"}
	adminRoles  = []string{"admin"}
	// storeBacked: the operation reads or writes the store, so a store
	// outage is a 503 with Retry-After.
	storeBacked = []int{http.StatusServiceUnavailable}
)

func docInfo() apidocs.Info {
	return apidocs.Info{
		Title:   "Vigil API",
		Version: Version,
		Description: "Vigil observes an echo API with OpenTelemetry: the reference AI Learning API, " +
			"its alerts, usage, reports, security events and readiness checks. Management routes " +
			"take an API key as `Authorization: Bearer KEY` or `X-API-Key: KEY`, or the session cookie of the alert console (/ui). " +
			"Every GET route also answers HEAD, with the same status and headers and no body.",
		Tags: []apidocs.Tag{
			{Name: "AI Learning API", Description: "The reference application Vigil observes."},
			{Name: "Alerts", Description: "Alerts, their history, silences and rules."},
			{Name: "Metrics", Description: "Request, performance, system and usage summaries, traces, reports and SLOs."},
			{Name: "Security", Description: "Security events and posture."},
			{Name: "Readiness", Description: "Production-readiness checks."},
			{Name: "Service", Description: "Landing, health, Prometheus metrics, documentation and the live stream."},
			{Name: "Console", Description: "The alert console at /ui: login, logout and the session."},
		},
	}
}

func intRange(lo, hi float64, def int) apidocs.ParamSchema {
	return apidocs.ParamSchema{Type: "integer", Min: apidocs.Float(lo), Max: apidocs.Float(hi), Default: def}
}

// operations documents every route build mounts; a test fails when a served
// route is missing here or a documented one is not served.
func operations() []apidocs.Operation {
	ok := func(desc string, body any) map[int]apidocs.Response {
		return map[int]apidocs.Response{200: {Description: desc, Body: body}}
	}
	alertID := apidocs.Param{Name: "id", In: "path", Required: true, Description: "alert ID", Example: "9c5df165fb49-mwxq4q9a"}
	silenceID := apidocs.Param{Name: "id", In: "path", Required: true, Description: "silence ID", Example: "5f0c2a9e1b7d4c31"}
	minutes := apidocs.Param{Name: "minutes", In: "query", Description: "timeframe in minutes", Schema: intRange(1, 1440, 5)}
	scope := apidocs.Param{Name: "scope", In: "query", Description: "whose requests: fleet (every replica, from Prometheus; the default in fleet mode) " +
		"or replica (this replica's own); 503 naming Prometheus when the fleet scope cannot be answered",
		Schema: apidocs.ParamSchema{Enum: []string{"fleet", "replica"}}}
	fleetDown := apidocs.Response{Description: "fleet scope: Prometheus unreachable, slow or failing (problem details)", Body: server.Problem{}, ContentType: server.ContentTypeProblem}
	storeOrFleetDown := apidocs.Response{Description: "the store is unavailable (with Retry-After) or, in fleet scope, Prometheus is unreachable, slow or failing (problem details)",
		Body: server.Problem{}, ContentType: server.ContentTypeProblem}
	return []apidocs.Operation{
		{Method: "GET", Path: "/", Tags: []string{"Service"}, Summary: "Landing page",
			Description: "HTML for browsers; JSON with the version and links for `Accept: application/json`.",
			Responses:   map[int]apidocs.Response{200: {Description: "landing page", Body: server.Landing{}}}},
		{Method: "GET", Path: "/health", Tags: []string{"Service"}, Summary: "Liveness",
			Responses: map[int]apidocs.Response{200: {Description: "the process is alive", Body: server.LivenessResponse{}, ContentType: server.ContentTypeHealth}}},
		{Method: "GET", Path: "/ready", Tags: []string{"Service"}, Summary: "Readiness (store reachable)",
			Responses: map[int]apidocs.Response{
				200: {Description: "ready", Body: server.HealthResponse{}, ContentType: server.ContentTypeHealth},
				503: {Description: "not ready", Body: server.HealthResponse{}, ContentType: server.ContentTypeHealth}}},
		{Method: "GET", Path: "/api/health", Tags: []string{"Service"}, Summary: "Detailed health with component checks",
			Responses: map[int]apidocs.Response{
				200: {Description: "pass or warn", Body: server.HealthResponse{}, ContentType: server.ContentTypeHealth},
				503: {Description: "fail", Body: server.HealthResponse{}, ContentType: server.ContentTypeHealth}}},
		{Method: "GET", Path: "/metrics", Tags: []string{"Service"}, Summary: "Prometheus metrics (OpenMetrics with exemplars when asked for)",
			Responses: map[int]apidocs.Response{200: {Description: "exposition", ContentType: "text/plain"}}},
		{Method: "GET", Path: "/metrics/prometheus", Tags: []string{"Service"}, Summary: "Prometheus metrics (same as /metrics)",
			Responses: map[int]apidocs.Response{200: {Description: "exposition", ContentType: "text/plain"}}},
		{Method: "GET", Path: "/ws/metrics", Tags: []string{"Service"}, Summary: "Live stream (WebSocket)",
			Description: "Upgrade to a WebSocket receiving `{\"type\": \"system_metrics\"|\"api_metrics\"|\"alert\", \"data\": ...}` " +
				"every evaluation interval and on every alert state change. Authenticate with `Authorization`, the console's " +
				"session cookie, or (scripts that cannot set headers) the subprotocol " +
				"`base64url.bearer.authorization.k8s.io.<key in unpadded base64url>` offered next to `vigil.metrics.v1`, " +
				"which is echoed back. A key in the query string is never accepted. At most 10 connections per key " +
				"(429) and 100 in all (503); a stream closes (1008) when its key or session is revoked or expires.",
			Security: viewerRoles, Responses: map[int]apidocs.Response{101: {Description: "switching protocols"}},
			Errors: []int{http.StatusUpgradeRequired, http.StatusTooManyRequests, http.StatusServiceUnavailable}},
		{Method: "GET", Path: "/health/security", Tags: []string{"Security"}, Summary: "Security posture",
			Responses: map[int]apidocs.Response{
				200: {Description: "posture: pass or warn", Body: security.PostureReport{}, ContentType: server.ContentTypeHealth},
				503: {Description: "posture: fail", Body: security.PostureReport{}, ContentType: server.ContentTypeHealth}}},
		{Method: "GET", Path: "/admin/security/events", Tags: []string{"Security"}, Summary: "Security events, newest first",
			Security: adminRoles, Responses: ok("a page of events", security.EventsPage{}), Errors: storeBacked,
			Params: []apidocs.Param{
				{Name: "type", In: "query", Description: "OWASP event type", Schema: apidocs.ParamSchema{Enum: security.EventTypes}},
				{Name: "since", In: "query", Description: "RFC 3339 time or a duration such as 1h", Example: "1h"},
				{Name: "limit", In: "query", Schema: intRange(1, 1000, 100)},
				{Name: "before", In: "query", Description: "page before this event ID", Schema: apidocs.ParamSchema{Type: "integer"}}}},

		{Method: "POST", Path: "/api/chat", Tags: []string{"AI Learning API"}, Summary: "Ask the tutor",
			Description: "A deterministic simulated model: the same message always gets the same reply and latency.",
			Request:     server.ChatRequest{}, RateLimited: true, Responses: ok("the reply", server.ChatResponse{})},
		{Method: "GET", Path: "/api/users/:id", Tags: []string{"AI Learning API"}, Summary: "A learner",
			Description: fmt.Sprintf("Learners have IDs 1 to %d; any other positive ID is a 404.", server.MaxUserID),
			Params: []apidocs.Param{{Name: "id", In: "path", Required: true,
				Schema: apidocs.ParamSchema{Type: "integer", Min: apidocs.Float(1)}, Example: "42"}},
			Responses: ok("the learner", server.User{}), RateLimited: true},
		{Method: "POST", Path: "/api/login", Tags: []string{"AI Learning API"}, Summary: "Log in",
			Request: server.LoginRequest{}, RateLimited: true, Responses: ok("a session token", server.LoginResponse{}),
			Errors: []int{http.StatusUnauthorized}},
		{Method: "GET", Path: "/api/public", Tags: []string{"AI Learning API"}, Summary: "Public greeting (rate limited: 10 per minute)",
			RateLimited: true, Responses: ok("greeting", server.PublicResponse{})},

		{Method: "GET", Path: "/api/alerts", Tags: []string{"Alerts"}, Summary: "List alerts", Security: viewerRoles,
			Params: []apidocs.Param{
				{Name: "state", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"pending", "firing", "acknowledged", "resolved", "silenced"}}},
				{Name: "limit", In: "query", Schema: intRange(1, 1000, 100)}},
			Responses: ok("alerts, newest first", server.AlertList{}), Errors: storeBacked},
		{Method: "GET", Path: "/api/alerts/rules", Tags: []string{"Alerts"}, Summary: "Loaded rules and their last evaluation",
			Security: viewerRoles, Responses: ok("rules", server.RuleList{})},
		{Method: "GET", Path: "/api/alerts/:id", Tags: []string{"Alerts"}, Summary: "One alert", Security: viewerRoles,
			Params: []apidocs.Param{alertID}, Responses: ok("the alert", store.Alert{}), Errors: storeBacked},
		{Method: "GET", Path: "/api/alerts/:id/history", Tags: []string{"Alerts"}, Summary: "An alert's append-only history",
			Security: viewerRoles, Params: []apidocs.Param{alertID}, Responses: ok("history, oldest first", server.AlertHistory{}),
			Errors: storeBacked},
		{Method: "POST", Path: "/api/alerts/:id/acknowledge", Tags: []string{"Alerts"}, Summary: "Acknowledge an alert",
			Description: "Stops repeat notifications; the resolved notification is still sent. 409 on a resolved alert.",
			Security:    adminRoles, Params: []apidocs.Param{alertID}, Request: server.AlertAction{},
			Example: server.AlertAction{By: "ana", Comment: "investigating"}, Responses: ok("the alert", store.Alert{}),
			Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}},
		{Method: "POST", Path: "/api/alerts/:id/resolve", Tags: []string{"Alerts"}, Summary: "Resolve an alert by hand",
			Description: "409 on an alert already resolved.", Security: adminRoles, Params: []apidocs.Param{alertID}, Request: server.AlertAction{},
			Example: server.AlertAction{By: "ana", Comment: "fixed by rollback"}, Responses: ok("the alert", store.Alert{}),
			Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}},
		{Method: "POST", Path: "/api/alerts/webhook", Tags: []string{"Alerts"}, Summary: "Ingest an Alertmanager v4 webhook",
			Description: "Fleet-wide alerts from Prometheus via Alertmanager, deduplicated by fingerprint.",
			Security:    adminRoles, Request: alerting.WebhookPayload{}, Responses: ok("the alerts created or updated", server.WebhookResult{}),
			Errors: storeBacked},
		{Method: "GET", Path: "/api/silences", Tags: []string{"Alerts"}, Summary: "List silences", Security: viewerRoles,
			Description: "Active and pending silences, newest first, each with its status.state; expired ones only when asked for with state.",
			Params: []apidocs.Param{{Name: "state", In: "query", Description: "comma-separated states: active, pending, expired (default active,pending)",
				Example: "active,pending,expired"}},
			Responses: ok("silences", server.SilenceList{}), Errors: storeBacked},
		{Method: "GET", Path: "/api/silences/:id", Tags: []string{"Alerts"}, Summary: "Get a silence", Security: viewerRoles,
			Params: []apidocs.Param{silenceID}, Responses: ok("the silence and its status", silence.Silence{}), Errors: storeBacked},
		{Method: "POST", Path: "/api/silences", Tags: []string{"Alerts"}, Summary: "Create a silence", Security: adminRoles,
			Description: fmt.Sprintf("Alertmanager's fields; a matcher without isEqual means equal. At most %d matchers, values of at most %d bytes.",
				silence.MaxMatchers, silence.MaxValueLength),
			Request: server.SilenceRequest{}, Example: server.SilenceRequest{
				Matchers: []store.Matcher{{Name: "alertname", Value: "HighErrorRate", IsEqual: true}},
				Duration: "2h", CreatedBy: "ana", Comment: "deploying a fix"},
			Responses: map[int]apidocs.Response{201: {Description: "the silence and its status", Body: silence.Silence{}}}, Errors: storeBacked},
		{Method: "DELETE", Path: "/api/silences/:id", Tags: []string{"Alerts"}, Summary: "Expire a silence", Security: adminRoles,
			Params: []apidocs.Param{silenceID}, Responses: map[int]apidocs.Response{204: {Description: "expired"}},
			Errors: storeBacked},

		{Method: "GET", Path: "/api/metrics/requests", Tags: []string{"Metrics"}, Summary: "Request counts, errors and throughput by route and method",
			Security: viewerRoles, Params: []apidocs.Param{minutes, scope},
			Responses: map[int]apidocs.Response{200: {Description: "summary", Body: reporting.RequestSummary{}}, 503: fleetDown}},
		{Method: "GET", Path: "/api/metrics/performance", Tags: []string{"Metrics"}, Summary: "Latency quantiles, error rate and throughput",
			Description: "p50/p95/p99 come from the request-duration histogram with Prometheus' histogram_quantile interpolation, " +
				"clamped to the observed minimum and maximum (which Prometheus does not keep), so no quantile exceeds `max_ms`.",
			Security: viewerRoles, Params: []apidocs.Param{minutes, scope},
			Responses: map[int]apidocs.Response{200: {Description: "summary", Body: reporting.PerformanceSummary{}}, 503: fleetDown}},
		{Method: "GET", Path: "/api/metrics/system", Tags: []string{"Metrics"}, Summary: "CPU, memory, disk, network and process series",
			Description: "Always this replica's own process and host (`\"scope\": \"replica\"`), in fleet mode too.",
			Security:    viewerRoles, Params: []apidocs.Param{{Name: "last_hours", In: "query", Schema: intRange(1, 24, 1)},
				{Name: "scope", In: "query", Description: "only replica", Schema: apidocs.ParamSchema{Enum: []string{"replica"}}}},
			Responses: ok("series and current values", reporting.SystemSummary{})},
		{Method: "GET", Path: "/api/usage", Tags: []string{"Metrics"}, Summary: "Usage by client and endpoint",
			Security: viewerRoles, Params: []apidocs.Param{
				{Name: "minutes", In: "query", Description: "timeframe in minutes (up to 30 days)", Schema: intRange(1, 43200, 60)},
				{Name: "client", In: "query", Description: "only this client (API key name, or anonymous)"}},
			Responses: ok("usage", reporting.UsageReport{}), Errors: storeBacked},
		{Method: "GET", Path: "/api/traces", Tags: []string{"Metrics"}, Summary: "Recent failing and slow requests with trace IDs",
			Security: viewerRoles, Params: []apidocs.Param{
				{Name: "kind", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"error", "slow"}}},
				{Name: "route", In: "query", Example: "/api/chat"},
				{Name: "limit", In: "query", Schema: intRange(1, 1000, 50)}},
			Responses: ok("traces, newest first", reporting.TraceList{})},
		{Method: "GET", Path: "/api/traces/export", Tags: []string{"Metrics"}, Summary: "Recent spans as OTLP JSON",
			Description: "An ExportTraceServiceRequest that any OTLP/HTTP receiver (Jaeger, a collector) accepts at /v1/traces.",
			Security:    viewerRoles, Params: []apidocs.Param{minutes}, Responses: map[int]apidocs.Response{200: {Description: "OTLP JSON"}}},
		{Method: "GET", Path: "/api/slos", Tags: []string{"Metrics"}, Summary: "SLOs: SLIs, error budget and burn rate",
			Security: viewerRoles, Params: []apidocs.Param{scope},
			Responses: map[int]apidocs.Response{200: {Description: "SLO status", Body: reporting.SLOReport{}}, 503: storeOrFleetDown}},
		{Method: "GET", Path: "/api/reports", Tags: []string{"Metrics"}, Summary: "An exportable report (JSON, CSV or Markdown)",
			Security: viewerRoles, Params: []apidocs.Param{minutes, scope,
				{Name: "format", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"json", "csv", "markdown"}, Default: "json"}}},
			Responses: map[int]apidocs.Response{200: {Description: "the report", Body: reporting.Report{}}, 503: storeOrFleetDown}},
		{Method: "POST", Path: "/api/readiness/runs", Tags: []string{"Readiness"}, Summary: "Start a readiness check",
			Description: "Only targets in the configuration's `readiness.allowed_targets` are accepted; anything else is 403.",
			Security:    adminRoles, Request: readiness.StartRequest{}, Example: readiness.StartRequest{Target: "http://127.0.0.1:8000"},
			Responses: map[int]apidocs.Response{202: {Description: "the queued run", Body: store.ReadinessRun{}}},
			Errors:    []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}},
		{Method: "GET", Path: "/api/readiness/runs", Tags: []string{"Readiness"}, Summary: "Readiness runs, newest first",
			Description: "Runs without their reports; score and grade only once a run is done. Page with `before`, the `next_before` of the previous page.",
			Security:    adminRoles, Params: []apidocs.Param{
				{Name: "limit", In: "query", Schema: intRange(1, readiness.MaxRunsLimit, readiness.DefaultRunsLimit)},
				{Name: "before", In: "query", Description: "page before this run ID", Example: "4f0c9a7d2b1e4c3a9f8e7d6c5b4a3928"}},
			Responses: ok("a page of runs", readiness.RunsPage{}), Errors: storeBacked},
		{Method: "GET", Path: "/api/readiness/runs/:id", Tags: []string{"Readiness"}, Summary: "A readiness run and its report",
			Security: adminRoles, Params: []apidocs.Param{{Name: "id", In: "path", Required: true}},
			Responses: ok("the run", store.ReadinessRun{}), Errors: storeBacked},
	}
}

// docsState holds the document, built once every route is mounted.
type docsState struct {
	doc atomic.Pointer[openapi3.T]
	reg *apidocs.Registry
}

// mountDocs serves /openapi.json and /docs; finishDocs builds the document
// from the live routes after everything is mounted.
func mountDocs(e *echo.Echo) *docsState {
	d := &docsState{reg: apidocs.NewRegistry()}
	apidocs.Mount(e, d.doc.Load)
	d.reg.Add(apidocs.Operations()...)
	d.reg.Add(operations()...)
	d.reg.Add(console.Operations()...)
	return d
}

func (d *docsState) finish(e *echo.Echo) error {
	doc, err := apidocs.Build(docInfo(), e.Routes(), d.reg)
	if err != nil {
		return fmt.Errorf("build openapi document: %w", err)
	}
	d.doc.Store(doc)
	return nil
}

// builtinDoc builds the document of a default Vigil without serving it.
func builtinDoc() (*openapi3.T, error) {
	dir, err := os.MkdirTemp("", "vigil-docs")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg, err := ParseConfig(nil)
	if err != nil {
		return nil, err
	}
	v, err := build(ctx, Options{DataDir: dir}, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer v.close(ctx)
	return v.docs.doc.Load(), nil
}

func docsMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return apidocs.Main(ctx, args, stdout, stderr, builtinDoc)
}
