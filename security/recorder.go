package security

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/store"
)

// ErrRecorderClosed is returned by [Recorder.Close] when called twice and
// by [Recorder.Flush] after Close.
var ErrRecorderClosed = errors.New("security event recorder closed")

// Reasons of vigil.security.events.dropped.
const (
	DropKeys   = "window_full" // more distinct events in one window than MaxKeys
	DropQueue  = "queue_full"  // the store is down, there is no spool, and QueueSize rows wait
	DropSpool  = "spool_full"  // the store is down and the spool reached SpoolMaxBytes
	DropClosed = "closed"      // recorded after Close
	DropTorn   = "spool_torn"  // a spool line a crash left unreadable (at least one event each)
)

// RecorderConfig configures [NewRecorder].
type RecorderConfig struct {
	// Store persists events. Optional. Default value nil: events are only
	// logged and counted.
	Store EventStore
	// Logger logs events at WARN, at most one line per source and type per
	// LogEvery. Optional. Default value: discard.
	Logger *slog.Logger
	// MeterProvider counts vigil.security.events and
	// vigil.security.events.dropped. Optional. Default value the global
	// provider.
	MeterProvider metric.MeterProvider
	// Window is how long repeats of one event (same type, level, client,
	// IP, method, route and detail) are counted into one row before it is
	// written: the lag of the audit trail. Optional. Default value 5s.
	Window time.Duration
	// MaxKeys bounds the distinct events of one window; beyond it events
	// are dropped (and counted). Optional. Default value 10000.
	MaxKeys int
	// QueueSize bounds the rows held in memory while the store fails and
	// no spool takes them. Optional. Default value 10000.
	QueueSize int
	// SpoolDir, when set, is the directory (the data dir) of the spool
	// file that keeps the rows a failing store could not take, fsynced,
	// replayed when the store answers again, also after a restart.
	// Optional. Default value "": rows wait in memory (QueueSize).
	SpoolDir string
	// SpoolMaxBytes bounds the spool. Optional. Default value 64 MiB.
	SpoolMaxBytes int64
	// RetryInterval is how often a failing store is tried again. Optional.
	// Default value 2s.
	RetryInterval time.Duration
	// WriteTimeout bounds one store write. Optional. Default value 5s.
	WriteTimeout time.Duration
	// LogEvery is the minimum interval between two log lines of one source
	// and event type; suppressed lines are counted in the next one.
	// Optional. Default value 10s.
	LogEvery time.Duration
	// LogRate caps event log lines per second in all. Optional. Default
	// value 20.
	LogRate int
	// Now is the clock of event times and log throttling. Optional.
	// Default value time.Now.
	Now func() time.Time
}

func (c RecorderConfig) withDefaults() RecorderConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MeterProvider == nil {
		c.MeterProvider = otel.GetMeterProvider()
	}
	if c.Window <= 0 {
		c.Window = 5 * time.Second
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = 10000
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 10000
	}
	if c.SpoolMaxBytes <= 0 {
		c.SpoolMaxBytes = 64 << 20
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 2 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 10 * time.Second
	}
	if c.LogRate <= 0 {
		c.LogRate = 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// RecorderStats are the counts of a [Recorder] since it started.
type RecorderStats struct {
	Recorded  int64 // events given to Record
	Persisted int64 // events in rows the store accepted (a row replayed twice counts twice)
	Dropped   int64 // events that could not be persisted
	Spooled   int   // rows waiting in the spool
	Waiting   int   // rows waiting in memory
	Failing   bool  // the last store write failed
}

// aggKey identifies the events one row counts.
type aggKey struct {
	typ, level, client, ip, method, route, detail string
}

func keyOf(e store.SecurityEvent) aggKey {
	return aggKey{e.Type, e.Level, e.Client, e.IP, e.Method, e.Route, e.Detail}
}

// Recorder records security events. Record counts every event, logs it
// (throttled) and adds it to the current window, where repeats of one
// event become one row with a count and a first and last time; it never
// blocks. One goroutine writes each window's rows to the store; while the
// store fails they go to the spool (or wait in memory) and are replayed.
// An event that cannot be kept is counted in vigil.security.events.dropped
// and in a security_events_dropped row, so the audit trail states how much
// it misses. Close it to write what is left.
type Recorder struct {
	cfg      RecorderConfig
	counter  metric.Int64Counter
	dropped  metric.Int64Counter
	gauge    metric.Registration
	throttle *logThrottle
	spool    *spool // nil without SpoolDir

	mu       sync.Mutex
	window   map[aggKey]*store.SecurityEvent
	closed   bool
	lost     int64 // dropped since the last dropped row was queued
	lostFrom time.Time
	lostTo   time.Time
	lostWhy  map[string]bool
	stats    RecorderStats

	flush chan chan error
	stop  chan struct{}
	done  chan struct{}

	// owned by the writer goroutine
	waiting []store.SecurityEvent
	failing bool
}

// NewRecorder starts a recorder; with a SpoolDir it opens the spool, whose
// rows left by a previous process are written first.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	cfg = cfg.withDefaults()
	meter := cfg.MeterProvider.Meter("github.com/vigilhq/vigil/security")
	counter, err := meter.Int64Counter(instrumentation.MetricSecurityEvents,
		metric.WithDescription("Security events by OWASP Logging Vocabulary type."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("security: counter: %w", err)
	}
	dropped, err := meter.Int64Counter(names.MetricSecurityEventsDropped,
		metric.WithDescription("Security events that could not be persisted, by reason."),
		metric.WithUnit("{event}"))
	if err != nil {
		return nil, fmt.Errorf("security: counter: %w", err)
	}
	// Every reason is exported from the start (at 0), so that
	// increase(vigil_security_events_dropped_total[5m]) > 0 can alert.
	for _, why := range []string{DropKeys, DropQueue, DropSpool, DropClosed, DropTorn} {
		dropped.Add(context.Background(), 0, metric.WithAttributes(attribute.String("reason", why)))
	}
	r := &Recorder{
		cfg: cfg, counter: counter, dropped: dropped,
		throttle: newLogThrottle(cfg.LogEvery, cfg.LogRate, 10000),
		window:   map[aggKey]*store.SecurityEvent{},
		lostWhy:  map[string]bool{},
		flush:    make(chan chan error),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	if cfg.Store != nil && cfg.SpoolDir != "" {
		if r.spool, err = openSpool(cfg.SpoolDir, cfg.SpoolMaxBytes); err != nil {
			return nil, err
		}
		r.failing = r.spool.size > 0 // replay at once
	}
	spooled, err := meter.Int64ObservableGauge(names.MetricSecurityEventsSpooled,
		metric.WithDescription("Security event rows waiting in the spool for the store."),
		metric.WithUnit("{row}"))
	if err != nil {
		return nil, fmt.Errorf("security: gauge: %w", err)
	}
	if r.gauge, err = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(spooled, int64(r.Stats().Spooled))
		return nil
	}, spooled); err != nil {
		return nil, fmt.Errorf("security: gauge: %w", err)
	}
	go r.run()
	return r, nil
}

// Record counts, logs and aggregates e. It never blocks. Time defaults to
// now and Level to WARN.
func (r *Recorder) Record(ctx context.Context, e store.SecurityEvent) {
	now := r.cfg.Now()
	if e.Time.IsZero() {
		e.Time = now
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
	r.log(ctx, e, now)
	if r.cfg.Store == nil {
		return
	}
	r.mu.Lock()
	r.stats.Recorded++
	k := keyOf(e)
	switch a := r.window[k]; {
	case r.closed:
		r.lose(ctx, 1, e.Time, DropClosed)
	case a != nil:
		a.Count++
		if e.Time.After(a.LastAt) {
			a.LastAt = e.Time
		}
	case len(r.window) >= r.cfg.MaxKeys:
		r.lose(ctx, 1, e.Time, DropKeys)
	default:
		e.Count, e.LastAt, e.Key = 1, e.Time, ""
		r.window[k] = &e
	}
	r.mu.Unlock()
}

// log writes e at WARN unless the throttle suppresses it.
func (r *Recorder) log(ctx context.Context, e store.SecurityEvent, now time.Time) {
	ok, suppressed, other := r.throttle.allow(e.Type+"\x00"+e.IP+"\x00"+e.Client, now)
	if !ok {
		return
	}
	attrs := []any{"event.type", e.Type, "level", e.Level, "client", e.Client, "ip", e.IP,
		"method", e.Method, "route", e.Route, "trace_id", e.TraceID, "detail", e.Detail}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	if other > 0 {
		attrs = append(attrs, "suppressed_other", other)
	}
	r.cfg.Logger.WarnContext(ctx, "security event", attrs...)
}

// lose counts n events that cannot be persisted; r.mu is held.
func (r *Recorder) lose(ctx context.Context, n int64, at time.Time, why string) {
	if n <= 0 {
		return
	}
	r.dropped.Add(ctx, n, metric.WithAttributes(attribute.String("reason", why)))
	r.stats.Dropped += n
	r.owe(n, at, at, why)
}

// owe adds n lost events, from..to, to the next dropped row; r.mu is held.
func (r *Recorder) owe(n int64, from, to time.Time, why string) {
	if r.lost == 0 || from.Before(r.lostFrom) {
		r.lostFrom = from
	}
	if r.lost == 0 || to.After(r.lostTo) {
		r.lostTo = to
	}
	r.lost += n
	r.lostWhy[why] = true
}

// Stats returns the recorder's counts.
func (r *Recorder) Stats() RecorderStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Flush closes the current window and waits until its rows, and every row
// waiting before them, are in the store; it returns the store's error when
// they could only be spooled (or kept in memory).
func (r *Recorder) Flush(ctx context.Context) error {
	res := make(chan error, 1)
	select {
	case r.flush <- res:
	case <-r.done:
		return ErrRecorderClosed
	case <-ctx.Done():
		return fmt.Errorf("security: flush: %w", context.Cause(ctx))
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return fmt.Errorf("security: flush: %w", context.Cause(ctx))
	}
}

// Close stops accepting events and waits, until ctx ends, for the last
// rows to be written (or spooled).
func (r *Recorder) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrRecorderClosed
	}
	r.closed = true
	r.mu.Unlock()
	close(r.stop)
	select {
	case <-r.done:
	case <-ctx.Done():
		return fmt.Errorf("security: close recorder: %w", context.Cause(ctx))
	}
	var errs []error
	if err := r.gauge.Unregister(); err != nil {
		errs = append(errs, fmt.Errorf("security: close recorder: %w", err))
	}
	if r.spool != nil {
		if err := r.spool.close(); err != nil {
			errs = append(errs, fmt.Errorf("security: close recorder: %w", err))
		}
	}
	return errors.Join(errs...)
}
