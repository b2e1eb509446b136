package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/store"
)

// Errors of the package.
var (
	ErrNotFound       = fmt.Errorf("alert %w", store.ErrNotFound)
	ErrAlertResolved  = fmt.Errorf("alert already resolved: %w", store.ErrConflict)
	ErrEvaluation     = errors.New("rule evaluation failed")
	ErrInvalidWebhook = errors.New("invalid webhook payload")
)

// Store is the part of the store the engine uses (with the silences and
// the notification pipeline it builds).
type Store interface {
	notify.Store
	silence.Store
	UpsertAlert(ctx context.Context, a store.Alert) error
	AppendAlertEvent(ctx context.Context, e store.AlertEvent) (store.AlertEvent, error)
}

// Deps are the engine's collaborators. Store and Series are required.
type Deps struct {
	Store         Store
	Series        Querier
	Traces        TraceFinder          // optional
	Logger        *slog.Logger         // default slog.Default()
	Now           func() time.Time     // default time.Now
	HTTPClient    *http.Client         // default a client with a 10s timeout
	MeterProvider metric.MeterProvider // default no-op
	IsLeader      func() bool          // nil: always the leader
	ExternalURL   string               // overrides Config.ExternalURL when set
}

// Event is one alert state change, as published to subscribers.
type Event struct {
	Alert store.Alert      `json:"alert"`
	Event store.AlertEvent `json:"event"`
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

// Engine evaluates rules, keeps alert state in the store and notifies.
type Engine struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	started time.Time
	tmpl    map[string]map[string]*template.Template

	silences *silence.Silences
	notif    *notify.Pipeline

	evalMu sync.Mutex // one evaluation at a time
	// live holds the latest evaluation of each active alert, not yet
	// persisted. Guarded by evalMu.
	live map[string]liveAlert

	mu     sync.Mutex
	status map[string]RuleStatus
	counts map[[2]string]int64 // (state, severity) → alerts, for the gauge
	subs   map[int]chan Event
	nextID int

	metrics *metrics
}

// New validates cfg and returns an engine.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Store == nil || deps.Series == nil {
		return nil, fmt.Errorf("%w: store and series are required", ErrInvalidConfig)
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.HTTPClient == nil {
		deps.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if deps.MeterProvider == nil {
		deps.MeterProvider = noop.NewMeterProvider()
	}
	if deps.ExternalURL != "" {
		cfg.ExternalURL = deps.ExternalURL
	}
	e := &Engine{
		cfg: cfg, deps: deps, log: deps.Logger, now: deps.Now,
		tmpl:   map[string]map[string]*template.Template{},
		status: map[string]RuleStatus{},
		counts: map[[2]string]int64{},
		subs:   map[int]chan Event{},
		live:   map[string]liveAlert{},
	}
	e.started = e.now()
	for _, r := range cfg.Rules {
		e.status[r.Name] = RuleStatus{Rule: r, Health: "unknown"}
		ts := map[string]*template.Template{}
		for k, v := range r.Annotations {
			t, err := template.New(k).Option("missingkey=zero").Parse(v)
			if err != nil {
				return nil, fmt.Errorf("%w: rule %s annotation %s: %w", ErrInvalidConfig, r.Name, k, err)
			}
			ts[k] = t
		}
		e.tmpl[r.Name] = ts
	}
	m, err := newMetrics(deps.MeterProvider, e)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	e.metrics = m
	if e.silences, err = silence.New(silence.Config{Store: deps.Store, Recorder: recorder{e}, Now: e.now, Logger: e.log}); err != nil {
		return nil, err
	}
	if e.notif, err = notify.New(e.notifyConfig()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return e, nil
}

// Config returns the engine's configuration (defaults applied).
func (e *Engine) Config() Config { return e.cfg }

func (e *Engine) isLeader() bool { return e.deps.IsLeader == nil || e.deps.IsLeader() }

// Run evaluates every evaluation_interval until ctx is done, then waits for
// notifications in flight to stop. It returns nil on cancellation.
//
// With Deps.IsLeader set, Run also watches leadership eight times per
// interval and evaluates at once when this replica becomes the leader, so a
// takeover does not wait for the next tick.
func (e *Engine) Run(ctx context.Context) error {
	interval := e.cfg.EvaluationInterval.D()
	t := time.NewTicker(interval)
	defer t.Stop()
	defer e.notif.Wait()
	var watch <-chan time.Time
	if e.deps.IsLeader != nil {
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

// Evaluate runs one cycle at now: evaluate every rule, advance the state
// machine, persist, apply silences and dispatch notifications. Followers
// (IsLeader false) do nothing.
//
// A cycle reads the active alerts from the store once and writes only what
// matters: new alerts, state changes, keep_firing_for timers, trace IDs,
// silences, and at least every refresh period (see refreshEvery) an active
// alert's latest value, annotations and LastEvalAt. In between, the latest
// evaluation lives in memory and is what silences, notifications and the
// no-data hold use, so notifications always carry the current value.
func (e *Engine) Evaluate(ctx context.Context, now time.Time) error {
	e.evalMu.Lock()
	defer e.evalMu.Unlock()
	if !e.isLeader() {
		// Another replica evaluates meanwhile: what this one remembers
		// goes stale, the store is the truth when it leads again.
		clear(e.live)
		return e.notif.Notify(ctx, nil, now) // as a follower: forgets its caches

	}
	stored, err := e.deps.Store.ListAlerts(ctx, store.AlertFilter{ActiveOnly: true, Limit: 100000})
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
	results := e.query(now)
	var errs []error
	for i := range e.cfg.Rules {
		if err := e.evalRule(ctx, cyc, &e.cfg.Rules[i], results[i], byRule[e.cfg.Rules[i].Name], now); err != nil {
			errs = append(errs, err)
		}
	}
	active := cyc.active()
	if err := e.applySilences(ctx, active, now); err != nil {
		errs = append(errs, err)
	}
	if err := e.notif.Notify(ctx, active, now); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (e *Engine) setStatus(r *Rule, now time.Time, v float64, active int, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := RuleStatus{Rule: *r, LastValue: v, LastEvaluation: now, Health: "ok", Active: active}
	if err != nil {
		st.Health, st.LastError = "err", err.Error()
	}
	e.status[r.Name] = st
}

// Rules returns every rule with its last evaluation, in configuration order.
func (e *Engine) Rules() []RuleStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]RuleStatus, 0, len(e.cfg.Rules))
	for _, r := range e.cfg.Rules {
		out = append(out, e.status[r.Name])
	}
	return out
}

// Fingerprint is a stable hash of a label set.
func Fingerprint(labels map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func newAlertID(fp string, t time.Time) string {
	return fp[:12] + "-" + strconv.FormatInt(t.UnixMilli(), 36)
}

func (e *Engine) ruleLabels(r *Rule, s sample) map[string]string {
	l := map[string]string{}
	maps.Copy(l, r.Labels)
	maps.Copy(l, s.labels)
	l[LabelAlertName] = r.Name
	l[LabelSeverity] = r.Severity
	return l
}

func (e *Engine) annotations(r *Rule, labels map[string]string, v float64, traceID string) map[string]string {
	out := map[string]string{}
	data := struct {
		Value     float64
		Labels    map[string]string
		Threshold float64
	}{v, labels, r.threshold()}
	for k, t := range e.tmpl[r.Name] {
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			out[k] = r.Annotations[k]
			continue
		}
		out[k] = b.String()
	}
	if traceID != "" {
		out["trace_id"] = traceID
	}
	return out
}

func (e *Engine) traceID(labels map[string]string) string {
	if e.deps.Traces == nil {
		return ""
	}
	id, _ := e.deps.Traces.LatestTraceID(labels[LabelRoute])
	return id
}

// reasonNoData explains why an alert without a sample resolved.
func reasonNoData(r *Rule) string {
	if r.noDataHolds() {
		return "no data"
	}
	return ""
}

// errSkip aborts an UpdateAlert without writing.
var errSkip = errors.New("skip")

// evalRule evaluates one rule and advances its alerts.
func (e *Engine) evalRule(ctx context.Context, cyc *cycle, r *Rule, res ruleResult, active map[string]*store.Alert, now time.Time) error {
	samples, err := res.samples, res.err
	if err != nil {
		e.setStatus(r, now, 0, len(active), err)
		return err
	}
	var maxV float64
	seen := map[string]bool{}
	var errs []error
	for i, s := range samples {
		if i == 0 || s.value > maxV {
			maxV = s.value
		}
		labels := e.ruleLabels(r, s)
		fp := Fingerprint(labels)
		seen[fp] = true
		a, ok := active[fp]
		cond := r.Kind == KindAbsent || s.value > r.threshold()
		if ok && a.State == store.StateFiring && r.ResolveThreshold != nil && r.Kind != KindAbsent {
			cond = s.value >= *r.ResolveThreshold
		}
		switch {
		case !ok && cond:
			errs = append(errs, e.newAlert(ctx, cyc, r, labels, fp, s.value, now))
		case ok:
			errs = append(errs, e.advance(ctx, cyc, r, a, cond, s.value, now, ""))
		}
	}
	for fp, a := range active {
		if seen[fp] {
			continue
		}
		// No sample is "no data" (no requests in the window: the ratio is
		// undefined, not 0), never evidence that the alert healed. The
		// state holds until the rule has seen nothing for noDataHold; a
		// replica that just took over, whose own series are still empty,
		// therefore neither resolves nor re-fires an incident.
		if r.noDataHolds() && now.Sub(cyc.lastEval(r, a)) < e.noDataHold(r) {
			continue
		}
		errs = append(errs, e.advance(ctx, cyc, r, a, false, a.Value, now, reasonNoData(r)))
	}
	err = errors.Join(errs...)
	e.setStatus(r, now, maxV, len(active), err)
	return err
}

func (e *Engine) newAlert(ctx context.Context, cyc *cycle, r *Rule, labels map[string]string, fp string, v float64, now time.Time) error {
	a := store.Alert{
		ID: newAlertID(fp, now), Fingerprint: fp, RuleName: r.Name, Source: store.SourceRule,
		State: store.StatePending, Severity: r.Severity, Labels: labels, Value: v,
		ActiveAt: now, LastEvalAt: now, UpdatedAt: now,
	}
	if e.cfg.ExternalURL != "" {
		a.GeneratorURL = strings.TrimSuffix(e.cfg.ExternalURL, "/") + "/api/alerts/" + a.ID
	}
	events := []store.AlertEvent{{Kind: store.StatePending, From: "inactive", To: store.StatePending}}
	if r.For <= 0 {
		a.State = store.StateFiring
		a.FiredAt = &now
		a.TraceID = e.traceID(labels)
		events = []store.AlertEvent{{Kind: store.StateFiring, From: "inactive", To: store.StateFiring}}
	}
	a.Annotations = e.annotations(r, labels, v, a.TraceID)
	if err := e.deps.Store.UpsertAlert(ctx, a); err != nil {
		return fmt.Errorf("create alert %s: %w", a.ID, err)
	}
	cyc.persisted(a)
	for _, ev := range events {
		e.record(ctx, a, ev, now)
	}
	return nil
}

// step applies one evaluation result to a: the state machine. It returns
// the history events of the transition and whether anything but the
// latest value, LastEvalAt and annotations changed (state, keep_firing_for
// timer, trace ID), which must be persisted at once.
func (e *Engine) step(r *Rule, a *store.Alert, cond bool, v float64, now time.Time, reason string) (events []store.AlertEvent, material bool) {
	state, keep, trace := a.State, a.KeepFiringSince, a.TraceID
	if cond {
		a.Value = v
		a.LastEvalAt = now
		a.KeepFiringSince = nil
	}
	switch a.State {
	case store.StatePending:
		if !cond {
			a.State = store.StateResolved
			a.ResolvedAt = &now
			events = append(events, store.AlertEvent{Kind: store.StateResolved, From: store.StatePending, To: "inactive",
				Details: map[string]string{"reason": "condition cleared before for elapsed"}})
			break
		}
		if now.Sub(a.ActiveAt) >= r.For.D() {
			a.State = store.StateFiring
			a.FiredAt = &now
			events = append(events, store.AlertEvent{Kind: store.StateFiring, From: store.StatePending, To: store.StateFiring})
		}
	case store.StateFiring:
		if cond {
			break
		}
		if r.KeepFiringFor > 0 {
			if a.KeepFiringSince == nil {
				a.KeepFiringSince = &now
			}
			if now.Sub(*a.KeepFiringSince) < r.KeepFiringFor.D() {
				break
			}
		}
		a.State = store.StateResolved
		a.ResolvedAt = &now
		ev := store.AlertEvent{Kind: store.StateResolved, From: store.StateFiring, To: store.StateResolved}
		if reason != "" {
			ev.Details = map[string]string{"reason": reason}
		}
		events = append(events, ev)
	}
	if a.State == store.StateFiring && a.TraceID == "" {
		a.TraceID = e.traceID(a.Labels)
	}
	if a.State != store.StateResolved {
		a.Annotations = e.annotations(r, a.Labels, a.Value, a.TraceID)
	}
	material = a.State != state || (a.KeepFiringSince == nil) != (keep == nil) || a.TraceID != trace
	return events, material
}

// advance applies one evaluation result to the cycle's copy of an existing
// alert. What must be persisted is written inside a store transaction that
// reapplies the result to the stored row, so concurrent acknowledgements
// and manual resolutions are never lost. reason, when set, explains a
// resolution in the history.
func (e *Engine) advance(ctx context.Context, cyc *cycle, r *Rule, cur *store.Alert, cond bool, v float64, now time.Time, reason string) error {
	next := *cur
	_, material := e.step(r, &next, cond, v, now, reason)
	if !material && !cyc.due(r, cur.ID, next.LastEvalAt, now) {
		*cur = next
		if cond {
			cyc.remember(cur)
		}
		return nil
	}
	var events []store.AlertEvent
	a, err := e.deps.Store.UpdateAlert(ctx, cur.ID, func(a *store.Alert) error {
		if a.State == store.StateResolved {
			return errSkip
		}
		cyc.overlay(a)
		events, _ = e.step(r, a, cond, v, now, reason)
		a.UpdatedAt = now
		return nil
	})
	if errors.Is(err, errSkip) {
		cyc.drop(cur.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("update alert %s: %w", cur.ID, err)
	}
	*cur = a
	cyc.persisted(a)
	for _, ev := range events {
		e.record(ctx, a, ev, now)
	}
	return nil
}

// record appends a history event and publishes it. Failures are logged: the
// state itself is already persisted.
func (e *Engine) record(ctx context.Context, a store.Alert, ev store.AlertEvent, now time.Time) {
	ev.AlertID, ev.Fingerprint, ev.Time = a.ID, a.Fingerprint, now
	if ev.Value == 0 {
		ev.Value = a.Value
	}
	saved, err := e.deps.Store.AppendAlertEvent(ctx, ev)
	if err != nil {
		e.log.Error("append alert event", "alert", a.ID, "kind", ev.Kind, "err", err)
		saved = ev
	}
	e.publish(Event{Alert: a, Event: saved})
}
