package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/metric"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/console"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// ConsoleConfig is the `console` section of the config file.
type ConsoleConfig struct {
	// SessionTTL is how long a console login lasts. Default 12h; at least
	// a minute.
	SessionTTL alerting.Duration `yaml:"session_ttl"`
}

// UnmarshalYAML decodes the section strictly; a session_ttl that is given
// must be a positive duration of at least a minute.
func (c *ConsoleConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain ConsoleConfig
	var raw plain
	if err := configfile.Decode(n, &raw); err != nil {
		return err
	}
	d := time.Duration(raw.SessionTTL)
	switch {
	case d < 0 || (d == 0 && hasValue(n, "session_ttl")):
		return configfile.Errorf("session_ttl", "%s is not a positive duration such as 12h", raw.SessionTTL)
	case d > 0 && d < time.Minute:
		return configfile.Errorf("session_ttl", "%s is shorter than a minute", d)
	}
	*c = ConsoleConfig(raw)
	return nil
}

// hasValue reports whether the mapping n gives key a non-empty value.
func hasValue(n *yaml.Node, key string) bool {
	if n == nil || n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v := n.Content[i+1]
			return v.Kind != yaml.ScalarNode || (v.Value != "" && v.ShortTag() != "!!null")
		}
	}
	return false
}

// Login attempts a client may make on POST /ui/login, per replica.
const (
	loginAttempts = 10
	loginPer      = time.Minute
)

// newSessions keeps console sessions in the store, so any replica accepts
// a session opened on another.
func newSessions(cfg ConsoleConfig, st store.Store) (*security.Sessions, error) {
	return security.NewSessions(security.SessionConfig{Store: st, TTL: time.Duration(cfg.SessionTTL)})
}

// consoleDeps is what mountConsole needs.
type consoleDeps struct {
	Echo   *echo.Echo
	Auth   *security.Authenticator
	Links  server.Links
	Meter  metric.MeterProvider
	Logger *slog.Logger
	Events *security.Recorder
}

// mountConsole serves the alert console at /ui, its login limited per
// client address.
func mountConsole(d consoleDeps) error {
	limiter, err := ratelimit.NewMemory(ratelimit.Config{Limits: []ratelimit.Limit{
		{Route: console.LoginPath, Requests: loginAttempts, Per: loginPer, Name: "console-login"},
	}}, ratelimit.WithLogger(d.Logger), ratelimit.WithMeterProvider(d.Meter))
	if err != nil {
		return err
	}
	c, err := console.New(console.Config{
		Auth:    d.Auth,
		Links:   console.Links{Grafana: d.Links.Grafana, Prometheus: d.Links.Prometheus, Jaeger: d.Links.Jaeger},
		Version: Version,
		Logger:  d.Logger,
		LoginMiddleware: []echo.MiddlewareFunc{ratelimit.Middleware(ratelimit.MiddlewareConfig{
			Limiter:       limiter,
			MeterProvider: d.Meter,
			ClientFunc:    func(c echo.Context) string { return c.RealIP() },
			OnLimited: func(c echo.Context, _, route string, dec ratelimit.Decision) {
				d.Events.Record(c.Request().Context(), security.EventFrom(c, security.EventRateLimitExceeded,
					fmt.Sprintf("limit %d exceeded on %s", dec.Limit, route)))
			},
		})},
	})
	if err != nil {
		return err
	}
	c.Register(d.Echo)
	return nil
}

// sweepSessions deletes long-expired sessions every hour.
func sweepSessions(s *security.Sessions, logger *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				n, err := s.Sweep(ctx)
				if err != nil {
					logger.Warn("delete expired console sessions", "error", err)
				} else if n > 0 {
					logger.Debug("deleted expired console sessions", "count", n)
				}
			}
		}
	}
}

// streamAuth makes /ws/metrics count connections per key name and close a
// stream whose key or session was revoked or expired.
func streamAuth(s *server.Stream, auth *security.Authenticator, logger *slog.Logger) {
	s.Key = principalName
	s.Authorized = func(c echo.Context) bool {
		err := auth.Recheck(c)
		if err != nil && !errors.Is(err, security.ErrCredentialGone) {
			logger.Warn("stream: recheck credential", "error", err)
			return true // a store outage does not cut streams
		}
		return err == nil
	}
}
