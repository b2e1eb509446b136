package exporter

import (
	"context"
	"time"
)

// Kind tells how a [Sample] is to be interpreted.
type Kind int

// Sample kinds.
const (
	// Counter samples carry the increase since the previous export (delta).
	Counter Kind = iota
	// Gauge samples carry the current value (gauges, up-down counters and
	// cumulative sums).
	Gauge
	// Histogram samples carry per-bucket count deltas since the previous
	// export.
	Histogram
)

// String returns the lowercase name of the kind.
func (k Kind) String() string {
	switch k {
	case Counter:
		return "counter"
	case Gauge:
		return "gauge"
	case Histogram:
		return "histogram"
	default:
		return "unknown"
	}
}

// Attr is one attribute of a sample, its value rendered as a string.
type Attr struct {
	Key, Value string
}

// Sample is one data point, owned by the receiver: nothing in it is shared
// with the SDK.
type Sample struct {
	Name  string
	Attrs []Attr // sorted by Key
	Kind  Kind
	Time  time.Time
	// Value is the delta of a Counter or the value of a Gauge.
	Value float64
	// Histogram fields: Counts has len(Bounds)+1 entries (the last is the
	// +Inf bucket), non-cumulative deltas.
	Bounds []float64
	Counts []uint64
	Sum    float64
	Count  uint64
	// Min and Max bound the observations: each one lies in [Min, Max].
	// They are the exact extremes when the reader reports them per
	// interval (delta temporality); a cumulative reader's extremes since
	// its start are a wider bound (see Poller). NaN when unknown.
	Min, Max float64
}

// Sink receives converted metric samples. It owns the slice it is given.
type Sink interface {
	Append(ctx context.Context, samples []Sample) error
}

// Span record kinds.
const (
	SpanKindError = "error"
	SpanKindSlow  = "slow"
)

// SpanRecord is a failing or slow server span, reduced to what the engine
// needs to point from an alert to a trace.
type SpanRecord struct {
	TraceID      string // 32 hex digits
	SpanID       string // 16 hex digits
	Name         string
	Route        string
	Method       string
	Status       int // HTTP response status code, 0 if unknown
	Duration     time.Duration
	Start, End   time.Time
	Kind         string // SpanKindError or SpanKindSlow
	ErrorType    string
	ErrorMessage string
}

// SpanSink receives span records. It owns the slice it is given.
type SpanSink interface {
	RecordSpans(ctx context.Context, records []SpanRecord)
}
