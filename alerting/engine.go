package alerting

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/store"
)

// Store is every part of the store the engine's parts use together (each
// part declares its own, smaller interface).
type Store interface {
	notify.Store
	silence.Store
	silence.Deleter
	InsertAlert(ctx context.Context, a store.Alert, events ...store.AlertEvent) (store.Alert, []store.AlertEvent, error)
	AppendAlertEvent(ctx context.Context, e store.AlertEvent) (store.AlertEvent, error)
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
//   - Silences (package silence): silences, the Evaluator's Silencer and
//     the pipeline's Muter; SilenceRetention deletes the long-expired ones;
//   - Notifications (package notify): the notification pipeline, the
//     Evaluator's Notifier;
//   - Publisher: alert events to subscribers (Subscribe);
//   - History: standalone history events (Record), for notifications.
//
// The methods of the embedded parts are promoted; a server composes the
// parts it serves.
type Engine struct {
	*Evaluator
	*Ingester
	*Actions
	*Publisher
	Silences *silence.Silences
	// SilenceRetention deletes long-expired silences; Run it as a loop.
	SilenceRetention silence.Retention
	Notifications    *notify.Pipeline
	History          *History

	notifyCfg notify.Config // what Notifications was built from
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
	sil, err := silence.New(silence.Config{Store: deps.Store, Publisher: pub, Now: deps.Now, Logger: deps.Logger})
	if err != nil {
		return nil, err
	}
	ncfg := notify.Config{
		Route: cfg.Route.tree(), Receivers: cfg.Receivers, Store: deps.Store, Recorder: hist,
		Muter: sil, IsLeader: deps.IsLeader, Logger: deps.Logger, Meter: deps.MeterProvider,
		HTTPClient: deps.HTTPClient, Now: deps.Now, ExternalURL: cfg.ExternalURL,
	}
	pipe, err := notify.New(ncfg)
	if err != nil {
		return nil, configfile.Invalid(ErrInvalidConfig, configfile.Under("alerting", err))
	}
	ev, err := NewEvaluator(EvaluatorConfig{
		Config: cfg, Store: deps.Store, Source: deps.Source, Publisher: pub,
		Silencer: sil, Notifier: pipe, Traces: deps.Traces, IsLeader: deps.IsLeader,
		Logger: deps.Logger, Now: deps.Now, MeterProvider: deps.MeterProvider,
	})
	if err != nil {
		return nil, err
	}
	return &Engine{
		Evaluator: ev,
		Ingester:  NewIngester(deps.Store, pub, deps.Now),
		Actions:   NewActions(deps.Store, pub, deps.Now),
		Publisher: pub,
		Silences:  sil,
		SilenceRetention: silence.Retention{Store: deps.Store, Keep: cfg.SilenceRetention.D(), Now: deps.Now,
			Logger: deps.Logger},
		Notifications: pipe,
		History:       hist,
		notifyCfg:     ncfg,
	}, nil
}

// CreateSilence validates and stores a silence (silence.Silences.Create).
func (e *Engine) CreateSilence(ctx context.Context, s store.Silence) (store.Silence, error) {
	out, err := e.Silences.Create(ctx, s)
	return out.Silence, err
}

// ExpireSilence ends a silence now (silence.Silences.Expire).
func (e *Engine) ExpireSilence(ctx context.Context, id string) error {
	return e.Silences.Expire(ctx, id)
}

// ValidateSilence checks a silence (silence.Validate).
func ValidateSilence(s store.Silence) error { return silence.Validate(s) }
