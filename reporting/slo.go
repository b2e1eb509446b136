package reporting

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/series"
)

// burnWindow is the window of the burn rates /api/slos reports.
const burnWindow = time.Hour

// DefaultSLOWindow is an SLO's compliance period unless it sets one.
const DefaultSLOWindow = alerting.DefaultSLOWindow

// SLO is one service-level objective. The definition is alerting's, so one
// `slos` section drives /api/slos, the reports and the burn-rate rules.
type SLO = alerting.SLO

// ParseSLOs decodes and validates the `slos:` section (a YAML list; unknown
// keys are errors). retention bounds the windows (0: no bound). An absent
// section (no data) is no SLOs; the caller decides whether the defaults
// (alerting.DefaultSLOs) apply. Problems name their keys from the file's
// root (slos[1].objective).
func ParseSLOs(data []byte, retention time.Duration) ([]SLO, error) {
	var slos []SLO
	n, err := configfile.Parse(data)
	if err == nil {
		err = configfile.Decode(n, &slos)
	}
	if err == nil {
		err = alerting.CheckSLOs(slos, retention)
	}
	if err != nil {
		return nil, configfile.Invalid(ErrInvalidConfig, configfile.Under("slos", err))
	}
	return slos, nil
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
	route := o.Matchers()
	c, err := s.usage.RouteCounts(ctx, o.MatchRoute, now.Add(-o.Window.D()))
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
		errs, err := sc.increase(ctx, append(slices.Clip(route), errorMatchers...), burnWindow, now)
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
