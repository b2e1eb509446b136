package alerting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigilhq/vigil/store"
)

// The alert state machine, the same for every kind and every source: a
// sample on the firing side of the threshold makes an alert pending, then
// firing once `for` has elapsed; a firing alert keeps firing for
// keep_firing_for after the condition cleared and, with resolve_threshold,
// until the value crossed back over it; a missing sample of a kind that
// holds no data keeps the state for the no-data hold.

// noDataHold is how long an active alert keeps its state without data,
// counted from the last evaluation that saw its condition hold: the rule's
// window, and at least two evaluation intervals (the takeover bound of a
// replica whose own series are still empty). Past it, nobody has observed
// the problem for a whole window and the alert resolves.
func (e *Evaluator) noDataHold(r *Rule) time.Duration {
	return max(r.kind().Window(r), 2*e.cfg.Config.EvaluationInterval.D())
}

// condition reports whether a sample v keeps (or puts) an alert in a
// pending or firing state: on the firing side of the threshold, or for a
// firing alert with resolve_threshold not yet back over it.
func condition(r *Rule, firing bool, v float64) bool {
	k := r.kind()
	if firing && r.ResolveThreshold != nil {
		return k.Direction().holds(v, *r.ResolveThreshold)
	}
	return k.Direction().fires(v, k.Threshold(r))
}

// evalRule advances one rule's alerts with its values.
func (e *Evaluator) evalRule(ctx context.Context, cyc *cycle, r *Rule, vals Values, active map[string]*store.Alert, now time.Time) error {
	if vals.Err != nil {
		// A failed evaluation is no evidence either way: the alerts keep
		// their state, and the no-data hold restarts (below).
		e.failedAt[r.Name] = now
		e.setStatus(r, now, 0, len(active), vals.Err)
		return vals.Err
	}
	samples := usable(vals.Samples)
	var maxV float64
	seen := map[string]bool{}
	var errs []error
	for i, s := range samples {
		if i == 0 || s.Value > maxV {
			maxV = s.Value
		}
		labels := r.labels(s)
		fp := Fingerprint(labels)
		seen[fp] = true
		a, ok := active[fp]
		cond := condition(r, ok && a.State == store.StateFiring, s.Value)
		switch {
		case !ok && cond:
			errs = append(errs, e.newAlert(ctx, cyc, r, labels, fp, s.Value, now))
		case ok:
			errs = append(errs, e.advance(ctx, cyc, r, a, cond, s.Value, now, ""))
		}
	}
	holds := r.kind().HoldsNoData()
	failed, hasFailed := e.failedAt[r.Name]
	for fp, a := range active {
		if seen[fp] {
			continue
		}
		// No sample is "no data" (no requests in the window: the ratio is
		// undefined, not 0), never evidence that the alert healed. The
		// state holds until the rule has seen nothing for noDataHold; a
		// replica that just took over, whose own series are still empty,
		// therefore neither resolves nor re-fires an incident. After a
		// failed evaluation (Prometheus down) the hold counts from the
		// failure, for every kind: the window's data has a gap, so the
		// first answers after an outage resolve nothing early.
		since := cyc.lastEval(r, a)
		recent := hasFailed && failed.After(since)
		if recent {
			since = failed
		}
		if (holds || recent) && now.Sub(since) < e.noDataHold(r) {
			continue
		}
		reason := ""
		if holds {
			reason = "no data"
		}
		errs = append(errs, e.advance(ctx, cyc, r, a, false, a.Value, now, reason))
	}
	err := errors.Join(errs...)
	e.setStatus(r, now, maxV, len(active), err)
	return err
}

func (e *Evaluator) newAlert(ctx context.Context, cyc *cycle, r *Rule, labels map[string]string, fp string, v float64, now time.Time) error {
	a := store.Alert{
		ID: alertID(store.SourceRule, fp, now), Fingerprint: fp, RuleName: r.Name, Source: store.SourceRule,
		State: store.StatePending, Severity: r.Severity, Labels: labels, Value: v,
		ActiveAt: now, LastEvalAt: now, UpdatedAt: now,
	}
	if u := e.cfg.Config.ExternalURL; u != "" {
		a.GeneratorURL = strings.TrimSuffix(u, "/") + "/api/alerts/" + a.ID
	}
	ev := store.AlertEvent{Kind: store.StatePending, From: "inactive", To: store.StatePending}
	if r.For <= 0 {
		a.State = store.StateFiring
		a.FiredAt = &now
		a.TraceID = e.traceID(labels)
		ev = store.AlertEvent{Kind: store.StateFiring, From: "inactive", To: store.StateFiring}
	}
	a.Annotations = e.annotations(r, labels, v, a.TraceID)
	saved, evs, err := e.cfg.Store.InsertAlert(ctx, a, stamp(&a, now, ev)...)
	if err != nil {
		return fmt.Errorf("create alert %s: %w", a.ID, err)
	}
	cyc.persisted(saved)
	publishAll(e.cfg.Publisher, saved, evs)
	return nil
}

// step applies one evaluation result to a: the state machine. It returns
// the history events of the transition and whether anything but the
// latest value, LastEvalAt and annotations changed (state, keep_firing_for
// timer, trace ID), which must be persisted at once.
func (e *Evaluator) step(r *Rule, a *store.Alert, cond bool, v float64, now time.Time, reason string) (events []store.AlertEvent, material bool) {
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
// and manual resolutions are never lost, and that appends the transition's
// history in the same commit. reason, when set, explains a resolution in
// the history.
func (e *Evaluator) advance(ctx context.Context, cyc *cycle, r *Rule, cur *store.Alert, cond bool, v float64, now time.Time, reason string) error {
	next := *cur
	_, material := e.step(r, &next, cond, v, now, reason)
	if !material && !cyc.due(r, cur.ID, next.LastEvalAt, now) {
		*cur = next
		if cond {
			cyc.remember(cur)
		}
		return nil
	}
	a, evs, err := e.cfg.Store.UpdateAlertEvents(ctx, cur.ID, func(a *store.Alert) ([]store.AlertEvent, error) {
		if a.State == store.StateResolved {
			return nil, errSkip
		}
		cyc.overlay(a)
		events, _ := e.step(r, a, cond, v, now, reason)
		a.UpdatedAt = now
		return stamp(a, now, events...), nil
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
	publishAll(e.cfg.Publisher, a, evs)
	return nil
}

func (e *Evaluator) annotations(r *Rule, labels map[string]string, v float64, traceID string) map[string]string {
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

func (e *Evaluator) traceID(labels map[string]string) string {
	if e.cfg.Traces == nil {
		return ""
	}
	id, _ := e.cfg.Traces.LatestTraceID(labels[LabelRoute])
	return id
}
