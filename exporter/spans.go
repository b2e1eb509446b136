package exporter

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/instrumentation/names"
	"github.com/vigilhq/vigil/internal/httpapi"
)

var _ sdktrace.SpanExporter = (*Spans)(nil)

// Span attribute and event names read by Spans (OTel semantic conventions).
const (
	attrExceptionType    = "exception.type"
	attrExceptionMessage = "exception.message"
	eventException       = "exception"
)

// Spans is an sdk/trace SpanExporter that forwards error and slow server
// spans to a [SpanSink] and keeps a bounded ring of recent spans.
type Spans struct {
	h    *handoff[SpanRecord]
	slow time.Duration

	mu     sync.Mutex
	ring   []sdktrace.ReadOnlySpan
	next   int
	filled bool
}

// NewSpans returns a Spans exporter delivering to sink. It starts one
// goroutine, stopped by Shutdown.
func NewSpans(sink SpanSink, opts ...Option) *Spans {
	c := newConfig(opts)
	s := &Spans{slow: c.slowThreshold, ring: make([]sdktrace.ReadOnlySpan, c.recentSpans)}
	deliver := func(ctx context.Context, recs []SpanRecord) error {
		sink.RecordSpans(ctx, recs)
		return nil
	}
	s.h = newHandoff(c.queueSize, "spans", c.logger, deliver, newDropCounter(c.meterProvider, "spans"))
	return s
}

// ExportSpans keeps every span in the recent ring and queues the
// error and slow server spans for the sink without blocking.
func (s *Spans) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if s.h.closed.Load() {
		return ErrExporterShutdown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var recs []SpanRecord
	for _, ro := range spans {
		if ro == nil {
			continue
		}
		s.keep(ro)
		if r, ok := s.classify(ro); ok {
			recs = append(recs, r)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return s.h.enqueue(recs)
}

// ForceFlush waits until every queued record reached the sink, or ctx ends.
func (s *Spans) ForceFlush(ctx context.Context) error { return s.h.flush(ctx) }

// Shutdown delivers queued records and stops the goroutine.
func (s *Spans) Shutdown(ctx context.Context) error { return s.h.shutdown(ctx) }

func (s *Spans) keep(ro sdktrace.ReadOnlySpan) {
	if len(s.ring) == 0 {
		return
	}
	s.mu.Lock()
	s.ring[s.next] = ro
	s.next++
	if s.next == len(s.ring) {
		s.next, s.filled = 0, true
	}
	s.mu.Unlock()
}

// Recent returns the kept spans that ended at or after since, oldest first.
// They are the SDK's snapshots, kept as exported: immutable once ended (the
// SDK marks their attribute slice shared and copies it before any change),
// so they are retained without a copy; callers must not modify the slices
// their methods return.
func (s *Spans) Recent(since time.Time) []sdktrace.ReadOnlySpan {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sdktrace.ReadOnlySpan
	visit := func(ro sdktrace.ReadOnlySpan) {
		if ro != nil && !ro.EndTime().Before(since) {
			out = append(out, ro)
		}
	}
	if s.filled {
		for _, st := range s.ring[s.next:] {
			visit(st)
		}
	}
	for _, st := range s.ring[:s.next] {
		visit(st)
	}
	return out
}

func (s *Spans) classify(ro sdktrace.ReadOnlySpan) (SpanRecord, bool) {
	if ro.SpanKind() != trace.SpanKindServer {
		return SpanRecord{}, false
	}
	// Most spans are neither failing nor slow: decide before building the
	// record (its hex IDs are two allocations per span).
	attrs := ro.Attributes()
	status := 0
	for _, kv := range attrs {
		if string(kv.Key) == names.AttrStatusCode {
			status = int(kv.Value.AsInt64())
		}
	}
	st := ro.Status()
	duration := ro.EndTime().Sub(ro.StartTime())
	failed := st.Code == codes.Error || httpapi.IsServerError(status)
	if !failed && duration < s.slow {
		return SpanRecord{}, false
	}
	r := SpanRecord{
		TraceID:  ro.SpanContext().TraceID().String(),
		SpanID:   ro.SpanContext().SpanID().String(),
		Name:     ro.Name(),
		Start:    ro.StartTime(),
		End:      ro.EndTime(),
		Duration: duration,
		Status:   status,
	}
	for _, kv := range attrs {
		switch string(kv.Key) {
		case names.AttrRoute:
			r.Route = kv.Value.String()
		case names.AttrMethod:
			r.Method = kv.Value.String()
		case names.AttrErrorType:
			r.ErrorType = kv.Value.String()
		}
	}
	for _, ev := range ro.Events() {
		if ev.Name != eventException {
			continue
		}
		for _, kv := range ev.Attributes {
			switch string(kv.Key) {
			case attrExceptionType:
				r.ErrorType = kv.Value.String()
			case attrExceptionMessage:
				r.ErrorMessage = kv.Value.String()
			}
		}
	}
	if failed {
		r.Kind = SpanKindError
		if r.ErrorMessage == "" {
			r.ErrorMessage = st.Description
		}
	} else {
		r.Kind = SpanKindSlow
	}
	return r, true
}
