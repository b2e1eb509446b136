package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/reporting"
)

// ReportService is what the reporting routes need; *reporting.Service is one.
type ReportService interface {
	Requests(ctx context.Context, scope reporting.Scope, window time.Duration) (reporting.RequestSummary, error)
	Performance(ctx context.Context, scope reporting.Scope, window time.Duration) (reporting.PerformanceSummary, error)
	System(hours int) reporting.SystemSummary
	Traces(kind, route string, window time.Duration, limit int) reporting.TraceList
	ExportTraces(window time.Duration) ([]byte, int, error)
	Usage(ctx context.Context, q reporting.UsageQuery) (reporting.UsageReport, error)
	EvaluateSLOs(ctx context.Context, scope reporting.Scope) (reporting.SLOReport, error)
	Report(ctx context.Context, scope reporting.Scope, window time.Duration) (reporting.Report, error)
}

// ReportsAPI serves the metrics summaries, usage, traces, SLO and report
// routes.
type ReportsAPI struct {
	Service ReportService
}

// Register mounts the routes behind the viewer guard read.
func (a *ReportsAPI) Register(e *echo.Echo, read echo.MiddlewareFunc) {
	e.GET("/api/metrics/requests", a.requests, read)
	e.GET("/api/metrics/performance", a.performance, read)
	e.GET("/api/metrics/system", a.system, read)
	e.GET("/api/usage", a.usage, read)
	e.GET("/api/traces", a.traces, read)
	e.GET("/api/traces/export", a.exportTraces, read)
	e.GET("/api/slos", a.slos, read)
	e.GET("/api/reports", a.report, read)
}

// serviceError is a summary's failure: a bad parameter is a 400, a failed
// fleet scope a 503 naming Prometheus, anything else err wrapped with
// what failed (a 500, or a 503 when the store is unavailable).
func serviceError(what string, err error) error {
	if errors.Is(err, reporting.ErrFleetUnavailable) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, strings.Join(strings.Fields(err.Error()), " ")+"; "+reporting.FleetHint)
	}
	if errors.Is(err, httpapi.ErrInvalidParam) {
		return httpapi.ParamProblem(err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

func scopeParam(c echo.Context) (reporting.Scope, error) {
	sc, err := reporting.ParseScope(c.QueryParam("scope"))
	return sc, httpapi.ParamProblem(err)
}

func minutesParam(c echo.Context, def, hi int) (time.Duration, error) {
	m, err := reporting.ParseInt("minutes", c.QueryParam("minutes"), def, 1, hi)
	if err != nil {
		return 0, httpapi.ParamProblem(err)
	}
	return time.Duration(m) * time.Minute, nil
}

func (a *ReportsAPI) requests(c echo.Context) error {
	w, err := minutesParam(c, reporting.DefaultMinutes, reporting.MaxMinutes)
	if err != nil {
		return err
	}
	sc, err := scopeParam(c)
	if err != nil {
		return err
	}
	rep, err := a.Service.Requests(c.Request().Context(), sc, w)
	if err != nil {
		return serviceError("requests", err)
	}
	return c.JSON(http.StatusOK, rep)
}

func (a *ReportsAPI) performance(c echo.Context) error {
	w, err := minutesParam(c, reporting.DefaultMinutes, reporting.MaxMinutes)
	if err != nil {
		return err
	}
	sc, err := scopeParam(c)
	if err != nil {
		return err
	}
	rep, err := a.Service.Performance(c.Request().Context(), sc, w)
	if err != nil {
		return serviceError("performance", err)
	}
	return c.JSON(http.StatusOK, rep)
}

func (a *ReportsAPI) system(c echo.Context) error {
	h, err := reporting.ParseInt("last_hours", c.QueryParam("last_hours"), 1, 1, reporting.MaxLastHours)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	if sc := c.QueryParam("scope"); sc != "" && sc != string(reporting.ScopeReplica) {
		return echo.NewHTTPError(http.StatusBadRequest, `query parameter "scope": system metrics are per replica; only replica is available`)
	}
	return c.JSON(http.StatusOK, a.Service.System(h))
}

func (a *ReportsAPI) usage(c echo.Context) error {
	m, err := reporting.ParseInt("minutes", c.QueryParam("minutes"), 60, 1, reporting.MaxUsageMinutes)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	client, err := reporting.ParseClient(c.QueryParam("client"))
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	top, err := reporting.ParseInt("top", c.QueryParam("top"), reporting.DefaultUsageTop, 1, 500)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	rep, err := a.Service.Usage(c.Request().Context(), reporting.UsageQuery{Minutes: m, Client: client, Top: top})
	if err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	return c.JSON(http.StatusOK, rep)
}

func (a *ReportsAPI) traces(c echo.Context) error {
	kind, err := reporting.ParseKind(c.QueryParam("kind"))
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	route, err := reporting.ParseRoute(c.QueryParam("route"))
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	limit, err := reporting.ParseInt("limit", c.QueryParam("limit"), reporting.DefaultTraceLimit, 1, reporting.MaxTraceLimit)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	w, err := minutesParam(c, reporting.MaxMinutes, reporting.MaxMinutes)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.Service.Traces(kind, route, w, limit))
}

func (a *ReportsAPI) exportTraces(c echo.Context) error {
	w, err := minutesParam(c, 15, reporting.MaxMinutes)
	if err != nil {
		return err
	}
	body, n, err := a.Service.ExportTraces(w)
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Span-Count", strconv.Itoa(n))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

func (a *ReportsAPI) slos(c echo.Context) error {
	sc, err := scopeParam(c)
	if err != nil {
		return err
	}
	rep, err := a.Service.EvaluateSLOs(c.Request().Context(), sc)
	if err != nil {
		return serviceError("slos", err)
	}
	return c.JSON(http.StatusOK, rep)
}

func (a *ReportsAPI) report(c echo.Context) error {
	format, err := reporting.ParseFormat(c.QueryParam("format"))
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	w, err := minutesParam(c, reporting.DefaultReportMins, reporting.MaxMinutes)
	if err != nil {
		return err
	}
	sc, err := scopeParam(c)
	if err != nil {
		return err
	}
	rep, err := a.Service.Report(c.Request().Context(), sc, w)
	if err != nil {
		return serviceError("report", err)
	}
	name := "vigil-report-" + rep.GeneratedAt.Format("20060102T150405Z")
	var buf bytes.Buffer
	var ctype, ext string
	switch format {
	case reporting.FormatCSV:
		ctype, ext, err = reporting.ContentTypeCSV, ".csv", reporting.WriteCSV(&buf, rep)
	case reporting.FormatMarkdown:
		ctype, ext, err = reporting.ContentTypeMarkdown, ".md", reporting.WriteMarkdown(&buf, rep)
	default:
		return c.JSON(http.StatusOK, rep)
	}
	if err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+ext+`"`)
	return c.Blob(http.StatusOK, ctype, buf.Bytes())
}

// reportsOperations documents the routes [ReportsAPI.Register] mounts.
func reportsOperations() []apidocs.Operation {
	tags := []string{"Metrics"}
	minutes := apidocs.Param{Name: "minutes", In: "query", Description: "timeframe in minutes", Schema: apidocs.IntRange(1, 1440, 5)}
	scope := apidocs.Param{Name: "scope", In: "query", Description: "whose requests: fleet (every replica, from Prometheus; the default in fleet mode) " +
		"or replica (this replica's own); 503 naming Prometheus when the fleet scope cannot be answered",
		Schema: apidocs.ParamSchema{Enum: []string{"fleet", "replica"}}}
	fleetDown := apidocs.Response{Description: "fleet scope: Prometheus unreachable, slow or failing (problem details)", Body: Problem{}, ContentType: ContentTypeProblem}
	storeOrFleetDown := apidocs.Response{Description: "the store is unavailable (with Retry-After) or, in fleet scope, Prometheus is unreachable, slow or failing (problem details)",
		Body: Problem{}, ContentType: ContentTypeProblem}
	return []apidocs.Operation{
		{Method: "GET", Path: "/api/metrics/requests", Tags: tags, Summary: "Request counts, errors and throughput by route and method",
			Security: apidocs.Viewers, Params: []apidocs.Param{minutes, scope},
			Responses: map[int]apidocs.Response{200: {Description: "summary", Body: reporting.RequestSummary{}}, 503: fleetDown}},
		{Method: "GET", Path: "/api/metrics/performance", Tags: tags, Summary: "Latency quantiles, error rate and throughput",
			Description: "p50/p95/p99 come from the request-duration histogram with Prometheus' histogram_quantile interpolation, " +
				"clamped to the observed minimum and maximum (which Prometheus does not keep), so no quantile exceeds `max_ms`.",
			Security: apidocs.Viewers, Params: []apidocs.Param{minutes, scope},
			Responses: map[int]apidocs.Response{200: {Description: "summary", Body: reporting.PerformanceSummary{}}, 503: fleetDown}},
		{Method: "GET", Path: "/api/metrics/system", Tags: tags, Summary: "CPU, memory, disk, network and process series",
			Description: "Always this replica's own process and host (`\"scope\": \"replica\"`), in fleet mode too.",
			Security:    apidocs.Viewers, Params: []apidocs.Param{{Name: "last_hours", In: "query", Schema: apidocs.IntRange(1, 24, 1)},
				{Name: "scope", In: "query", Description: "only replica", Schema: apidocs.ParamSchema{Enum: []string{"replica"}}}},
			Responses: apidocs.OK("series and current values", reporting.SystemSummary{})},
		{Method: "GET", Path: "/api/usage", Tags: tags, Summary: "Usage by client and endpoint",
			Security: apidocs.Viewers, Params: []apidocs.Param{
				{Name: "minutes", In: "query", Description: "timeframe in minutes (up to 30 days)", Schema: apidocs.IntRange(1, 43200, 60)},
				{Name: "client", In: "query", Description: "only this client (API key name, or anonymous)"}},
			Responses: apidocs.OK("usage", reporting.UsageReport{}), Errors: apidocs.StoreBacked},
		{Method: "GET", Path: "/api/traces", Tags: tags, Summary: "Recent failing and slow requests with trace IDs",
			Security: apidocs.Viewers, Params: []apidocs.Param{
				{Name: "kind", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"error", "slow"}}},
				{Name: "route", In: "query", Example: "/api/chat"},
				{Name: "limit", In: "query", Schema: apidocs.IntRange(1, 1000, 50)}},
			Responses: apidocs.OK("traces, newest first", reporting.TraceList{})},
		{Method: "GET", Path: "/api/traces/export", Tags: tags, Summary: "Recent spans as OTLP JSON",
			Description: "An ExportTraceServiceRequest that any OTLP/HTTP receiver (Jaeger, a collector) accepts at /v1/traces.",
			Security:    apidocs.Viewers, Params: []apidocs.Param{minutes}, Responses: map[int]apidocs.Response{200: {Description: "OTLP JSON"}}},
		{Method: "GET", Path: "/api/slos", Tags: tags, Summary: "SLOs: SLIs, error budget and burn rate",
			Security: apidocs.Viewers, Params: []apidocs.Param{scope},
			Responses: map[int]apidocs.Response{200: {Description: "SLO status", Body: reporting.SLOReport{}}, 503: storeOrFleetDown}},
		{Method: "GET", Path: "/api/reports", Tags: tags, Summary: "An exportable report (JSON, CSV or Markdown)",
			Security: apidocs.Viewers, Params: []apidocs.Param{minutes, scope,
				{Name: "format", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"json", "csv", "markdown"}, Default: "json"}}},
			Responses: map[int]apidocs.Response{200: {Description: "the report", Body: reporting.Report{}}, 503: storeOrFleetDown}},
	}
}
