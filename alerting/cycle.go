package alerting

import (
	"cmp"
	"slices"
	"time"

	"github.com/vigilhq/vigil/store"
)

// liveAlert is the latest evaluation of an active alert, kept in memory
// between the writes that persist it (see Evaluator.Evaluate).
type liveAlert struct {
	value       float64
	lastEvalAt  time.Time
	annotations map[string]string
	// exact: lastEvalAt is this engine's own observation (not a value
	// read from the store, which may lag by up to the refresh period).
	exact bool
}

// cycle is one evaluation's view of the active alerts: the store's rows,
// overlaid with what this engine evaluated since it last wrote them.
type cycle struct {
	e      *Evaluator
	alerts map[string]*store.Alert // by ID; resolved alerts are removed
	stored map[string]time.Time    // LastEvalAt as persisted, by ID
	exact  map[string]bool         // LastEvalAt observed by this engine, by ID
	now    time.Time
}

// newCycle overlays the engine's live evaluations on the stored active
// alerts and forgets live evaluations of alerts that are no longer active
// (resolved by hand or by another replica).
func newCycle(e *Evaluator, stored []store.Alert, now time.Time) *cycle {
	c := &cycle{e: e, alerts: make(map[string]*store.Alert, len(stored)), stored: make(map[string]time.Time, len(stored)),
		exact: make(map[string]bool, len(stored)), now: now}
	for i := range stored {
		a := &stored[i]
		c.stored[a.ID] = a.LastEvalAt
		if l, ok := e.live[a.ID]; ok && !l.lastEvalAt.Before(a.LastEvalAt) {
			a.Value, a.LastEvalAt, a.Annotations = l.value, l.lastEvalAt, l.annotations
			c.exact[a.ID] = l.exact
		}
		c.alerts[a.ID] = a
	}
	for id := range e.live {
		if _, ok := c.alerts[id]; !ok {
			delete(e.live, id)
		}
	}
	return c
}

// refreshEvery is how long an active alert's latest value, annotations
// and LastEvalAt may stay unpersisted: half the rule's no-data hold, at
// least one evaluation interval and at most a minute. It bounds how stale
// the store's copy (what the API and another replica read) can be; every
// write is a synced commit, so steady alerts are not rewritten each cycle.
func (e *Evaluator) refreshEvery(r *Rule) time.Duration {
	return min(max(e.noDataHold(r)/2, e.cfg.Config.EvaluationInterval.D()), time.Minute)
}

// due reports whether an alert's unpersisted evaluation must be written
// now: it saw the condition hold after the stored LastEvalAt, and the
// stored copy is a refresh period old.
func (c *cycle) due(r *Rule, id string, lastEvalAt, now time.Time) bool {
	st := c.stored[id]
	return lastEvalAt.After(st) && now.Sub(st) >= c.e.refreshEvery(r)
}

// lastEval is when the alert's condition was last seen to hold, for the
// no-data hold. A LastEvalAt this engine did not observe itself comes from
// the store and may lag by up to the refresh period; the hold then counts
// from its latest possible value, so a replica taking over never resolves
// an incident earlier than its predecessor would have.
func (c *cycle) lastEval(r *Rule, a *store.Alert) time.Time {
	if c.exact[a.ID] {
		return a.LastEvalAt
	}
	return a.LastEvalAt.Add(c.e.refreshEvery(r))
}

// overlay applies the live evaluation of a to a row read from the store,
// when it is newer.
func (c *cycle) overlay(a *store.Alert) {
	if l, ok := c.e.live[a.ID]; ok && l.lastEvalAt.After(a.LastEvalAt) {
		a.Value, a.LastEvalAt, a.Annotations = l.value, l.lastEvalAt, l.annotations
	}
}

// remember keeps the evaluation of a that saw its condition hold now, not
// yet persisted.
func (c *cycle) remember(a *store.Alert) {
	c.e.live[a.ID] = liveAlert{value: a.Value, lastEvalAt: a.LastEvalAt, annotations: a.Annotations, exact: true}
	c.exact[a.ID] = true
}

// persisted records that a was written as it is.
func (c *cycle) persisted(a store.Alert) {
	if a.State == store.StateResolved {
		c.drop(a.ID)
		return
	}
	exact := c.exact[a.ID] || a.LastEvalAt.Equal(c.now)
	c.e.live[a.ID] = liveAlert{value: a.Value, lastEvalAt: a.LastEvalAt, annotations: a.Annotations, exact: exact}
	c.exact[a.ID] = exact
	c.stored[a.ID] = a.LastEvalAt
	if cur, ok := c.alerts[a.ID]; ok {
		*cur = a
	} else {
		c.alerts[a.ID] = &a
	}
}

// drop forgets an alert that is no longer active.
func (c *cycle) drop(id string) {
	delete(c.alerts, id)
	delete(c.e.live, id)
}

// active returns the cycle's active alerts in the store's order (newest
// ActiveAt first, then ID descending).
func (c *cycle) active() []store.Alert {
	out := make([]store.Alert, 0, len(c.alerts))
	for _, a := range c.alerts {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b store.Alert) int {
		if d := b.ActiveAt.Compare(a.ActiveAt); d != 0 {
			return d
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}
