package reporting

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/store"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// SpanSource gives the recently ended spans (exporter.Spans is one).
type SpanSource interface {
	Recent(since time.Time) []sdktrace.ReadOnlySpan
}

// AlertLister lists alerts (store.Store is one).
type AlertLister interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	// Series is the windowed series store. Required.
	Series *series.Store
	// Usage counts usage. Required.
	Usage *Usage
	// Spans gives spans for the OTLP export. Optional.
	Spans SpanSource
	// Alerts lists firing alerts for reports. Optional.
	Alerts AlertLister
	// SLOs are the configured objectives. Optional.
	SLOs []SLO
	// Fleet answers the fleet scope (fleet mode): a FleetSource over the
	// Prometheus that scrapes every replica. Optional. Default value: none,
	// every summary answers for this replica.
	Fleet Source
	// MeterProvider records the SLO gauges. Optional. Default value: none.
	MeterProvider metric.MeterProvider
	// Logger. Optional. Default value discards.
	Logger *slog.Logger
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// Service answers the reporting routes.
type Service struct {
	ser    *series.Store
	usage  *Usage
	spans  SpanSource
	alerts AlertLister
	slos   []SLO
	fleet  Source
	logger *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	cached   SLOReport
	cachedAt time.Time

	snapMu sync.Mutex
	snap   APISnapshot
	snapAt time.Time
	reg    metric.Registration
}

// sloCacheTTL bounds how often the gauges query the store.
const sloCacheTTL = 30 * time.Second

// NewService returns a Service; with a MeterProvider and SLOs it registers
// the SLO gauges (unregistered by Close).
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Series == nil || cfg.Usage == nil {
		return nil, fmt.Errorf("%w: series and usage are required", ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{ser: cfg.Series, usage: cfg.Usage, spans: cfg.Spans, alerts: cfg.Alerts, slos: cfg.SLOs, fleet: cfg.Fleet, logger: cfg.Logger, now: cfg.Now}
	if cfg.MeterProvider != nil && len(cfg.SLOs) > 0 {
		if err := s.registerGauges(cfg.MeterProvider); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Service) registerGauges(mp metric.MeterProvider) error {
	m := mp.Meter("github.com/vigilhq/vigil/reporting")
	rem, err := m.Float64ObservableGauge(instrumentation.MetricSLOBudgetRemaining,
		metric.WithUnit("1"), metric.WithDescription("Error budget remaining of an SLO (1 full, ≤ 0 spent)."))
	if err != nil {
		return fmt.Errorf("slo gauge: %w", err)
	}
	// No unit: a burn rate is a multiple of the sustainable rate, and unit
	// "1" would make the Prometheus name vigil_slo_burn_rate_ratio.
	burn, err := m.Float64ObservableGauge(instrumentation.MetricSLOBurnRate, metric.WithDescription("Error budget burn rate of an SLO over a window."))
	if err != nil {
		return fmt.Errorf("slo gauge: %w", err)
	}
	s.reg, err = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		rep, err := s.cachedSLOs(ctx)
		if err != nil {
			s.logger.Warn("slo gauges: evaluation failed", "error", err)
			return nil
		}
		for _, st := range rep.SLOs {
			attrs := metric.WithAttributes(attribute.String("slo", st.Name))
			if st.ErrorBudgetRemaining != nil {
				o.ObserveFloat64(rem, *st.ErrorBudgetRemaining, attrs)
			}
			if st.BurnRate1h != nil {
				o.ObserveFloat64(burn, *st.BurnRate1h, metric.WithAttributes(attribute.String("slo", st.Name), attribute.String("window", "1h")))
			}
		}
		return nil
	}, rem, burn)
	if err != nil {
		return fmt.Errorf("slo gauge callback: %w", err)
	}
	return nil
}

func (s *Service) cachedSLOs(ctx context.Context) (SLOReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if !s.cachedAt.IsZero() && now.Sub(s.cachedAt) < sloCacheTTL {
		return s.cached, nil
	}
	// The gauges are scraped from every replica: each reports its own
	// requests (a gauge that queried Prometheus from inside a scrape would
	// be scraped N times over, and wait on Prometheus in its scrape).
	rep, err := s.EvaluateSLOs(ctx, ScopeReplica)
	if err != nil {
		return SLOReport{}, err
	}
	s.cached, s.cachedAt = rep, now
	return rep, nil
}

// Close unregisters the SLO gauges.
func (s *Service) Close(context.Context) error {
	if s.reg != nil {
		return s.reg.Unregister()
	}
	return nil
}

// FleetMode reports whether the fleet scope is available (and the default).
func (s *Service) FleetMode() bool { return s.fleet != nil }

// Usage answers a usage report.
func (s *Service) Usage(ctx context.Context, q UsageQuery) (UsageReport, error) {
	return s.usage.Query(ctx, q)
}

// AlertRow is a firing alert in a report.
type AlertRow struct {
	ID       string    `json:"id"`
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	State    string    `json:"state"`
	Since    time.Time `json:"since"`
	Value    float64   `json:"value"`
	TraceID  string    `json:"trace_id,omitempty"`
	Summary  string    `json:"summary,omitempty"`
}

// maxReportAlerts bounds the alerts listed in a report.
const maxReportAlerts = 100

func (s *Service) firingAlerts(ctx context.Context) ([]AlertRow, error) {
	out := []AlertRow{}
	if s.alerts == nil {
		return out, nil
	}
	alerts, err := s.alerts.ListAlerts(ctx, store.AlertFilter{State: store.StateFiring, Limit: maxReportAlerts})
	if err != nil {
		return nil, fmt.Errorf("list firing alerts: %w", err)
	}
	for _, a := range alerts {
		since := a.ActiveAt
		if a.FiredAt != nil {
			since = *a.FiredAt
		}
		out = append(out, AlertRow{ID: a.ID, Rule: a.RuleName, Severity: a.Severity, State: a.State, Since: since.UTC(),
			Value: a.Value, TraceID: a.TraceID, Summary: a.Annotations["summary"]})
	}
	return out, nil
}
