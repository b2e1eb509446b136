package security

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/store"
)

// Security event types (OWASP Logging Vocabulary).
const (
	EventAuthnLoginFail      = "authn_login_fail"
	EventAuthnLoginFailMax   = "authn_login_fail_max"
	EventAuthzFail           = "authz_fail"
	EventAuthzAdmin          = "authz_admin"
	EventRateLimitExceeded   = "excess_rate_limit_exceeded"
	EventInputValidationFail = "input_validation_fail"
	EventMaliciousExcess404  = "malicious_excess_404"
)

// EventTypes lists the event types Vigil records.
var EventTypes = []string{
	EventAuthnLoginFail, EventAuthnLoginFailMax, EventAuthzFail, EventAuthzAdmin,
	EventRateLimitExceeded, EventInputValidationFail, EventMaliciousExcess404,
}

// ErrRecorderClosed is returned by [Recorder.Close] when called twice.
var ErrRecorderClosed = errors.New("security event recorder closed")

// EventStore is the part of the store the security package uses.
type EventStore interface {
	AppendSecurityEvent(ctx context.Context, e store.SecurityEvent) (store.SecurityEvent, error)
	ListSecurityEvents(ctx context.Context, f store.SecurityFilter) ([]store.SecurityEvent, error)
	CountSecurityEvents(ctx context.Context, typ string, since time.Time) (int64, error)
}

// EventFrom builds an event of type typ from the request of c: client
// (principal name), IP, method, route (the registered path) and trace ID.
func EventFrom(c echo.Context, typ, detail string) store.SecurityEvent {
	e := store.SecurityEvent{
		Type:   typ,
		Level:  "WARN",
		IP:     c.RealIP(),
		Method: c.Request().Method,
		Route:  c.Path(),
		Detail: detail,
	}
	if e.Route == "" {
		e.Route = "(unmatched)"
	}
	if p, ok := PrincipalFrom(c); ok {
		e.Client = p.Name
	}
	if sc := trace.SpanContextFromContext(c.Request().Context()); sc.HasTraceID() {
		e.TraceID = sc.TraceID().String()
	}
	return e
}

// RecorderConfig configures [NewRecorder].
type RecorderConfig struct {
	// Store persists events. Optional. Default value nil: events are only
	// logged and counted.
	Store EventStore
	// Logger logs every event at WARN. Optional. Default value: discard.
	Logger *slog.Logger
	// MeterProvider counts vigil.security.events. Optional. Default value
	// the global provider.
	MeterProvider metric.MeterProvider
	// QueueSize bounds the events waiting for the store; beyond it events
	// are dropped from persistence (still logged and counted). Optional.
	// Default value 1024.
	QueueSize int
	// WriteTimeout bounds one store write. Optional. Default value 5s.
	WriteTimeout time.Duration
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// Recorder records security events: counted and logged synchronously,
// persisted by one background goroutine through a bounded queue, so a slow
// store never blocks a request. Close it to drain the queue.
type Recorder struct {
	cfg     RecorderConfig
	counter metric.Int64Counter
	queue   chan store.SecurityEvent
	done    chan struct{}

	mu      sync.Mutex
	closed  bool
	dropped int64
	failed  int64
}

// NewRecorder starts a recorder.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MeterProvider == nil {
		cfg.MeterProvider = otel.GetMeterProvider()
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	counter, err := cfg.MeterProvider.Meter("github.com/vigilhq/vigil/security").Int64Counter(
		instrumentation.MetricSecurityEvents,
		metric.WithDescription("Security events by OWASP Logging Vocabulary type."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("security: counter: %w", err)
	}
	r := &Recorder{
		cfg:     cfg,
		counter: counter,
		queue:   make(chan store.SecurityEvent, cfg.QueueSize),
		done:    make(chan struct{}),
	}
	go r.run()
	return r, nil
}

// Record counts and logs e and queues it for the store. It never blocks:
// when the queue is full the event is not persisted (counted in
// [Recorder.Dropped]). Time defaults to now and Level to WARN.
func (r *Recorder) Record(ctx context.Context, e store.SecurityEvent) {
	if e.Time.IsZero() {
		e.Time = r.cfg.Now()
	}
	if e.Level == "" {
		e.Level = "WARN"
	}
	if e.TraceID == "" {
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			e.TraceID = sc.TraceID().String()
		}
	}
	r.counter.Add(ctx, 1, metric.WithAttributes(attribute.String("event.type", e.Type)))
	r.cfg.Logger.WarnContext(ctx, "security event",
		"event.type", e.Type, "level", e.Level, "client", e.Client, "ip", e.IP,
		"method", e.Method, "route", e.Route, "trace_id", e.TraceID, "detail", e.Detail)
	if r.cfg.Store == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.dropped++
		return
	}
	select {
	case r.queue <- e:
	default:
		r.dropped++
	}
}

func (r *Recorder) run() {
	defer close(r.done)
	for e := range r.queue {
		ctx, cancel := context.WithTimeoutCause(context.Background(), r.cfg.WriteTimeout,
			errors.New("security event write timed out"))
		_, err := r.cfg.Store.AppendSecurityEvent(ctx, e)
		cancel()
		if err != nil {
			r.mu.Lock()
			r.failed++
			r.mu.Unlock()
			r.cfg.Logger.Error("persist security event", "event.type", e.Type, "error", err.Error())
		}
	}
}

// Dropped returns how many events were not persisted because the queue was
// full or the recorder closed, and how many store writes failed.
func (r *Recorder) Dropped() (dropped, failed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped, r.failed
}

// Close stops accepting events and waits, until ctx ends, for the queued
// ones to be written.
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrRecorderClosed
	}
	r.closed = true
	close(r.queue)
	r.mu.Unlock()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("security: close recorder: %w", context.Cause(ctx))
	}
}

// Counts returns the number of events of each of [EventTypes] since since.
func Counts(ctx context.Context, st EventStore, since time.Time) (map[string]int64, error) {
	out := make(map[string]int64, len(EventTypes))
	var errs []error
	for _, t := range EventTypes {
		n, err := st.CountSecurityEvents(ctx, t, since)
		if err != nil {
			errs = append(errs, fmt.Errorf("count %s: %w", t, err))
			continue
		}
		out[t] = n
	}
	return out, errors.Join(errs...)
}
