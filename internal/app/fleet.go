package app

import (
	"context"
	"log/slog"
	"os"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/server"
)

func init() {
	sectionDecoders["fleet"] = func(cfg *FileConfig, n *yaml.Node) error {
		buf, err := nodeBytes(cfg, "fleet", n)
		if err != nil {
			return err
		}
		c, err := fleet.ParseConfig(buf, os.LookupEnv)
		if err != nil {
			return err
		}
		cfg.Fleet = c
		return nil
	}
}

// newFleetClient returns the Prometheus client of fleet mode, or nil when
// fleet mode is off. Its timeout defaults below the evaluation interval.
func newFleetClient(cfg fleet.Config, interval time.Duration, mp metric.MeterProvider, logger *slog.Logger) (*fleet.Client, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	p := cfg.Prometheus.WithDefaults(interval)
	c, err := fleet.NewClient(p, fleet.Deps{MeterProvider: mp, Logger: logger})
	if err != nil {
		return nil, err
	}
	logger.Info("fleet mode: summaries answer for the fleet from Prometheus", "url", c.URL(),
		"timeout", c.Timeout().String(), "extra_matchers", p.ExtraMatchers.String())
	return c, nil
}

// fleetCheck is the fleet:prometheus component of /api/health: warn while
// queries to Prometheus fail (never fail: the replica still serves).
func fleetCheck(c *fleet.Client) server.HealthCheck {
	return server.HealthCheck{
		Name:          "fleet:prometheus",
		ComponentType: "component",
		Check: func(ctx context.Context) server.CheckResult {
			h := c.Health(ctx)
			r := server.CheckResult{Status: server.StatusPass, ObservedValue: float64(h.Took.Microseconds()) / 1000, ObservedUnit: "ms"}
			if !h.OK {
				r.Status, r.Output = server.StatusWarn, h.Detail
			}
			return r
		},
	}
}
