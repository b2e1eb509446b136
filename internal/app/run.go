package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// Server timeouts. WriteTimeout covers the slowest reference call (a 10 s
// demo delay on top of a chat reply); WebSocket handlers lift it.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	drainTimeout      = 15 * time.Second
)

// Run serves until ctx is cancelled, then drains in-flight requests
// (bounded), flushes telemetry and closes the store.
func Run(ctx context.Context, opts Options, logger *slog.Logger) error {
	cfg, err := LoadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	if err := ensureDataDir(opts.DataDir); err != nil {
		return err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(opts.DataDir, "vigil.db"))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("close store", "error", err)
		}
	}()

	tel, err := instrumentation.Setup(ctx,
		instrumentation.WithServiceVersion(Version),
		instrumentation.WithDiskPath(opts.DataDir),
	)
	if err != nil {
		return fmt.Errorf("set up telemetry: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			logger.Error("shut down telemetry", "error", err)
		}
	}()

	e, err := server.New(server.Config{
		Logger:     logger,
		Version:    Version,
		Links:      cfg.Links,
		DemoFaults: opts.DemoFaults,
		BodyLimit:  cfg.Server.BodyLimit,
		Middleware: []echo.MiddlewareFunc{
			instrumentation.MiddlewareWithConfig(instrumentation.MiddlewareConfig{
				MeterProvider:  tel.MeterProvider(),
				TracerProvider: tel.TracerProvider(),
			}),
		},
		Health: []server.HealthCheck{storeCheck(st)},
	})
	if err != nil {
		return err
	}
	metrics := echo.WrapHandler(tel.MetricsHandler())
	e.GET("/metrics", metrics)
	e.GET("/metrics/prometheus", metrics)

	return serveHTTP(ctx, opts.Addr, e, logger)
}

// serveHTTP listens first, so a taken port fails at once, then serves until
// ctx ends and drains for at most drainTimeout.
func serveHTTP(ctx context.Context, addr string, h http.Handler, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	logger.Info("vigil listening", "addr", ln.Addr().String(), "version", Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "cause", context.Cause(ctx))
	sctx, cancel := context.WithTimeoutCause(context.WithoutCancel(ctx), drainTimeout, errors.New("drain timeout"))
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

func storeCheck(st store.Store) server.HealthCheck {
	return server.HealthCheck{
		Name:          "store:responseTime",
		ComponentType: "datastore",
		Critical:      true,
		Check: func(ctx context.Context) server.CheckResult {
			start := time.Now()
			if err := st.Ping(ctx); err != nil {
				return server.CheckResult{Status: server.StatusFail, Output: "store unreachable"}
			}
			return server.CheckResult{Status: server.StatusPass,
				ObservedValue: float64(time.Since(start).Microseconds()) / 1000, ObservedUnit: "ms"}
		},
	}
}
