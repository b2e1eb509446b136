package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/store"
)

// Store is what the pipeline reads and writes: the notification log, its
// owed entries, and the alerts they refer to.
type Store interface {
	NotificationLog
	// ListOwedNotifications returns the entries with a delivery owed
	// since at or after since.
	ListOwedNotifications(ctx context.Context, since time.Time) ([]store.NotificationEntry, error)
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	GetAlert(ctx context.Context, id string) (store.Alert, error)
}

// RetryConfig bounds the attempts of one delivery.
type RetryConfig struct {
	Attempts   int           // default 5
	Backoff    time.Duration // first wait, default 500ms
	MaxBackoff time.Duration // default 10s
}

// Config are the pipeline's settings and collaborators. Route, Store and
// Recorder are required.
type Config struct {
	Route       *Route     // the routing tree's root
	Receivers   []Receiver // validated (ValidateReceivers)
	Store       Store
	Recorder    Recorder
	Muter       Muter                // default: the alert's Silenced flag
	IsLeader    func() bool          // nil: always the leader
	Logger      *slog.Logger         // default slog.Default()
	Meter       metric.MeterProvider // default no-op
	HTTPClient  *http.Client         // default a client with a 10s timeout
	Now         func() time.Time     // default time.Now (email Date headers)
	ExternalURL string
	Retry       RetryConfig
	// Owed spaces the deliveries of an owed notification. Default 1s
	// doubling up to 5m.
	Owed OwedBackoff
	// LookupEnv reads the secrets the receivers name. Default os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

func (c *Config) defaults() {
	if c.Muter == nil {
		c.Muter = MuterFunc(func(a store.Alert, _ time.Time) bool { return a.Silenced })
	}
	if c.IsLeader == nil {
		c.IsLeader = func() bool { return true }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Meter == nil {
		c.Meter = noop.NewMeterProvider()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retry.Attempts <= 0 {
		c.Retry.Attempts = 5
	}
	if c.Retry.Backoff <= 0 {
		c.Retry.Backoff = 500 * time.Millisecond
	}
	if c.Retry.MaxBackoff <= 0 {
		c.Retry.MaxBackoff = 10 * time.Second
	}
	if c.Owed.Base <= 0 {
		c.Owed.Base = time.Second
	}
	if c.Owed.Max <= 0 {
		c.Owed.Max = 5 * time.Minute
	}
	if c.LookupEnv == nil {
		c.LookupEnv = os.LookupEnv
	}
}

// Pipeline is the notification pipeline's entry point: Notify each cycle,
// Wait on shutdown. Deliveries run in the background.
type Pipeline struct {
	cfg      Config
	log      *slog.Logger
	stages   map[string]Stage  // by receiver
	owners   map[string]string // log key → receiver
	horizon  map[string]time.Duration
	maxHorzn time.Duration
	lookback time.Duration
	metrics  *metrics

	mu       sync.Mutex
	inflight map[string]bool
	wg       sync.WaitGroup

	// Notify runs one cycle at a time (the caller's cycle); these are its
	// caches: the recently resolved alerts as last read, when, the IDs
	// active in the last cycle, and owed alerts fetched by ID.
	resolved      []store.Alert
	resolvedAt    time.Time
	resolvedValid bool
	lastActive    map[string]bool
	owedAlerts    map[string]store.Alert
}

// resolvedMaxAge bounds how long the recently resolved alerts are reused.
const resolvedMaxAge = time.Minute

// New builds the stages of every receiver. A secret whose environment
// variable is unset is an error naming the key.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Route == nil || cfg.Store == nil || cfg.Recorder == nil {
		return nil, errors.New("notify: route, store and recorder are required")
	}
	cfg.defaults()
	cfg.Route.name("", 0)
	p := &Pipeline{cfg: cfg, log: cfg.Logger, stages: map[string]Stage{}, owners: map[string]string{},
		horizon: map[string]time.Duration{}, inflight: map[string]bool{}, owedAlerts: map[string]store.Alert{}}
	var gw, gi time.Duration
	cfg.Route.walk(func(r *Route) { gw, gi = max(gw, r.GroupWait), max(gi, r.GroupInterval) })
	p.lookback = max(time.Hour, 3*gi, gw+gi)
	d := buildDeps{client: cfg.HTTPClient, now: cfg.Now, lookup: cfg.LookupEnv}
	var names []string
	var errs []error
	for i := range cfg.Receivers {
		r := &cfg.Receivers[i]
		names = append(names, r.Name)
		p.horizon[r.Name] = r.Horizon()
		p.maxHorzn = max(p.maxHorzn, r.Horizon())
		var fan FanoutStage
		for _, c := range r.configs() {
			in, err := c.cfg.build(fmt.Sprintf("receivers[%d].%s", i, c.key), d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			logKey := r.Name + "/" + in.Name()
			p.owners[logKey] = r.Name
			fan = append(fan, p.integrationStage(r, in, logKey))
		}
		if len(fan) > 0 {
			p.stages[r.Name] = MultiStage{MuteStage{Muter: cfg.Muter}, fan}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m, err := newMetrics(cfg.Meter, names)
	if err != nil {
		return nil, fmt.Errorf("notify metrics: %w", err)
	}
	p.metrics = m
	return p, nil
}

// integrationStage is one integration's branch of the fan-out.
func (p *Pipeline) integrationStage(r *Receiver, in Integration, logKey string) Stage {
	c := p.cfg
	bind := StageFunc(func(_ context.Context, f *Flush) (bool, error) {
		f.Integration, f.LogKey = in, logKey
		return true, nil
	})
	return MultiStage{
		bind,
		ReadLogStage{Log: c.Store},
		WaitStage{Backoff: c.Owed},
		DedupStage{Receiver: r.Name, ExternalURL: c.ExternalURL, DeliverMissedFiring: r.DeliverMissedFiring, Horizon: r.Horizon()},
		RetryStage{Attempts: c.Retry.Attempts, Backoff: c.Retry.Backoff, MaxBackoff: c.Retry.MaxBackoff,
			IsLeader: c.IsLeader, Logger: p.log, Observe: func(ctx context.Context, name string, err error) { p.metrics.notified(ctx, name, err) }},
		LogStage{Log: c.Store, Recorder: c.Recorder, Receiver: r.Name, Horizon: r.Horizon(), Logger: p.log},
	}
}

// Wait waits for the deliveries in flight.
func (p *Pipeline) Wait() { p.wg.Wait() }

// Close stops reporting the pipeline's gauge (a replaced pipeline must not
// report next to its successor).
func (p *Pipeline) Close() error { return p.metrics.reg.Unregister() }

// Notify groups the cycle's active alerts (with the recently resolved and
// the owed ones), and starts, for every group not already in flight, its
// receiver's stages in the background. A follower only forgets its caches.
// Calls must not overlap (one per evaluation cycle).
func (p *Pipeline) Notify(ctx context.Context, active []store.Alert, now time.Time) error {
	if !p.cfg.IsLeader() {
		// Another replica notifies meanwhile: what this one cached goes
		// stale, the store is the truth when it leads again.
		p.resolvedValid = false
		clear(p.owedAlerts)
		p.metrics.setOwed(nil)
		return nil
	}
	if len(p.stages) == 0 {
		return nil
	}
	resolved, err := p.recentlyResolved(ctx, active, now)
	if err != nil {
		return err
	}
	owed, err := p.cfg.Store.ListOwedNotifications(ctx, now.Add(-p.maxHorzn))
	if err != nil {
		return fmt.Errorf("list owed notifications: %w", err)
	}
	g := NewGrouper(p.cfg.Route)
	seen := map[string]bool{}
	for _, a := range active {
		seen[a.ID] = true
		if a.Source == store.SourceRule && a.State == store.StateFiring {
			g.Add(a)
		}
	}
	for _, a := range resolved {
		if a.Source == store.SourceRule && a.FiredAt != nil && a.ResolvedAt != nil && now.Sub(*a.ResolvedAt) < p.lookback {
			seen[a.ID] = true
			g.Add(a)
		}
	}
	for _, a := range p.owedResolved(ctx, owed, seen, now) {
		g.Add(a)
	}
	for _, grp := range g.Groups() {
		st := p.stages[grp.Route.Receiver]
		if st == nil {
			continue
		}
		p.mu.Lock()
		busy := p.inflight[grp.Key]
		if !busy {
			p.inflight[grp.Key] = true
		}
		p.mu.Unlock()
		if busy {
			continue
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() {
				p.mu.Lock()
				delete(p.inflight, grp.Key)
				p.mu.Unlock()
			}()
			if _, err := st.Exec(ctx, &Flush{Now: now, Group: grp}); err != nil && ctx.Err() == nil {
				p.log.Error("notification pipeline", "receiver", grp.Route.Receiver, "group", grp.Key, "err", err)
			}
		}()
	}
	return nil
}

// recentlyResolved returns the newest resolved alerts, rereading them when
// one of the last cycle's active alerts is no longer active, after a cycle
// as a follower, or once a minute.
func (p *Pipeline) recentlyResolved(ctx context.Context, active []store.Alert, now time.Time) ([]store.Alert, error) {
	cur := make(map[string]bool, len(active))
	for _, a := range active {
		cur[a.ID] = true
	}
	stale := !p.resolvedValid || now.Sub(p.resolvedAt) >= resolvedMaxAge || now.Before(p.resolvedAt)
	for id := range p.lastActive {
		if !cur[id] {
			stale = true
			break
		}
	}
	if stale {
		resolved, err := p.cfg.Store.ListAlerts(ctx, store.AlertFilter{State: store.StateResolved, Limit: 1000})
		if err != nil {
			p.resolvedValid = false
			return nil, fmt.Errorf("list resolved alerts: %w", err)
		}
		p.resolved, p.resolvedValid, p.resolvedAt = resolved, true, now
	}
	p.lastActive = cur
	return p.resolved, nil
}

// owedResolved returns the resolved alerts that owed entries refer to and
// that the cycle does not have yet (resolved longer ago than the
// lookback), reading each from the store once; it also counts the owed
// entries per receiver for the gauge.
func (p *Pipeline) owedResolved(ctx context.Context, owed []store.NotificationEntry, seen map[string]bool, now time.Time) []store.Alert {
	counts := map[string]int64{}
	want := map[string]bool{}
	for i := range owed {
		e := &owed[i]
		r, ok := p.owners[e.Receiver]
		if !ok || !Owed(e, p.horizon[r], now) {
			continue
		}
		counts[r]++
		for _, k := range append(append([]string(nil), e.FiringAlerts...), e.OwedFiring...) {
			if id := alertID(k); !seen[id] {
				want[id] = true
			}
		}
	}
	p.metrics.setOwed(counts)
	var out []store.Alert
	for id := range want {
		a, ok := p.owedAlerts[id]
		if !ok {
			var err error
			a, err = p.cfg.Store.GetAlert(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				p.log.Error("read owed alert", "alert", id, "err", err)
				continue
			}
		}
		if a.State != store.StateResolved || a.Source != store.SourceRule {
			continue // active: the cycle has it
		}
		out = append(out, a)
	}
	for id := range p.owedAlerts {
		if !want[id] {
			delete(p.owedAlerts, id)
		}
	}
	for _, a := range out {
		p.owedAlerts[a.ID] = a
	}
	return out
}
