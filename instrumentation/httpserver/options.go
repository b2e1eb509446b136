package httpserver

import (
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// DefaultSlowThreshold is the default of [WithSlowThreshold].
const DefaultSlowThreshold = time.Second

// HeaderRequestID is the default header of the request ID ([WithRequestIDHeader]).
const HeaderRequestID = "X-Request-Id"

// HeaderTraceID is the response header carrying the hex trace ID of the
// request's server span.
const HeaderTraceID = "X-Trace-Id"

// config is the resolved configuration of [New]. It is sealed: users
// change it only through [Option] values.
type config struct {
	meterProvider   metric.MeterProvider
	tracerProvider  trace.TracerProvider
	propagator      propagation.TextMapPropagator
	requestIDHeader string
	genID           func() string
	slow            time.Duration
}

// Option configures [New].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithMeterProvider sets the MeterProvider recording the HTTP server
// metrics.
//
// Default otel.GetMeterProvider(), read when the instrumentation is built.
// No environment variable.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c config) config {
		c.meterProvider = mp
		return c
	})
}

// WithTracerProvider sets the TracerProvider starting the server spans.
//
// Default otel.GetTracerProvider(), read when the instrumentation is built.
// No environment variable.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c config) config {
		c.tracerProvider = tp
		return c
	})
}

// WithPropagator sets the propagator extracting the incoming trace context
// (W3C traceparent).
//
// Default otel.GetTextMapPropagator(), read when the instrumentation is
// built (telemetry.Setup installs W3C TraceContext and Baggage). No
// environment variable.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return optionFunc(func(c config) config {
		c.propagator = p
		return c
	})
}

// WithRequestIDHeader sets the header of the request ID, reused from the
// request when it is at most 64 characters of [A-Za-z0-9-_] and generated
// otherwise, and set on the response before the handler runs.
//
// Default "X-Request-Id" ([HeaderRequestID]). No environment variable.
func WithRequestIDHeader(name string) Option {
	return optionFunc(func(c config) config {
		c.requestIDHeader = name
		return c
	})
}

// WithRequestIDGenerator sets the generator of request IDs.
//
// Default: a process-unique random prefix and a counter. No environment
// variable.
func WithRequestIDGenerator(gen func() string) Option {
	return optionFunc(func(c config) config {
		c.genID = gen
		return c
	})
}

// WithSlowThreshold sets the duration from which a request counts as slow.
// A request whose server span was not sampled and that ends in a 5xx,
// panics or takes at least this long gets a late server span: same trace
// ID (the X-Trace-Id the client got), the request's start time, its
// attributes and status, started with a context that [ForceSampling]
// (part of telemetry.DefaultSampler) always samples. Other samplers decide
// on it as on any span with an unsampled parent.
//
// Default 1s ([DefaultSlowThreshold]), the slow threshold of
// exporter.Spans; 0 keeps the default. Negative: slow requests get no late
// span (failing ones still do). No environment variable.
func WithSlowThreshold(d time.Duration) Option {
	return optionFunc(func(c config) config {
		c.slow = d
		return c
	})
}
