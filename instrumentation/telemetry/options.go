package telemetry

import (
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Default values of the options of [Setup].
const (
	DefaultServiceName      = "vigil"
	DefaultCardinalityLimit = 2000
	DefaultDiskPath         = "/"
)

// config is the resolved configuration of [Setup]. It is sealed: users
// change it only through [Option] values.
type config struct {
	serviceName      string
	serviceVersion   string
	attributes       []attribute.KeyValue
	readers          []sdkmetric.Reader
	cardinalityLimit int
	sampler          sdktrace.Sampler
	processors       []sdktrace.SpanProcessor
	diskPath         string
	runtimeMetrics   bool
	hostMetrics      bool
	globals          bool
	logger           *slog.Logger
	loggerSet        bool
}

func newConfig(opts []Option) config {
	c := config{
		serviceName:      DefaultServiceName,
		cardinalityLimit: DefaultCardinalityLimit,
		diskPath:         DefaultDiskPath,
		runtimeMetrics:   true,
		hostMetrics:      true,
		globals:          true,
		logger:           slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// Option configures [Setup].
type Option interface {
	apply(config) config
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

// WithServiceName sets the service.name resource attribute.
//
// Default "vigil". The OTEL_SERVICE_NAME environment variable, or a
// service.name entry in OTEL_RESOURCE_ATTRIBUTES, overrides it.
func WithServiceName(name string) Option {
	return optionFunc(func(c config) config {
		if name != "" {
			c.serviceName = name
		}
		return c
	})
}

// WithServiceVersion sets the service.version resource attribute.
//
// Default: not set. A service.version entry in OTEL_RESOURCE_ATTRIBUTES
// overrides it.
func WithServiceVersion(version string) Option {
	return optionFunc(func(c config) config {
		c.serviceVersion = version
		return c
	})
}

// WithResourceAttributes adds attributes to the Resource shared by every
// signal.
//
// Default: none. Entries of OTEL_RESOURCE_ATTRIBUTES with the same key
// override them.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return optionFunc(func(c config) config {
		c.attributes = append(c.attributes[:len(c.attributes):len(c.attributes)], attrs...)
		return c
	})
}

// WithMetricReader registers an additional metric reader on the
// MeterProvider, next to the Prometheus exporter. It may be given several
// times. Each reader makes the SDK aggregate every measurement once more,
// and with any the middleware records its histograms through the SDK's
// instruments instead of its own (see Cost in the package documentation);
// to consume the same data, prefer [Telemetry.CollectMetrics].
//
// Default: none; the readers OTEL_METRICS_EXPORTER selects (see Exporters
// in the package documentation) are there either way.
func WithMetricReader(r sdkmetric.Reader) Option {
	return optionFunc(func(c config) config {
		if r != nil {
			c.readers = append(c.readers[:len(c.readers):len(c.readers)], r)
		}
		return c
	})
}

// WithCardinalityLimit sets the maximum number of attribute sets kept per
// instrument; measurements beyond it aggregate into an overflow series
// (otel.metric.overflow="true").
//
// Default 2000. No environment variable.
func WithCardinalityLimit(n int) Option {
	return optionFunc(func(c config) config {
		if n > 0 {
			c.cardinalityLimit = n
		}
		return c
	})
}

// WithSampler sets the trace sampler.
//
// Default: the SDK's choice from OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG, or [DefaultSampler] when OTEL_TRACES_SAMPLER is
// unset. Giving this option makes those variables ignored (an invalid
// value still fails Setup); wrap s in
// [httpserver.ForceSampling] to keep failing and slow requests sampled.
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c config) config {
		c.sampler = s
		return c
	})
}

// WithSpanProcessor registers an additional span processor, for example a
// BatchSpanProcessor wrapping Vigil's span exporter or a
// tracetest.SpanRecorder in tests. It may be given several times.
//
// Default: none; the exporters OTEL_TRACES_EXPORTER selects (see Exporters
// in the package documentation) are there either way.
func WithSpanProcessor(p sdktrace.SpanProcessor) Option {
	return optionFunc(func(c config) config {
		if p != nil {
			c.processors = append(c.processors[:len(c.processors):len(c.processors)], p)
		}
		return c
	})
}

// WithDiskPath sets the filesystem path whose usage is reported as
// system.filesystem.usage and system.filesystem.utilization.
//
// Default "/". No environment variable.
func WithDiskPath(path string) Option {
	return optionFunc(func(c config) config {
		if path != "" {
			c.diskPath = path
		}
		return c
	})
}

// WithoutRuntimeMetrics disables the Go runtime metrics (go.goroutine.count,
// go.memory.used, ...).
//
// Default: enabled. No environment variable.
func WithoutRuntimeMetrics() Option {
	return optionFunc(func(c config) config {
		c.runtimeMetrics = false
		return c
	})
}

// WithoutHostMetrics disables host and process metrics (CPU, memory, disk,
// network).
//
// Default: enabled. No environment variable.
func WithoutHostMetrics() Option {
	return optionFunc(func(c config) config {
		c.hostMetrics = false
		return c
	})
}

// WithoutGlobalProviders keeps Setup from installing its MeterProvider,
// TracerProvider and LoggerProvider as the otel global providers, and its
// logger as the one [Logger] returns. The global propagator (W3C
// TraceContext and Baggage) is installed either way, and so, once per
// process, is the forwarder of the SDK's internal logger and error handler
// through which Setup learns of OTEL_* values the SDK rejects.
//
// Default: the providers are installed globally. No environment variable.
func WithoutGlobalProviders() Option {
	return optionFunc(func(c config) config {
		c.globals = false
		return c
	})
}

// WithLogger sets the logger whose handler [Telemetry.Logger] writes to
// besides OTLP (its levels apply to both), and through which Setup reports
// its decisions, telemetry it drops and, while its providers are the
// global ones, the OpenTelemetry SDK's own errors.
//
// Default: a logger that discards everything, so Telemetry.Logger writes
// only to the OTEL_LOGS_EXPORTER exporters, at every level. No environment
// variable.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c config) config {
		if l != nil {
			c.logger = l
			c.loggerSet = true
		}
		return c
	})
}
