package reporting

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
	"go.yaml.in/yaml/v3"
)

// SLO limits.
const (
	DefaultSLOWindow = 30 * 24 * time.Hour
	maxSLOs          = 100
	burnWindow       = time.Hour
)

// SLO is one service-level objective of the `slos:` configuration section.
type SLO struct {
	// Name identifies the SLO (gauge attribute slo). Required, unique.
	Name string `yaml:"name" json:"name"`
	// Route is the echo route template, e.g. /api/chat. Required.
	Route string `yaml:"route" json:"route"`
	// Objective is the target ratio of good requests, e.g. 0.999. Required,
	// strictly between 0 and 1.
	Objective float64 `yaml:"objective" json:"objective"`
	// Window is the compliance period. Optional. Default 30d; at most the
	// usage retention.
	Window alerting.Duration `yaml:"window" json:"window"`
	// LatencyThreshold adds a latency SLI: requests at or under it are good.
	// Optional.
	LatencyThreshold alerting.Duration `yaml:"latency_threshold,omitempty" json:"latency_threshold,omitempty"`
}

// ParseSLOs decodes and validates the `slos:` section (a YAML list; unknown
// keys are errors). retention bounds the windows (0: no bound).
func ParseSLOs(data []byte, retention time.Duration) ([]SLO, error) {
	var slos []SLO
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&slos); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: slos: %w", ErrInvalidConfig, err)
		}
	}
	if len(slos) > maxSLOs {
		return nil, fmt.Errorf("%w: slos: at most %d", ErrInvalidConfig, maxSLOs)
	}
	seen := map[string]bool{}
	for i := range slos {
		s := &slos[i]
		if s.Window == 0 {
			s.Window = alerting.Duration(DefaultSLOWindow)
		}
		if err := s.validate(retention); err != nil {
			return nil, fmt.Errorf("%w: slos[%d]: %w", ErrInvalidConfig, i, err)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%w: slos[%d]: duplicate name %q", ErrInvalidConfig, i, s.Name)
		}
		seen[s.Name] = true
	}
	return slos, nil
}

func (s SLO) validate(retention time.Duration) error {
	switch {
	case s.Name == "" || len(s.Name) > 100:
		return errors.New("name: required, at most 100 characters")
	case s.Route == "" || s.Route[0] != '/' || len(s.Route) > 256:
		return errors.New("route: must be a route template starting with /")
	case !(s.Objective > 0 && s.Objective < 1):
		return errors.New("objective: must be between 0 and 1 (exclusive), e.g. 0.999")
	case s.Window.D() < time.Hour:
		return errors.New("window: must be at least 1h")
	case retention > 0 && s.Window.D() > retention:
		return fmt.Errorf("window: must not exceed the usage retention (%s)", alerting.Duration(retention))
	case s.LatencyThreshold < 0 || s.LatencyThreshold.D() > time.Minute:
		return errors.New("latency_threshold: must be between 0 and 1m")
	}
	return nil
}

// SLI is one service-level indicator: Good of Total requests over a window.
// Value is null without requests.
type SLI struct {
	Value         *float64 `json:"value"`
	Good          int64    `json:"good"`
	Total         int64    `json:"total"`
	WindowSeconds float64  `json:"window_seconds"`
	Source        string   `json:"source"`
}

// SLOStatus is the state of one SLO.
//
//   - Availability: non-5xx ratio over the SLO window, from the hourly usage
//     rollups in the store (whole hours; requests counted by the usage
//     middleware).
//   - Latency (with latency_threshold): ratio of requests whose duration is
//     at most the largest histogram bucket bound ≤ the threshold
//     (EffectiveThresholdMs), over min(window, 24 h), from the series.
//   - ErrorBudgetRemaining: 1 − (1 − availability)/(1 − objective); below 0
//     once the budget is spent; null without requests.
//   - BurnRate1h: the 5xx ratio of the last hour (series) / (1 − objective);
//     1 spends the budget exactly over the window. LatencyBurnRate1h is the
//     same for requests over the threshold.
type SLOStatus struct {
	SLO
	Availability         SLI      `json:"availability"`
	Latency              *SLI     `json:"latency,omitempty"`
	EffectiveThresholdMs *float64 `json:"effective_threshold_ms,omitempty"`
	ErrorBudgetRemaining *float64 `json:"error_budget_remaining"`
	LatencyBudgetRemain  *float64 `json:"latency_budget_remaining,omitempty"`
	BurnRate1h           *float64 `json:"burn_rate_1h"`
	LatencyBurnRate1h    *float64 `json:"latency_burn_rate_1h,omitempty"`
	Status               string   `json:"status"` // ok, at_risk (burn > 1), exhausted, no_data
}

// SLO status values.
const (
	SLOOK        = "ok"
	SLOAtRisk    = "at_risk"
	SLOExhausted = "exhausted"
	SLONoData    = "no_data"
)

// SLOReport is the body of GET /api/slos. Scope is whose requests the
// burn rates and the latency SLI count; the availability SLI always comes
// from the usage rollups in the store.
type SLOReport struct {
	Scope       Scope       `json:"scope"`
	EvaluatedAt time.Time   `json:"evaluated_at"`
	SLOs        []SLOStatus `json:"slos"`
}

func ptr(v float64) *float64 { return &v }

func sli(good, total int64, window time.Duration, source string) SLI {
	s := SLI{Good: good, Total: total, WindowSeconds: window.Seconds(), Source: source}
	if total > 0 {
		s.Value = ptr(float64(good) / float64(total))
	}
	return s
}

func budget(v *float64, objective float64) *float64 {
	if v == nil {
		return nil
	}
	return ptr(1 - (1-*v)/(1-objective))
}

// goodBelow counts the observations of h in buckets whose upper bound is at
// most threshold, and returns that bound (NaN if none).
func goodBelow(h series.Histogram, threshold float64) (int64, float64) {
	var good uint64
	bound := math.NaN()
	for i, b := range h.Bounds {
		if b > threshold+1e-12 {
			break
		}
		good += h.Counts[i]
		bound = b
	}
	return int64(good), bound
}

// EvaluateSLOs computes the status of every configured SLO in scope.
func (s *Service) EvaluateSLOs(ctx context.Context, scope Scope) (SLOReport, error) {
	sc, err := s.in(scope)
	if err != nil {
		return SLOReport{}, err
	}
	return s.evaluateSLOs(ctx, sc, s.now())
}

func (s *Service) evaluateSLOs(ctx context.Context, sc scoped, now time.Time) (SLOReport, error) {
	out := SLOReport{Scope: sc.scope, EvaluatedAt: now, SLOs: make([]SLOStatus, 0, len(s.slos))}
	for _, o := range s.slos {
		st, err := s.sloStatus(ctx, sc, o, now)
		if err != nil {
			return SLOReport{}, err
		}
		out.SLOs = append(out.SLOs, st)
	}
	return out, nil
}

func (s *Service) sloStatus(ctx context.Context, sc scoped, o SLO, now time.Time) (SLOStatus, error) {
	st := SLOStatus{SLO: o}
	route := []series.Matcher{{Name: instrumentation.AttrRoute, Value: o.Route}}
	c, err := s.usage.RouteCounts(ctx, o.Route, now.Add(-o.Window.D()))
	if err != nil {
		return SLOStatus{}, err
	}
	st.Availability = sli(c.Requests-c.Errors, c.Requests, o.Window.D(), "usage rollups (store, hourly)")
	st.ErrorBudgetRemaining = budget(st.Availability.Value, o.Objective)

	total, err := sc.increase(ctx, route, burnWindow, now)
	if err != nil {
		return SLOStatus{}, err
	}
	if total1h := count(total); total1h > 0 {
		errs, err := sc.increase(ctx, []series.Matcher{route[0], errorMatchers[0]}, burnWindow, now)
		if err != nil {
			return SLOStatus{}, err
		}
		st.BurnRate1h = ptr(ratio(count(errs), total1h) / (1 - o.Objective))
	}
	if o.LatencyThreshold > 0 {
		w := min(o.Window.D(), 24*time.Hour)
		h, err := sc.histogram(ctx, route, w, now)
		if err != nil {
			return SLOStatus{}, err
		}
		good, bound := goodBelow(h, o.LatencyThreshold.D().Seconds())
		l := sli(good, int64(h.Count), w, "http.server.request.duration histogram ("+sourceName(sc.scope)+")")
		st.Latency = &l
		if !math.IsNaN(bound) {
			st.EffectiveThresholdMs = ptr(bound * 1000)
		}
		st.LatencyBudgetRemain = budget(l.Value, o.Objective)
		h1, err := sc.histogram(ctx, route, burnWindow, now)
		if err != nil {
			return SLOStatus{}, err
		}
		if h1.Count > 0 {
			g1, _ := goodBelow(h1, o.LatencyThreshold.D().Seconds())
			st.LatencyBurnRate1h = ptr(ratio(int64(h1.Count)-g1, int64(h1.Count)) / (1 - o.Objective))
		}
	}
	st.Status = sloState(st)
	return st, nil
}

// sourceName names where a scope's series figures come from.
func sourceName(sc Scope) string {
	if sc == ScopeFleet {
		return "prometheus"
	}
	return "series"
}

func sloState(st SLOStatus) string {
	rem := []*float64{st.ErrorBudgetRemaining, st.LatencyBudgetRemain}
	burn := []*float64{st.BurnRate1h, st.LatencyBurnRate1h}
	seen := false
	for _, r := range rem {
		if r != nil {
			seen = true
			if *r <= 0 {
				return SLOExhausted
			}
		}
	}
	for _, b := range burn {
		if b != nil {
			seen = true
			if *b > 1 {
				return SLOAtRisk
			}
		}
	}
	if !seen {
		return SLONoData
	}
	return SLOOK
}
