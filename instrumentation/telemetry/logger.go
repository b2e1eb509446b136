package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/internal/redact"
)

// Attribute keys the text and JSON output of [Telemetry.Logger] gets from
// the record's span context. OTLP records carry the IDs in their own
// fields.
const (
	LogKeyTraceID = "trace_id"
	LogKeySpanID  = "span_id"
)

// installed is the Telemetry whose logger [Logger] returns: the latest
// Setup that installed global providers, until its Shutdown.
var installed atomic.Pointer[Telemetry]

// Logger returns the logger of the Telemetry whose providers are the
// global ones ([Telemetry.Logger]; slog.Default with trace IDs added when
// no Setup installed any), bound to ctx: every record carries the trace_id
// and span_id of ctx's span, on stderr and over OTLP, even when logged
// without a context (logger.Info rather than logger.InfoContext). A
// record logged with a context that holds a span of its own keeps that
// one. In an HTTP handler:
//
//	telemetry.Logger(r.Context()).Info("order placed", "order", id)
func Logger(ctx context.Context) *slog.Logger {
	var h slog.Handler
	if t := installed.Load(); t != nil {
		h = t.logger.Handler()
	} else {
		h = traceHandler{next: slog.Default().Handler()}
	}
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return slog.New(h)
	}
	return slog.New(boundHandler{sc: sc, next: h})
}

// Logger returns the logger of this Telemetry: each record goes, with the
// redaction rules applied, to the handler of [WithLogger]'s logger (with
// the trace_id and span_id of the record's context added) and, when
// OTEL_LOGS_EXPORTER selects an exporter, through the OpenTelemetry log
// bridge (go.opentelemetry.io/contrib/bridges/otelslog) to it, at the
// levels that handler is enabled for (every level when WithLogger was not
// given).
func (t *Telemetry) Logger() *slog.Logger { return t.logger }

// LoggerProvider returns the OpenTelemetry LoggerProvider behind
// [Telemetry.Logger]'s bridge, or a provider that discards everything when
// no logs exporter is selected.
func (t *Telemetry) LoggerProvider() log.LoggerProvider {
	if t.lp == nil {
		return noopLoggerProvider
	}
	return t.lp
}

// newLogHandler is the handler of Telemetry.Logger: redaction, then next
// with trace IDs and the bridge to lp (none when lp is nil).
func newLogHandler(next slog.Handler, nextIsDiscard bool, lp log.LoggerProvider) slog.Handler {
	var h slog.Handler = traceHandler{next: next}
	if lp != nil {
		bridge := otelslog.NewHandler(ScopeName, otelslog.WithLoggerProvider(lp))
		h = teeHandler{a: h, b: bridge, gate: next, ungated: nextIsDiscard}
	}
	return redact.Handler(h)
}

// traceHandler adds the trace_id and span_id of the record's context to
// what next writes (text or JSON on stderr). A record that names a
// trace_id itself keeps it.
type traceHandler struct{ next slog.Handler }

func (h traceHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.next.Handle(ctx, r)
	}
	hasTraceID := false
	r.Attrs(func(a slog.Attr) bool {
		hasTraceID = a.Key == LogKeyTraceID
		return !hasTraceID
	})
	r = r.Clone()
	if !hasTraceID {
		r.AddAttrs(slog.String(LogKeyTraceID, sc.TraceID().String()))
	}
	r.AddAttrs(slog.String(LogKeySpanID, sc.SpanID().String()))
	return h.next.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return traceHandler{next: h.next.WithAttrs(attrs)}
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	return traceHandler{next: h.next.WithGroup(name)}
}

// teeHandler sends each record to a and to b; b only at the levels gate
// is enabled for, unless ungated.
type teeHandler struct {
	a, b    slog.Handler
	gate    slog.Handler
	ungated bool
}

func (h teeHandler) bEnabled(ctx context.Context, l slog.Level) bool {
	return (h.ungated || h.gate.Enabled(ctx, l)) && h.b.Enabled(ctx, l)
}

func (h teeHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.a.Enabled(ctx, l) || h.bEnabled(ctx, l)
}

func (h teeHandler) Handle(ctx context.Context, r slog.Record) error {
	var errA, errB error
	if h.a.Enabled(ctx, r.Level) {
		errA = h.a.Handle(ctx, r.Clone())
	}
	if h.bEnabled(ctx, r.Level) {
		errB = h.b.Handle(ctx, r)
	}
	return errors.Join(errA, errB)
}

func (h teeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return teeHandler{a: h.a.WithAttrs(attrs), b: h.b.WithAttrs(attrs), gate: h.gate, ungated: h.ungated}
}

func (h teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{a: h.a.WithGroup(name), b: h.b.WithGroup(name), gate: h.gate, ungated: h.ungated}
}

// boundHandler gives a record logged without a span in its context the
// span context of the request the logger was made for.
type boundHandler struct {
	sc   trace.SpanContext
	next slog.Handler
}

func (h boundHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h boundHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, h.sc)
	}
	return h.next.Handle(ctx, r)
}

func (h boundHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return boundHandler{sc: h.sc, next: h.next.WithAttrs(attrs)}
}

func (h boundHandler) WithGroup(name string) slog.Handler {
	return boundHandler{sc: h.sc, next: h.next.WithGroup(name)}
}
