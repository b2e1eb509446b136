package reporting

import (
	"fmt"
	"time"

	"github.com/vigilhq/vigil/exporter"
)

// TraceRecord is a recent failing or slow request.
type TraceRecord struct {
	TraceID      string    `json:"trace_id"`
	SpanID       string    `json:"span_id"`
	Kind         string    `json:"kind"`
	Route        string    `json:"route"`
	Method       string    `json:"method"`
	Status       int       `json:"status"`
	DurationMs   float64   `json:"duration_ms"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	ErrorType    string    `json:"error_type,omitempty"`
	ErrorMessage string    `json:"error_message,omitempty"`
}

// TraceList is the body of GET /api/traces.
type TraceList struct {
	Kind   string        `json:"kind,omitempty"`
	Route  string        `json:"route,omitempty"`
	Since  time.Time     `json:"since"`
	Count  int           `json:"count"`
	Traces []TraceRecord `json:"traces"`
}

func traceRecord(r exporter.SpanRecord) TraceRecord {
	return TraceRecord{
		TraceID: r.TraceID, SpanID: r.SpanID, Kind: r.Kind, Route: r.Route, Method: r.Method, Status: r.Status,
		DurationMs: float64(r.Duration) / float64(time.Millisecond), Start: r.Start.UTC(), End: r.End.UTC(),
		ErrorType: r.ErrorType, ErrorMessage: r.ErrorMessage,
	}
}

// Traces lists the recent error and/or slow span records (kind "" for
// both) of route ("" for any) that ended in the window, newest first.
func (s *Service) Traces(kind, route string, window time.Duration, limit int) TraceList {
	since := s.now().Add(-window)
	recs := s.ser.RecentSpans(kind, route, since, limit)
	out := TraceList{Kind: kind, Route: route, Since: since.UTC(), Traces: make([]TraceRecord, 0, len(recs))}
	for _, r := range recs {
		out.Traces = append(out.Traces, traceRecord(r))
	}
	out.Count = len(out.Traces)
	return out
}

// ExportTraces renders the kept spans that ended in the window as an
// OTLP/JSON ExportTraceServiceRequest (POST it to an OTLP/HTTP receiver's
// /v1/traces), with the number of spans.
func (s *Service) ExportTraces(window time.Duration) ([]byte, int, error) {
	if s.spans == nil {
		return []byte(`{"resourceSpans":[]}`), 0, nil
	}
	spans := s.spans.Recent(s.now().Add(-window))
	b, err := exporter.OTLPJSON(spans)
	if err != nil {
		return nil, 0, fmt.Errorf("export traces: %w", err)
	}
	return b, len(spans), nil
}
