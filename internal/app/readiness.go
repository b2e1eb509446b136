package app

import (
	"context"
	"io"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/readiness"
)

func readinessMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return readiness.Main(ctx, args, stdout, stderr)
}

// mountReadiness serves POST and GET /api/readiness/runs and GET
// /api/readiness/runs/:id (admin): runs only against the configured
// allow-list, each within readiness.run_timeout.
func mountReadiness(e *echo.Echo, v *vigil, cfg readiness.FileConfig, st readiness.RunStore, admin echo.MiddlewareFunc) error {
	svc, err := readiness.NewService(readiness.ServiceConfig{
		AllowedTargets: cfg.AllowedTargets,
		Store:          st,
		Checker:        readiness.Config{RunTimeout: cfg.RunTimeout},
		Logger:         v.logger,
		Principal:      principalName,
	})
	if err != nil {
		return &ConfigError{Err: err}
	}
	v.closers = append(v.closers, func(context.Context) error { svc.Close(); return nil })
	svc.Register(e, admin)
	return nil
}
