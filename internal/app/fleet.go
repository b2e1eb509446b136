package app

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/fleet"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/server"
)

// resolveFleet completes the fleet section (VIGIL_FLEET_PROMETHEUS, the
// secrets of its *_env keys) and names a bad key from the file's root.
func (c *FileConfig) resolveFleet(lookupEnv func(string) (string, bool)) error {
	err := c.Fleet.Resolve(lookupEnv)
	if ce, ok := errors.AsType[*fleet.ConfigError](err); ok {
		return configfile.Errorf(configfile.Join("fleet", ce.Key), "%s", ce.Reason)
	}
	return err
}

// fleetAlerting turns on fleet evaluation: the rules' values come from
// Prometheus (the value expressions `vigil rules export` writes with the
// same extra matchers), trace IDs from its exemplars.
func fleetAlerting(d alerting.Deps, c *fleet.Client) alerting.Deps {
	if c == nil {
		return d
	}
	d.Source = alerting.NewPromSource(c, c.Matchers())
	d.Traces = fleetTraces{client: c, local: d.Traces, now: time.Now}
	return d
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
	logger.Info("fleet mode: the leader evaluates the rules and the summaries answer on Prometheus", "url", c.URL(),
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

// fleetTraces names the trace of a firing alert in fleet mode: the newest
// exemplar of a failing request on the route anywhere in the fleet (from
// Prometheus' exemplar storage), else of a slow one, else this replica's
// own span ring.
type fleetTraces struct {
	client *fleet.Client
	local  alerting.TraceFinder
	now    func() time.Time
}

// traceLookback is how far back an alert's trace is looked for.
const traceLookback = 5 * time.Minute

// slowSeconds is what a slow request is, as for the span ring.
const slowSeconds = 1.0

func (t fleetTraces) LatestTraceID(route string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), t.client.Timeout())
	defer cancel()
	ms := t.client.Matchers()
	if route != "" {
		ms = append([]string{instrumentation.PromAttrRoute + "=" + strconv.Quote(route)}, ms...)
	}
	now := t.now()
	bucket := instrumentation.PromRequestDuration + "_bucket"
	failing := fleet.Selector(bucket, append([]string{instrumentation.PromAttrStatusCode + `=~"` + httpapi.ServerErrorPattern + `"`}, ms...)...)
	if ex, err := t.client.Exemplars(ctx, failing, now.Add(-traceLookback), now, 1); err == nil && len(ex) > 0 {
		return ex[0].TraceID, true
	}
	if ex, err := t.client.Exemplars(ctx, fleet.Selector(bucket, ms...), now.Add(-traceLookback), now, 0); err == nil {
		for _, e := range ex {
			if e.Value >= slowSeconds {
				return e.TraceID, true
			}
		}
	}
	return t.local.LatestTraceID(route)
}
