package app

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// reportingDeps is what the reporting and usage features get from the app.
type reportingDeps struct {
	Echo     *echo.Echo
	Store    store.Store
	Series   *series.Store
	Spans    *exporter.Spans
	Fleet    *fleet.Client // nil unless fleet mode is on
	Meter    metric.MeterProvider
	Logger   *slog.Logger
	Viewer   echo.MiddlewareFunc // guard of read routes
	FileCfg  *FileConfig
	AddLoop  func(name string, run func(ctx context.Context) error)
	AddClose func(func(ctx context.Context) error)
}

// mountReporting mounts the usage, metrics summary, traces, report and SLO
// routes and starts their loops; the service also computes the live
// stream's snapshots.
func mountReporting(ctx context.Context, d reportingDeps) (*reporting.Service, error) {
	usage, err := reporting.NewUsage(reporting.UsageConfig{Store: d.Store, Logger: d.Logger, Retention: d.FileCfg.Usage.retention()})
	if err != nil {
		return nil, err
	}
	if err := usage.LoadHistory(ctx); err != nil {
		return nil, err
	}
	var fleetSrc reporting.Source
	if d.Fleet != nil {
		fleetSrc = reporting.NewFleetSource(d.Fleet, d.Fleet.Matchers())
	}
	svc, err := reporting.NewService(reporting.ServiceConfig{
		Series: d.Series, Usage: usage, Spans: d.Spans, Alerts: d.Store, SLOs: d.FileCfg.SLOs, Fleet: fleetSrc,
		MeterProvider: d.Meter, Logger: d.Logger,
	})
	if err != nil {
		return nil, err
	}
	d.Echo.Use(usage.Middleware(reporting.MiddlewareConfig{
		Client:        principalName,
		MeterProvider: d.Meter,
		TokenTypes: func(c echo.Context) (int64, int64) {
			if u, ok := c.Get(server.ContextKeyChatTokens).(server.ChatUsage); ok {
				return int64(u.PromptTokens), int64(u.CompletionTokens)
			}
			return 0, 0
		},
		Tokens: func(c echo.Context) int64 {
			if u, ok := c.Get(server.ContextKeyChatTokens).(server.ChatUsage); ok {
				return int64(u.PromptTokens + u.CompletionTokens)
			}
			return 0
		},
	}))
	(&server.ReportsAPI{Service: svc}).Register(d.Echo, d.Viewer)
	d.AddLoop("usage", usage.Run)
	// Closers run in reverse: the gauges go first, then the last flush, both
	// before the store closes.
	d.AddClose(usage.Close)
	d.AddClose(svc.Close)
	return svc, nil
}
