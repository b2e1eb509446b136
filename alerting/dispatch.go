package alerting

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/store"
)

// notification is what one integration is told about one group.
type notification struct {
	Receiver    string
	GroupKey    string
	GroupLabels map[string]string
	Firing      []store.Alert
	Resolved    []store.Alert
	ExternalURL string
}

func (n *notification) status() string {
	if len(n.Firing) > 0 {
		return "firing"
	}
	return "resolved"
}

func (n *notification) alerts() []store.Alert { return append(slices.Clone(n.Firing), n.Resolved...) }

// integration sends notifications to one destination. retry reports
// whether a failure may succeed if tried again.
type integration interface {
	kind() string
	notify(ctx context.Context, n *notification) (retry bool, err error)
	// tracksAck reports whether acknowledgements are news for this
	// integration (PagerDuty acknowledges incidents).
	tracksAck() bool
}

type dispatcher struct {
	e         *dispatchEnv
	receivers map[string][]integration
	attempts  int
	backoff   time.Duration
	maxWait   time.Duration

	mu       sync.Mutex
	inflight map[string]bool
	wg       sync.WaitGroup

	// Guarded by the engine's evalMu: the recently resolved alerts as last
	// read, and the IDs active in the last cycle. An alert only becomes
	// resolved after being active, so the list is reread only when an
	// active alert disappeared, or after a cycle as a follower (stale).
	resolved      []store.Alert
	resolvedValid bool
	lastActive    map[string]bool
}

func newDispatcher(e *dispatchEnv) *dispatcher {
	d := &dispatcher{e: e, receivers: map[string][]integration{}, inflight: map[string]bool{},
		attempts: 5, backoff: 500 * time.Millisecond, maxWait: 10 * time.Second}
	hc := e.deps.HTTPClient
	for _, r := range e.cfg.Receivers {
		var ins []integration
		if r.Webhook != nil {
			ins = append(ins, &webhookNotifier{cfg: *r.Webhook, client: hc})
		}
		if r.Slack != nil {
			ins = append(ins, &slackNotifier{cfg: *r.Slack, client: hc})
		}
		if r.Email != nil {
			ins = append(ins, &emailNotifier{cfg: *r.Email, now: e.now})
		}
		if r.PagerDuty != nil {
			ins = append(ins, &pagerDutyNotifier{cfg: *r.PagerDuty, client: hc})
		}
		d.receivers[r.Name] = ins
	}
	return d
}

func (d *dispatcher) wait() { d.wg.Wait() }

type group struct {
	key      string
	labels   map[string]string
	firing   []store.Alert
	resolved map[string]store.Alert // recently resolved alerts of the group, by ID
}

// groupKey follows Alertmanager's shape: {}:{label="value", ...}.
func groupKey(labels map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+strconv.Quote(labels[k]))
	}
	return "{}:{" + strings.Join(parts, ", ") + "}"
}

func (d *dispatcher) groupOf(groups map[string]*group, a store.Alert) *group {
	gl := map[string]string{}
	for _, l := range d.e.cfg.Route.GroupBy {
		if v, ok := a.Labels[l]; ok {
			gl[l] = v
		}
	}
	k := groupKey(gl)
	g := groups[k]
	if g == nil {
		g = &group{key: k, labels: gl, resolved: map[string]store.Alert{}}
		groups[k] = g
	}
	return g
}

// dispatch decides, for every group and integration, whether a
// notification is due, and sends it in the background. active is the
// cycle's view of the active alerts (with their latest values).
func (d *dispatcher) dispatch(ctx context.Context, active []store.Alert, now time.Time) error {
	rt := d.e.cfg.Route
	ins := d.receivers[rt.Receiver]
	if len(ins) == 0 {
		return nil
	}
	resolved, err := d.recentlyResolved(ctx, active)
	if err != nil {
		return err
	}
	groups := map[string]*group{}
	for _, a := range active {
		if a.Source == store.SourceRule && a.State == store.StateFiring && !a.Silenced {
			g := d.groupOf(groups, a)
			g.firing = append(g.firing, a)
		}
	}
	lookback := max(time.Hour, 3*rt.GroupInterval.D(), rt.GroupWait.D()+rt.GroupInterval.D())
	for _, a := range resolved {
		if a.Source == store.SourceRule && a.FiredAt != nil && a.ResolvedAt != nil && now.Sub(*a.ResolvedAt) < lookback {
			d.groupOf(groups, a).resolved[a.ID] = a
		}
	}
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		g := groups[k]
		for _, in := range ins {
			if err := d.consider(ctx, now, g, in); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// recentlyResolved returns the newest resolved alerts, rereading them only
// when one of the last cycle's active alerts is no longer active.
func (d *dispatcher) recentlyResolved(ctx context.Context, active []store.Alert) ([]store.Alert, error) {
	cur := make(map[string]bool, len(active))
	for _, a := range active {
		cur[a.ID] = true
	}
	stale := !d.resolvedValid
	for id := range d.lastActive {
		if !cur[id] {
			stale = true
			break
		}
	}
	if stale {
		resolved, err := d.e.deps.Store.ListAlerts(ctx, store.AlertFilter{State: store.StateResolved, Limit: 1000})
		if err != nil {
			d.resolvedValid = false
			return nil, fmt.Errorf("list resolved alerts: %w", err)
		}
		d.resolved, d.resolvedValid = resolved, true
	}
	d.lastActive = cur
	return d.resolved, nil
}

func alertKey(a store.Alert, ack bool) string {
	if ack && a.AcknowledgedAt != nil {
		return a.ID + "+ack"
	}
	return a.ID
}

func (d *dispatcher) consider(ctx context.Context, now time.Time, g *group, in integration) error {
	rt := d.e.cfg.Route
	logRecv := rt.Receiver + "/" + in.kind()
	fk := logRecv + "\x00" + g.key
	d.mu.Lock()
	busy := d.inflight[fk]
	d.mu.Unlock()
	if busy || !d.e.isLeader() {
		return nil
	}
	entry, err := d.e.deps.Store.GetNotification(ctx, logRecv, g.key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("notification log %s %s: %w", logRecv, g.key, err)
	}
	var firingKeys []string
	allAcked := true
	for _, a := range g.firing {
		firingKeys = append(firingKeys, alertKey(a, in.tracksAck()))
		if a.AcknowledgedAt == nil {
			allAcked = false
		}
	}
	sort.Strings(firingKeys)
	var res []store.Alert
	for _, k := range entry.FiringAlerts {
		id := strings.TrimSuffix(k, "+ack")
		if a, ok := g.resolved[id]; ok {
			res = append(res, a)
		}
	}
	prev := slices.Sorted(slices.Values(entry.FiringAlerts))
	changed := !slices.Equal(prev, firingKeys) || len(res) > 0
	var due bool
	switch {
	case len(g.firing) == 0 && len(res) == 0:
		return nil
	case len(prev) == 0:
		first := now
		for _, a := range g.firing {
			if a.FiredAt != nil && a.FiredAt.Before(first) {
				first = *a.FiredAt
			}
		}
		due = !now.Before(first.Add(rt.GroupWait.D()))
	case changed:
		due = !now.Before(entry.SentAt.Add(rt.GroupInterval.D()))
	default:
		due = !allAcked && !now.Before(entry.SentAt.Add(rt.RepeatInterval.D()))
	}
	if !due {
		return nil
	}
	n := &notification{Receiver: rt.Receiver, GroupKey: g.key, GroupLabels: g.labels,
		Firing: g.firing, Resolved: res, ExternalURL: d.e.cfg.ExternalURL}
	next := store.NotificationEntry{Receiver: logRecv, GroupKey: g.key, FiringAlerts: firingKeys,
		SentAt: now, ExpiresAt: now.Add(rt.RepeatInterval.D() + 24*time.Hour)}
	for _, a := range res {
		next.ResolvedAlerts = append(next.ResolvedAlerts, a.ID)
	}
	if next.FiringAlerts == nil {
		next.FiringAlerts = []string{}
	}
	d.mu.Lock()
	d.inflight[fk] = true
	d.mu.Unlock()
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		defer func() {
			d.mu.Lock()
			delete(d.inflight, fk)
			d.mu.Unlock()
		}()
		d.send(ctx, in, n, next, now)
	}()
	return nil
}

// send delivers with bounded retries and exponential backoff, then writes
// the notification log and the alerts' history.
func (d *dispatcher) send(ctx context.Context, in integration, n *notification, next store.NotificationEntry, now time.Time) {
	e := d.e
	wait := d.backoff
	var err error
	for attempt := 1; attempt <= d.attempts; attempt++ {
		if !e.isLeader() {
			// Leadership moved while retrying: the new leader reads the
			// shared log and sends what is still due, so stop here
			// without writing the log or the history.
			e.log.Info("not the leader any more: leaving the notification to the new leader",
				"receiver", n.Receiver, "group", n.GroupKey)
			return
		}
		var retry bool
		retry, err = in.notify(ctx, n)
		e.metrics.notified(ctx, in.kind(), err)
		if err == nil || !retry || attempt == d.attempts {
			break
		}
		e.log.Warn("notification failed, retrying", "integration", in.kind(), "receiver", n.Receiver,
			"group", n.GroupKey, "attempt", attempt, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			err = context.Cause(ctx)
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
		wait = min(2*wait, d.maxWait)
	}
	kind := "notified"
	if err != nil {
		kind = "notify_failed"
		e.log.Error("notification failed", "integration", in.kind(), "receiver", n.Receiver, "group", n.GroupKey, "err", err)
	} else if perr := e.deps.Store.PutNotification(context.WithoutCancel(ctx), next); perr != nil {
		e.log.Error("write notification log", "receiver", next.Receiver, "group", n.GroupKey, "err", perr)
	}
	if ctx.Err() != nil {
		return
	}
	for _, a := range n.alerts() {
		details := map[string]string{"receiver": n.Receiver, "integration": in.kind(), "status": a.State}
		if err != nil {
			details["error"] = err.Error()
		}
		e.record(ctx, a, store.AlertEvent{Kind: kind, Details: details}, now)
	}
}
