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

// paramError turns a reporting.ParamError into a 400 naming the parameter.
func paramError(err error) error {
	var pe *reporting.ParamError
	if errors.As(err, &pe) {
		return echo.NewHTTPError(http.StatusBadRequest, pe.Error())
	}
	return err
}

// serviceError is a summary's failure: a bad parameter is a 400, a failed
// fleet scope a 503 naming Prometheus, anything else err wrapped with
// what failed (a 500, or a 503 when the store is unavailable).
func serviceError(what string, err error) error {
	if errors.Is(err, reporting.ErrFleetUnavailable) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, strings.Join(strings.Fields(err.Error()), " ")+"; "+reporting.FleetHint)
	}
	if he := paramError(err); he != err { //nolint:errorlint // identity: was it translated
		return he
	}
	return fmt.Errorf("%s: %w", what, err)
}

func scopeParam(c echo.Context) (reporting.Scope, error) {
	sc, err := reporting.ParseScope(c.QueryParam("scope"))
	return sc, paramError(err)
}

func minutesParam(c echo.Context, def, hi int) (time.Duration, error) {
	m, err := reporting.ParseInt("minutes", c.QueryParam("minutes"), def, 1, hi)
	if err != nil {
		return 0, paramError(err)
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
		return paramError(err)
	}
	if sc := c.QueryParam("scope"); sc != "" && sc != string(reporting.ScopeReplica) {
		return echo.NewHTTPError(http.StatusBadRequest, `query parameter "scope": system metrics are per replica; only replica is available`)
	}
	return c.JSON(http.StatusOK, a.Service.System(h))
}

func (a *ReportsAPI) usage(c echo.Context) error {
	m, err := reporting.ParseInt("minutes", c.QueryParam("minutes"), 60, 1, reporting.MaxUsageMinutes)
	if err != nil {
		return paramError(err)
	}
	client, err := reporting.ParseClient(c.QueryParam("client"))
	if err != nil {
		return paramError(err)
	}
	top, err := reporting.ParseInt("top", c.QueryParam("top"), reporting.DefaultUsageTop, 1, 500)
	if err != nil {
		return paramError(err)
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
		return paramError(err)
	}
	route, err := reporting.ParseRoute(c.QueryParam("route"))
	if err != nil {
		return paramError(err)
	}
	limit, err := reporting.ParseInt("limit", c.QueryParam("limit"), reporting.DefaultTraceLimit, 1, reporting.MaxTraceLimit)
	if err != nil {
		return paramError(err)
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
		return paramError(err)
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
