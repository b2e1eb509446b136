package exporter

import (
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/vigilhq/vigil/internal/option"
)

type config struct {
	meterProvider metric.MeterProvider
	logger        *slog.Logger
	queueSize     int
	slowThreshold time.Duration
	recentSpans   int
}

func newConfig(opts []Option) config {
	c := config{
		meterProvider: noop.NewMeterProvider(),
		logger:        slog.New(slog.DiscardHandler),
		queueSize:     8,
		slowThreshold: time.Second,
		recentSpans:   1000,
	}
	for _, o := range opts {
		c = o.apply(c)
	}
	return c
}

// Option configures an exporter.
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithMeterProvider sets the MeterProvider on which the exporter records its
// own drop counter (vigil.exporter.dropped). Default: a no-op provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(option.When(mp != nil, func(c *config) { c.meterProvider = mp }))
}

// WithLogger sets the logger for errors of the background delivery loop.
// Default: discard.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(option.When(l != nil, func(c *config) { c.logger = l }))
}

// WithQueueSize sets how many batches may wait for the sink before new
// batches are dropped. Default: 8.
func WithQueueSize(n int) Option {
	return optionFunc(option.When(n > 0, func(c *config) { c.queueSize = n }))
}

// WithSlowThreshold sets the duration from which a server span is forwarded
// as slow (Spans only). Default: 1s; the application maps VIGIL_SLOW_THRESHOLD
// onto it.
func WithSlowThreshold(d time.Duration) Option {
	return optionFunc(option.When(d > 0, func(c *config) { c.slowThreshold = d }))
}

// WithRecentSpans sets how many recent spans of all kinds Spans keeps for
// [Spans.Recent]; 0 disables the ring. Default: 1000.
func WithRecentSpans(n int) Option {
	return optionFunc(option.When(n >= 0, func(c *config) { c.recentSpans = n }))
}
