package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/store"
)

// Store is every part of the store the engine's parts use together (each
// part declares its own, smaller interface).
type Store interface {
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	InsertAlert(ctx context.Context, a store.Alert, events ...store.AlertEvent) (store.Alert, []store.AlertEvent, error)
	UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error)
	AppendAlertEvent(ctx context.Context, e store.AlertEvent) (store.AlertEvent, error)
	CreateSilence(ctx context.Context, s store.Silence) error
	GetSilence(ctx context.Context, id string) (store.Silence, error)
	ListSilences(ctx context.Context) ([]store.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	GetNotification(ctx context.Context, receiver, groupKey string) (store.NotificationEntry, error)
	PutNotification(ctx context.Context, e store.NotificationEntry) error
}

// Deps are the engine's collaborators. Store is required, and Series unless
// Source is set.
type Deps struct {
	Store  Store
	Series Querier
	// Source produces the rules' values. Optional. Default: a SeriesSource
	// over Series, counting absent traffic from New's call.
	Source        Source
	Traces        TraceFinder          // optional
	Logger        *slog.Logger         // default slog.Default()
	Now           func() time.Time     // default time.Now
	HTTPClient    *http.Client         // default a client with a 10s timeout
	MeterProvider metric.MeterProvider // default no-op
	IsLeader      func() bool          // nil: always the leader
	ExternalURL   string               // overrides Config.ExternalURL when set
}

// Engine is the alerting engine wired from its parts, each with one job
// and its own store interface:
//
//   - Evaluator: evaluation cycles (values → state machine → events),
//     Run, Evaluate, Rules;
//   - Ingester: Alertmanager webhook payloads (IngestWebhook);
//   - Actions: Acknowledge and Resolve;
//   - Silences: silences (CreateSilence, ExpireSilence, ListSilences) and
//     the Evaluator's Silencer;
//   - Publisher: alert events to subscribers (Subscribe);
//   - History: standalone history events (Record), for notifications.
//
// The parts' methods are promoted; a server composes the parts it serves.
type Engine struct {
	*Evaluator
	*Ingester
	*Actions
	*Silences
	*Publisher
	History *History

	notif *dispatcher
}

// New validates cfg and returns the engine wired from deps.
func New(cfg Config, deps Deps) (*Engine, error) {
	if deps.Store == nil || (deps.Series == nil && deps.Source == nil) {
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
	if deps.Source == nil {
		deps.Source = NewSeriesSource(deps.Series, deps.Now())
	}
	pub, err := NewPublisher(deps.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	hist := NewHistory(deps.Store, pub, deps.Logger, deps.Now)
	nm, err := newNotifyMetrics(deps.MeterProvider)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	env := &dispatchEnv{cfg: cfg, log: deps.Logger, now: deps.Now, leader: deps.IsLeader, history: hist, metrics: nm}
	env.deps.Store, env.deps.HTTPClient = deps.Store, deps.HTTPClient
	notif := newDispatcher(env)
	sil := NewSilences(deps.Store, pub, deps.Now)
	ev, err := NewEvaluator(EvaluatorConfig{
		Config: cfg, Store: deps.Store, Source: deps.Source, Publisher: pub,
		Silencer: sil, Notifier: notif, Traces: deps.Traces, IsLeader: deps.IsLeader,
		Logger: deps.Logger, Now: deps.Now, MeterProvider: deps.MeterProvider,
	})
	if err != nil {
		return nil, err
	}
	return &Engine{
		Evaluator: ev,
		Ingester:  NewIngester(deps.Store, pub, deps.Now),
		Actions:   NewActions(deps.Store, pub, deps.Now),
		Silences:  sil,
		Publisher: pub,
		History:   hist,
		notif:     notif,
	}, nil
}
