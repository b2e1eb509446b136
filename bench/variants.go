package bench

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/vigilhq/vigil/exporter"
	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// Route is the route every variant serves; Path is the path requested.
const (
	Route = "/api/users/:id"
	Path  = "/api/users/42"
)

// User is the small JSON body of the handler.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// getUser is the one handler of every variant.
func getUser(c echo.Context) error {
	return c.JSON(http.StatusOK, User{ID: c.Param("id"), Name: "Ada Lovelace", Email: "ada@example.com"})
}

// Variant is one way of serving [Route].
type Variant struct {
	Name string
	// New builds the handler and returns a function releasing what it
	// started (providers, exporters).
	New func() (http.Handler, func(), error)
	// Base names the uninstrumented variant of the same framework, against
	// which this one's ratios are taken: "bare" (echo v4) when empty.
	Base string
}

// BaseName returns the variant v's ratios are taken against.
func (v Variant) BaseName() string {
	if v.Base == "" {
		return "bare"
	}
	return v.Base
}

// Variants returns every variant, bare echo v4 first. Vigil's echo v5 and
// net/http adapters come with a bare variant of their framework each,
// serving the same handler and response.
func Variants() []Variant {
	return []Variant{
		{Name: "bare", New: newBare},
		{Name: "echoprometheus", New: newEchoPrometheus},
		{Name: "otelhttp", New: newOtelHTTP},
		{Name: "otelecho", New: newOtelEcho},
		{Name: "vigil", New: func() (http.Handler, func(), error) { return newVigil(nil) }},
		{Name: "vigil-sampled100", New: func() (http.Handler, func(), error) { return newVigil(sdktrace.AlwaysSample()) }},
		{Name: "vigil-unsampled", New: func() (http.Handler, func(), error) {
			return newVigil(sdktrace.ParentBased(sdktrace.NeverSample()))
		}},
		{Name: "vigil-sdk-instruments", New: newVigilSDKInstruments},
		{Name: "bare-echov5", New: newBareEchoV5, Base: "bare-echov5"},
		{Name: "vigil-echov5", New: func() (http.Handler, func(), error) { return newVigilEchoV5(nil) }, Base: "bare-echov5"},
		{Name: "bare-nethttp", New: newBareNetHTTP, Base: "bare-nethttp"},
		{Name: "vigil-nethttp", New: func() (http.Handler, func(), error) { return newVigilNetHTTP(nil) }, Base: "bare-nethttp"},
	}
}

func newEcho(mw ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Use(mw...)
	e.GET(Route, getUser)
	return e
}

func newBare() (http.Handler, func(), error) { return newEcho(), func() {}, nil }

func newEchoPrometheus() (http.Handler, func(), error) {
	mw, err := echoprometheus.MiddlewareConfig{Registerer: prometheus.NewRegistry()}.ToMiddleware()
	if err != nil {
		return nil, nil, err
	}
	return newEcho(mw), func() {}, nil
}

// discardSpans is the span exporter of the OTel peers: what the batch
// processor hands it is dropped, so only the SDK's own work is measured.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }

// otelProviders are the providers of the OTel peers: Prometheus exporter on
// its own registry, and a TracerProvider with the default sampler and a
// batch span processor.
func otelProviders() (*sdkmetric.MeterProvider, *sdktrace.TracerProvider, func(), error) {
	promExp, err := otelprom.New(otelprom.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		return nil, nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(promExp))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discardSpans{}))
	return mp, tp, func() { shutdown(mp.Shutdown, tp.Shutdown) }, nil
}

func shutdown(fs ...func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, f := range fs {
		_ = f(ctx)
	}
}

var w3c = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func newOtelHTTP() (http.Handler, func(), error) {
	mp, tp, stop, err := otelProviders()
	if err != nil {
		return nil, nil, err
	}
	h := otelhttp.NewHandler(newEcho(), "server",
		otelhttp.WithMeterProvider(mp), otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(w3c))
	return h, stop, nil
}

func newOtelEcho() (http.Handler, func(), error) {
	_, tp, stop, err := otelProviders()
	if err != nil {
		return nil, nil, err
	}
	mw := otelecho.Middleware("bench", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(w3c))
	return newEcho(mw), stop, nil
}

// newVigil builds the providers as internal/app does: the Prometheus
// exporter, whose aggregation exporter.Poller reads every 10 s for a
// series store, and exporter.Spans behind a batch span processor feeding
// the same store. A nil sampler keeps Vigil's default
// (instrumentation.DefaultSampler).
func newVigil(sampler sdktrace.Sampler) (http.Handler, func(), error) {
	return newVigilWith(sampler, nil)
}

func newVigilWith(sampler sdktrace.Sampler, adjust func(*instrumentation.MiddlewareConfig)) (http.Handler, func(), error) {
	tel, stop, err := vigilTelemetry(sampler)
	if err != nil {
		return nil, nil, err
	}
	cfg := tel.MiddlewareConfig()
	cfg.HandleError = true
	if adjust != nil {
		adjust(&cfg)
	}
	return newEcho(instrumentation.MiddlewareWithConfig(cfg)), stop, nil
}

// vigilTelemetry builds the providers as internal/app does: the Prometheus
// exporter, whose aggregation exporter.Poller reads every 10 s for a series
// store, and exporter.Spans behind a batch span processor feeding the same
// store. A nil sampler keeps Vigil's default.
func vigilTelemetry(sampler sdktrace.Sampler) (*instrumentation.Telemetry, func(), error) {
	ser, err := series.New(series.Config{})
	if err != nil {
		return nil, nil, err
	}
	spansExp := exporter.NewSpans(ser)
	opts := []instrumentation.Option{
		instrumentation.WithoutGlobalProviders(),
		instrumentation.WithoutHostMetrics(),
		instrumentation.WithoutRuntimeMetrics(),
		instrumentation.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(spansExp,
			sdktrace.WithBatchTimeout(time.Second), sdktrace.WithMaxQueueSize(8192))),
	}
	if sampler != nil {
		opts = append(opts, instrumentation.WithSampler(sampler))
	}
	tel, err := instrumentation.Setup(context.Background(), opts...)
	if err != nil {
		return nil, nil, errors.Join(err, spansExp.Shutdown(context.Background()))
	}
	poller := exporter.NewPoller(tel.CollectMetrics, ser, 10*time.Second)
	return tel, func() { shutdown(poller.Shutdown, tel.Shutdown) }, nil
}

// newVigilSDKInstruments is Vigil with the default sampler, its middleware
// recording into a MeterProvider of the user's (one Prometheus reader), as
// an app that brings its own provider gets: the SDK's synchronous
// instruments instead of the producer Setup wires up.
func newVigilSDKInstruments() (http.Handler, func(), error) {
	promExp, err := otelprom.New(otelprom.WithRegisterer(prometheus.NewRegistry()))
	if err != nil {
		return nil, nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(promExp))
	h, stop, err := newVigilWith(nil, func(cfg *instrumentation.MiddlewareConfig) { cfg.MeterProvider = mp })
	if err != nil {
		shutdown(mp.Shutdown)
		return nil, nil, err
	}
	return h, func() { stop(); shutdown(mp.Shutdown) }, nil
}
