package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/reporting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
	"go.opentelemetry.io/otel/metric"
	"go.yaml.in/yaml/v3"
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

// usageSection is the `usage:` configuration section.
type usageSection struct {
	// Retention of the hourly rollups in the store. Default 30d.
	Retention alerting.Duration `yaml:"retention"`
}

func (u usageSection) retention() time.Duration {
	if u.Retention == 0 {
		return 30 * 24 * time.Hour
	}
	return u.Retention.D()
}

// reportingConfig decodes the `usage:` and `slos:` sections from the raw
// nodes; without a `slos` section the SLOs are alerting.DefaultSLOs (one
// per route family).
func reportingConfig(cfg *FileConfig) (usageSection, []reporting.SLO, error) {
	var u usageSection
	if cfg.raw != nil {
		if err := decodeStrict(cfg.raw["usage"], &u); err != nil {
			return usageSection{}, nil, fmt.Errorf("usage: %w", err)
		}
	}
	if u.Retention != 0 && (u.Retention.D() < time.Hour || u.Retention.D() > 400*24*time.Hour) {
		return usageSection{}, nil, fmt.Errorf("usage: retention: must be from 1h to 400d")
	}
	var buf []byte
	if cfg.raw != nil && cfg.raw["slos"] != nil {
		var err error
		if buf, err = yaml.Marshal(cfg.raw["slos"]); err != nil {
			return usageSection{}, nil, fmt.Errorf("slos: %w", err)
		}
	}
	if buf == nil {
		return u, alerting.DefaultSLOs(), nil
	}
	slos, err := reporting.ParseSLOs(buf, u.retention())
	if err != nil {
		return usageSection{}, nil, fmt.Errorf("slos: %w", err)
	}
	if slos == nil {
		slos = []reporting.SLO{} // `slos: []`: none
	}
	return u, slos, nil
}

func init() {
	// Both sections are validated together when the file is parsed, so a bad
	// SLO makes `vigil serve` exit 1 with one line.
	check := func(cfg *FileConfig, _ *yaml.Node) error {
		_, _, err := reportingConfig(cfg)
		if err != nil {
			// ParseConfig prefixes "invalid configuration: <section>: " itself.
			msg := strings.TrimPrefix(err.Error(), "slos: ")
			return errors.New(strings.TrimPrefix(msg, reporting.ErrInvalidConfig.Error()+": "))
		}
		return nil
	}
	sectionDecoders["slos"] = check
	sectionDecoders["usage"] = check
}

// mountReporting mounts the usage, metrics summary, traces, report and SLO
// routes, starts their loops and returns the service (the stream's API
// snapshots).
func mountReporting(ctx context.Context, d reportingDeps) (*reporting.Service, error) {
	ucfg, slos, err := reportingConfig(d.FileCfg)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	usage, err := reporting.NewUsage(reporting.UsageConfig{Store: d.Store, Logger: d.Logger, Retention: ucfg.retention()})
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
		Series: d.Series, Usage: usage, Spans: d.Spans, Alerts: d.Store, SLOs: slos, Fleet: fleetSrc,
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
