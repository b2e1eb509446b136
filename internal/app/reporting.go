package app

import (
	"context"
	"log/slog"

	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
	"go.opentelemetry.io/otel/metric"
)

// reportingDeps is what the reporting and usage features get from the app.
type reportingDeps struct {
	Echo     *echo.Echo
	Store    store.Store
	Series   *series.Store
	Spans    *exporter.Spans
	Engine   *alerting.Engine
	Meter    metric.MeterProvider
	Logger   *slog.Logger
	Viewer   echo.MiddlewareFunc // guard of read routes
	FileCfg  *FileConfig
	AddLoop  func(name string, run func(ctx context.Context) error)
	AddClose func(func(ctx context.Context) error)
}

// mountReporting mounts the usage, metrics summary, traces, report and SLO
// routes and starts their loops. (The reporting feature fills this in.)
func mountReporting(ctx context.Context, d reportingDeps) error {
	return nil
}
