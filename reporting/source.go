package reporting

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// Scope says whose requests a summary counts: the whole fleet (from
// Prometheus, in fleet mode) or the replica that answers (its own series).
type Scope string

// Scopes.
const (
	ScopeFleet   Scope = "fleet"
	ScopeReplica Scope = "replica"
)

// ErrFleetUnavailable wraps the error of a fleet-scope summary whose
// Prometheus query failed; the server answers it with 503.
var ErrFleetUnavailable = errors.New("fleet scope unavailable")

// ParseScope parses the scope parameter: fleet, replica, or "" for the
// default (fleet in fleet mode, else replica).
func ParseScope(raw string) (Scope, error) {
	switch Scope(raw) {
	case "", ScopeFleet, ScopeReplica:
		return Scope(raw), nil
	}
	return "", &ParamError{Name: "scope", Reason: "must be fleet or replica"}
}

// Source gives what the summaries are computed from: the observation
// counts and the merged histograms of http.server.request.duration over
// a window ending at now, selected by OTel attribute matchers and grouped
// by OTel attributes (nil by: one group). The replica source reads the
// series store; FleetSource asks Prometheus.
type Source interface {
	IncreaseBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Group, error)
	HistogramBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Histogram, error)
}

// replicaSource is this replica's series store.
type replicaSource struct{ ser *series.Store }

func (r replicaSource) IncreaseBy(_ context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Group, error) {
	if by == nil {
		return []series.Group{{Labels: map[string]string{}, Value: r.ser.Increase(instrumentation.MetricRequestDuration, ms, window, now)}}, nil
	}
	return r.ser.IncreaseBy(instrumentation.MetricRequestDuration, ms, by, window, now), nil
}

func (r replicaSource) HistogramBy(_ context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Histogram, error) {
	if by == nil {
		return []series.Histogram{r.ser.Histogram(instrumentation.MetricRequestDuration, ms, window, now)}, nil
	}
	return r.ser.HistogramBy(instrumentation.MetricRequestDuration, ms, by, window, now), nil
}

// scoped is a source and the scope it answers for.
type scoped struct {
	src   Source
	scope Scope
}

// in picks the source of a scope ("" for the default).
func (s *Service) in(scope Scope) (scoped, error) {
	switch {
	case scope == ScopeReplica || (scope == "" && s.fleet == nil):
		return scoped{src: replicaSource{s.ser}, scope: ScopeReplica}, nil
	case s.fleet == nil:
		return scoped{}, &ParamError{Name: "scope", Reason: "fleet mode is off (set fleet.prometheus.url); only replica is available"}
	default:
		return scoped{src: s.fleet, scope: ScopeFleet}, nil
	}
}

// wrap marks a fleet source's failure.
func (sc scoped) wrap(err error) error {
	if err == nil || sc.scope != ScopeFleet {
		return err
	}
	return fmt.Errorf("%w: %w", ErrFleetUnavailable, err)
}

// increase sums the source's increase over every series ms selects.
func (sc scoped) increase(ctx context.Context, ms []series.Matcher, window time.Duration, now time.Time) (float64, error) {
	gs, err := sc.src.IncreaseBy(ctx, ms, nil, window, now)
	if err != nil {
		return 0, sc.wrap(err)
	}
	var v float64
	for _, g := range gs {
		v += g.Value
	}
	return v, nil
}

func (sc scoped) increaseBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Group, error) {
	gs, err := sc.src.IncreaseBy(ctx, ms, by, window, now)
	return gs, sc.wrap(err)
}

// histogram is the merged histogram of every series ms selects.
func (sc scoped) histogram(ctx context.Context, ms []series.Matcher, window time.Duration, now time.Time) (series.Histogram, error) {
	hs, err := sc.src.HistogramBy(ctx, ms, nil, window, now)
	if err != nil {
		return series.Histogram{}, sc.wrap(err)
	}
	if len(hs) == 0 {
		return series.Histogram{Min: math.NaN(), Max: math.NaN()}, nil
	}
	return hs[0], nil
}

func (sc scoped) histogramBy(ctx context.Context, ms []series.Matcher, by []string, window time.Duration, now time.Time) ([]series.Histogram, error) {
	hs, err := sc.src.HistogramBy(ctx, ms, by, window, now)
	return hs, sc.wrap(err)
}

// FleetHint is appended to the detail of a 503 for a fleet-scope summary.
const FleetHint = "ask with ?scope=replica for this replica's own figures"

// fleetErrorText is the one line a body says when the fleet scope failed.
func fleetErrorText(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
