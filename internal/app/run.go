package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/lease"
	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/series"
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
// (bounded), stops the background loops, flushes telemetry and closes the
// store.
func Run(ctx context.Context, opts Options, logger *slog.Logger) error {
	cfg, err := LoadConfig(opts.ConfigPath)
	if err != nil {
		return err
	}
	unlock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return err
	}
	defer func() { _ = unlock() }()
	v, err := build(ctx, opts, cfg, logger)
	if err != nil {
		return err
	}
	defer v.close(context.WithoutCancel(ctx))
	logger = v.logger // the telemetry's: stderr and, with a logs exporter, OTLP
	onListen, err := firstRun(ctx, opts, cfg, v.st, logger)
	if err != nil {
		return err
	}

	// Listen before any loop starts: a bad address or a taken port is then
	// the only thing a failed start reports.
	ln, err := listen(ctx, opts.Addr)
	if err != nil {
		return err
	}
	loops, stopLoops := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for name, run := range v.loops {
		wg.Go(func() {
			if err := run(loops); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("background loop stopped", "loop", name, "error", err)
			}
		})
	}
	err = serveHTTP(ctx, ln, v.echo, logger, onListen)
	stopLoops()
	wg.Wait()
	return err
}

// vigil is one wired instance: the echo server, its background loops and
// what must be closed, in order, when it stops.
type vigil struct {
	echo    *echo.Echo
	docs    *docsState
	loops   map[string]func(ctx context.Context) error
	closers []func(ctx context.Context) error // run in reverse
	logger  *slog.Logger
	st      store.Store
}

func (v *vigil) close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := len(v.closers) - 1; i >= 0; i-- {
		if err := v.closers[i](ctx); err != nil {
			v.logger.Error("shutdown step failed", "error", err)
		}
	}
}

func build(ctx context.Context, opts Options, cfg FileConfig, logger *slog.Logger) (_ *vigil, err error) {
	v := &vigil{loops: map[string]func(context.Context) error{}, logger: logger}
	defer func() {
		if err != nil {
			v.close(context.WithoutCancel(ctx))
		}
	}()
	if err := applyDemo(&opts, &cfg, logger); err != nil {
		return nil, err
	}
	interval, err := evalInterval(cfg.Alerting)
	if err != nil {
		return nil, err
	}
	if err := ensureDataDir(opts.DataDir); err != nil {
		return nil, err
	}
	// Telemetry first: from here on every component logs through its
	// logger, to stderr and, with a logs exporter, over OTLP.
	tel, err := instrumentation.Setup(ctx,
		instrumentation.WithServiceVersion(Version),
		instrumentation.WithDiskPath(opts.DataDir),
		instrumentation.WithLogger(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("set up telemetry: %w", err)
	}
	v.closers = append(v.closers, tel.Shutdown)
	logger = tel.Logger()
	v.logger = logger
	mp := tel.MeterProvider()

	st, err := openStore(ctx, opts, logger)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	v.closers = append(v.closers, func(context.Context) error { return st.Close() })
	v.st = st

	ser, err := series.New(seriesConfig(interval))
	if err != nil {
		return nil, err
	}
	// The engine's span exporter joins the TracerProvider (shut down with
	// it, by tel.Shutdown).
	spansExp := exporter.NewSpans(ser, exporter.WithMeterProvider(mp), exporter.WithLogger(logger))
	tel.TracerProvider().RegisterSpanProcessor(sdktrace.NewBatchSpanProcessor(spansExp,
		sdktrace.WithBatchTimeout(time.Second), sdktrace.WithMaxQueueSize(8192)))
	// The engine reads the Prometheus exporter's aggregation every interval
	// (one aggregation per measurement, not one per reader); closed before tel.
	poller := exporter.NewPoller(tel.CollectMetrics, ser, interval, exporter.WithMeterProvider(mp), exporter.WithLogger(logger))
	v.closers = append(v.closers, poller.Shutdown)

	fleetClient, err := newFleetClient(cfg.Fleet, interval, mp, logger)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: fleet: %w", err)
	}
	health := []server.HealthCheck{}
	if fleetClient != nil {
		v.closers = append(v.closers, fleetClient.Close)
		health = append(health, fleetCheck(fleetClient))
	}

	events, err := security.NewRecorder(security.RecorderConfig{Store: st, Logger: logger, MeterProvider: mp, SpoolDir: opts.DataDir})
	if err != nil {
		return nil, err
	}
	v.closers = append(v.closers, events.Close)
	sessions, err := newSessions(cfg.Console, st)
	if err != nil {
		return nil, err
	}
	v.loops["sessions"] = sweepSessions(sessions, logger)
	auth, err := security.NewAuthenticator(cfg.Auth, security.WithEvents(events),
		security.WithStoredKeys(st), security.WithSessions(sessions))
	if err != nil {
		return nil, &ConfigError{Path: opts.ConfigPath, Err: err}
	}
	limiter, closeLimiter, err := newLimiter(cfg.RateLimit, opts, logger, mp)
	if err != nil {
		return nil, err
	}
	v.closers = append(v.closers, closeLimiter)

	lead, err := lease.New(lease.Config{Store: st, Interval: interval, Logger: logger})
	if err != nil {
		return nil, err
	}
	v.loops["leader"] = lead.Run
	engine, err := alerting.New(cfg.Alerting, fleetAlerting(alerting.Deps{
		IsLeader:      lead.IsLeader,
		Store:         st,
		Series:        ser,
		Traces:        traceFinder{ser},
		Logger:        logger,
		MeterProvider: mp,
	}, fleetClient))
	if err != nil {
		return nil, &ConfigError{Path: opts.ConfigPath, Err: err}
	}
	v.loops["alerting"] = engine.Run
	v.loops["silence retention"] = engine.SilenceRetention.Run

	secHandlers := security.NewHandlers(security.HandlersConfig{Store: st, Auth: auth, SecureHeaders: true, CORS: cfg.Auth.CORS,
		DemoFaults: opts.DemoFaults, Recorder: events})
	e, err := server.New(server.Config{
		Logger:         logger,
		Version:        Version,
		Links:          cfg.Links,
		DemoFaults:     opts.DemoFaults,
		BodyLimit:      cfg.Server.BodyLimit,
		TrustedProxies: cfg.Server.proxies,
		Middleware: []echo.MiddlewareFunc{
			instrumentation.MiddlewareWithConfig(instrumentation.MiddlewareConfig{
				MeterProvider:  mp,
				TracerProvider: tel.TracerProvider(),
				HandleError:    true,
			}),
			// Compress large bodies; /metrics compresses itself, a WebSocket is hijacked.
			middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024, Skipper: func(c echo.Context) bool {
				p := c.Request().URL.Path
				return strings.HasPrefix(p, "/metrics") || strings.HasPrefix(p, "/ws/")
			}}),
			security.SecureHeadersWithConfig(security.HeadersConfig{HTMLCSP: apidocs.DocsCSP}),
			security.CORS(cfg.Auth.CORS),
			auth.Authenticate(),
			security.NotFoundWatcher(security.NotFoundConfig{Events: events}),
		},
		ReferenceMiddleware: []echo.MiddlewareFunc{
			ratelimit.Middleware(ratelimit.MiddlewareConfig{
				Limiter:       limiter,
				MeterProvider: mp,
				OnLimited: func(c echo.Context, client, route string, d ratelimit.Decision) {
					events.Record(c.Request().Context(), security.EventFrom(c, security.EventRateLimitExceeded,
						fmt.Sprintf("limit %d exceeded on %s", d.Limit, route)))
				},
			}),
			ratelimit.LoginMiddleware(ratelimit.LoginConfig{
				Limiter: limiter, MeterProvider: mp, OnLimited: ratelimit.RecordLoginLimited(events),
			}),
		},
		Health: append([]server.HealthCheck{storeCheck(st), limiterCheck(limiter)}, health...),
		OnLoginFail: func(c echo.Context, _ string) {
			events.Record(c.Request().Context(), security.EventFrom(c, security.EventAuthnLoginFail, "wrong username or password"))
		},
	})
	if err != nil {
		return nil, err
	}
	v.docs = mountDocs(e)
	server.MountMetrics(e, tel.MetricsHandler())

	viewer := auth.Require(security.RoleViewer)
	admin := auth.Require(security.RoleAdmin)
	alerts := &server.AlertsAPI{Actions: engine.Actions, Rules: engine.Evaluator, Webhook: engine.Ingester,
		Silences: engine.Silences, Reader: st, Actor: principalName}
	alerts.Register(e, viewer, admin)
	secHandlers.Register(e, admin)

	if err := mountConsole(consoleDeps{Echo: e, Auth: auth, Links: cfg.Links, Meter: mp, Logger: logger, Events: events}); err != nil {
		return nil, err
	}
	if err := mountReadiness(e, v, cfg.Readiness, st, admin); err != nil {
		return nil, err
	}
	reports, err := mountReporting(ctx, reportingDeps{
		Echo: e, Store: st, Series: ser, Spans: spansExp, Fleet: fleetClient, Meter: mp, Logger: logger,
		Viewer: viewer, FileCfg: &cfg,
		AddLoop:  func(name string, run func(context.Context) error) { v.loops[name] = run },
		AddClose: func(f func(context.Context) error) { v.closers = append(v.closers, f) },
	})
	if err != nil {
		return nil, err
	}
	stream := &server.Stream{Interval: interval, Alerts: engine.Publisher, Logger: logger,
		System: func(context.Context) any { return reports.SystemSnapshot() },
		API:    func(ctx context.Context) any { return reports.APISnapshot(ctx) }}
	streamAuth(stream, auth, logger)
	e.GET("/ws/metrics", stream.Handle, viewer)
	if err := v.docs.finish(e); err != nil {
		return nil, err
	}
	e.Use(apidocs.ValidateRequests(v.docs.doc.Load()))
	warnUnservedRoutes(logger, e, &cfg)
	v.echo = e
	return v, nil
}

func principalName(c echo.Context) string {
	if p, ok := security.PrincipalFrom(c); ok {
		return p.Name
	}
	return ""
}

// listen binds addr; serveHTTP then owns (and closes) the listener.
func listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return ln, nil
}

// serveHTTP serves on ln until ctx ends and drains for at most
// drainTimeout; onListen (optional) is told the address it serves on.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, onListen func(net.Addr)) error {
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
	if onListen != nil {
		onListen(ln.Addr())
	}
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
