package alerting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"text/template"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/store"
)

// AlertStore is the part of the store the Evaluator and the Ingester use:
// alerts read, and new alerts and changes written with their history in one
// transaction.
type AlertStore interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	InsertAlert(ctx context.Context, a store.Alert, events ...store.AlertEvent) (store.Alert, []store.AlertEvent, error)
	UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error)
}

// Silencer marks the cycle's active alerts silenced or unsilenced (in the
// store, with a history event) and updates active in place. The Evaluator
// calls it after persisting a cycle.
type Silencer interface {
	Apply(ctx context.Context, active []store.Alert, now time.Time) error
}

// Notifier notifies about the cycle's active alerts (and those resolved
// since). Notify must not block on delivery; Wait, after the context given
// to Notify is cancelled, blocks until deliveries in flight stop. Notify is
// called on followers too, with no alerts: a notifier that only the leader
// runs (it checks itself) drops there what it cached, because another
// replica may change everything meanwhile.
type Notifier interface {
	Notify(ctx context.Context, active []store.Alert, now time.Time) error
	Wait()
}

// EvaluatorConfig configures an Evaluator.
type EvaluatorConfig struct {
	// Config holds the rules, the evaluation interval and the external URL.
	// Required; validated.
	Config Config
	// Store keeps the alerts and their history. Required.
	Store AlertStore
	// Source produces the rules' values. Required: a SeriesSource in
	// process, a Prometheus-compatible API in fleet mode.
	Source Source
	// Publisher receives every history event written. Optional.
	Publisher EventPublisher
	// Silencer and Notifier run after each cycle, in that order. Optional.
	Silencer Silencer
	Notifier Notifier
	// Traces names a trace of a failing request for a firing alert. Optional.
	Traces TraceFinder
	// IsLeader says whether this replica evaluates. Optional. Default: always.
	IsLeader func() bool
	// Logger, Now and MeterProvider default to slog.Default, time.Now and
	// a no-op provider.
	Logger        *slog.Logger
	Now           func() time.Time
	MeterProvider metric.MeterProvider
}

func (c EvaluatorConfig) defaults() EvaluatorConfig {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MeterProvider == nil {
		c.MeterProvider = noop.NewMeterProvider()
	}
	c.Config.applyDefaults()
	return c
}

func (c EvaluatorConfig) validate() error {
	if c.Store == nil || c.Source == nil {
		return fmt.Errorf("%w: evaluator: store and source are required", ErrInvalidConfig)
	}
	return c.Config.Validate()
}

// RuleStatus is a rule and its last evaluation.
type RuleStatus struct {
	Rule           Rule      `json:"rule"`
	LastValue      float64   `json:"last_value"`
	LastEvaluation time.Time `json:"last_evaluation"`
	Health         string    `json:"health"` // unknown, ok, err
	LastError      string    `json:"last_error,omitempty"`
	Active         int       `json:"active"`
}

// Evaluator runs evaluation cycles: every rule's values from the Source,
// compared with its threshold and advanced through the alert state
// machine (state.go), persisted with their history, then handed to the
// Silencer and the Notifier. One cycle runs at a time.
type Evaluator struct {
	cfg  EvaluatorConfig
	log  *slog.Logger
	now  func() time.Time
	tmpl map[string]map[string]*template.Template

	evalMu sync.Mutex // one evaluation at a time
	// live holds the latest evaluation of each active alert, not yet
	// persisted. Guarded by evalMu.
	live map[string]liveAlert
	// failedAt is when each rule's values last failed (a Prometheus query
	// in fleet mode): the no-data hold counts from it. Guarded by evalMu.
	failedAt map[string]time.Time

	mu     sync.Mutex
	status map[string]RuleStatus
	counts map[[2]string]int64 // (state, severity) → alerts, for the gauge
}

// NewEvaluator validates cfg and returns an evaluator.
func NewEvaluator(cfg EvaluatorConfig) (*Evaluator, error) {
	cfg = cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Evaluator{
		cfg: cfg, log: cfg.Logger, now: cfg.Now,
		tmpl:     map[string]map[string]*template.Template{},
		status:   map[string]RuleStatus{},
		counts:   map[[2]string]int64{},
		live:     map[string]liveAlert{},
		failedAt: map[string]time.Time{},
	}
	for _, r := range cfg.Config.Rules {
		e.status[r.Name] = RuleStatus{Rule: r, Health: "unknown"}
		ts := map[string]*template.Template{}
		for k, v := range r.Annotations {
			t, err := parseAnnotation(k, v)
			if err != nil {
				return nil, fmt.Errorf("%w: rule %s annotation %s: %w", ErrInvalidConfig, r.Name, k, err)
			}
			ts[k] = t
		}
		e.tmpl[r.Name] = ts
	}
	// The gauge reports 0 for every state and severity from the start, not
	// only after the first cycle as the leader (a follower keeps 0s).
	e.setCounts(nil)
	if err := e.observeGauge(cfg.MeterProvider); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return e, nil
}

// Config returns the evaluator's configuration (defaults applied).
func (e *Evaluator) Config() Config { return e.cfg.Config }

func (e *Evaluator) isLeader() bool { return e.cfg.IsLeader == nil || e.cfg.IsLeader() }

// Run evaluates every evaluation_interval until ctx is done, then waits for
// notifications in flight to stop. It returns nil on cancellation.
//
// With IsLeader set, Run also watches leadership eight times per interval
// and evaluates at once when this replica becomes the leader, so a
// takeover does not wait for the next tick.
func (e *Evaluator) Run(ctx context.Context) error {
	interval := e.cfg.Config.EvaluationInterval.D()
	t := time.NewTicker(interval)
	defer t.Stop()
	if e.cfg.Notifier != nil {
		defer e.cfg.Notifier.Wait()
	}
	var watch <-chan time.Time
	if e.cfg.IsLeader != nil {
		w := time.NewTicker(max(interval/8, time.Millisecond))
		defer w.Stop()
		watch = w.C
	}
	wasLeader := e.isLeader()
	evaluate := func() {
		if err := e.Evaluate(ctx, e.now()); err != nil && ctx.Err() == nil {
			e.log.Error("alert evaluation", "err", err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			wasLeader = e.isLeader()
			evaluate()
		case <-watch:
			leader := e.isLeader()
			if leader && !wasLeader {
				e.log.Info("became the alerting leader: evaluating now")
				t.Reset(interval)
				evaluate()
			}
			wasLeader = leader
		}
	}
}

// Evaluate runs one cycle at now (at the store's precision, so every copy
// of a time it writes, stores and sends is the same instant): the rules'
// values, the state machine, persistence, silences and notifications.
// Followers (IsLeader false) do nothing.
//
// A cycle reads the active alerts from the store once and writes only what
// matters: new alerts, state changes, keep_firing_for timers, trace IDs,
// and at least every refresh period (see refreshEvery) an active alert's
// latest value, annotations and LastEvalAt. In between, the latest
// evaluation lives in memory and is what silences, notifications and the
// no-data hold use, so notifications always carry the current value.
func (e *Evaluator) Evaluate(ctx context.Context, now time.Time) error {
	now = store.Truncate(now)
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if !e.isLeader() {
		// Another replica evaluates meanwhile: what this one remembers
		// goes stale, the store is the truth when it leads again.
		clear(e.live)
		clear(e.failedAt)
		if e.cfg.Notifier != nil {
			return e.cfg.Notifier.Notify(ctx, nil, now)
		}
		return nil
	}
	stored, err := e.cfg.Store.ListAlerts(ctx, store.AlertFilter{ActiveOnly: true, Limit: 100000})
	if err != nil {
		return fmt.Errorf("list active alerts: %w", err)
	}
	cyc := newCycle(e, stored, now)
	byRule := map[string]map[string]*store.Alert{}
	for _, a := range cyc.alerts {
		if a.Source != store.SourceRule {
			continue
		}
		if byRule[a.RuleName] == nil {
			byRule[a.RuleName] = map[string]*store.Alert{}
		}
		byRule[a.RuleName][a.Fingerprint] = a
	}
	rules := e.cfg.Config.Rules
	values := e.cfg.Source.Values(ctx, rules, now)
	if len(values) != len(rules) {
		return fmt.Errorf("%w: source returned %d values for %d rules", ErrEvaluation, len(values), len(rules))
	}
	var errs []error
	for i := range rules {
		if err := e.evalRule(ctx, cyc, &rules[i], values[i], byRule[rules[i].Name], now); err != nil {
			errs = append(errs, err)
		}
	}
	active := cyc.active()
	if e.cfg.Silencer != nil {
		if err := e.cfg.Silencer.Apply(ctx, active, now); err != nil {
			errs = append(errs, err)
		}
	}
	e.setCounts(active)
	if e.cfg.Notifier != nil {
		if err := e.cfg.Notifier.Notify(ctx, active, now); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Evaluator) setStatus(r *Rule, now time.Time, v float64, active int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := RuleStatus{Rule: *r, LastValue: v, LastEvaluation: now, Health: "ok", Active: active}
	if err != nil {
		st.Health, st.LastError = "err", err.Error()
	}
	e.status[r.Name] = st
}

// Rules returns every rule with its last evaluation, in configuration order.
func (e *Evaluator) Rules() []RuleStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleStatus, 0, len(e.cfg.Config.Rules))
	for _, r := range e.cfg.Config.Rules {
		out = append(out, e.status[r.Name])
	}
	return out
}

// observeGauge registers the active-alerts gauge.
func (e *Evaluator) observeGauge(mp metric.MeterProvider) error {
	_, err := mp.Meter(meterName).Int64ObservableGauge(instrumentation.MetricAlertsActive, metric.WithUnit("{alert}"),
		metric.WithDescription("Active alerts by state and severity."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			for k, n := range e.counts {
				o.Observe(n, metric.WithAttributes(attribute.String("state", k[0]), attribute.String("severity", k[1])))
			}
			return nil
		}))
	return err
}

// setCounts records the active alerts for the gauge. Every known severity
// and state is reported, zero included, so a cleared alert drops to 0.
func (e *Evaluator) setCounts(active []store.Alert) {
	c := map[[2]string]int64{}
	for _, st := range []string{store.StatePending, store.StateFiring} {
		for _, sev := range []string{SeverityCritical, SeverityError, SeverityWarning, SeverityInfo} {
			c[[2]string{st, sev}] = 0
		}
	}
	for _, a := range active {
		c[[2]string{a.State, a.Severity}]++
	}
	e.mu.Lock()
	e.counts = c
	e.mu.Unlock()
}
