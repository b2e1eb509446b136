package exporter

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// ErrInvalidOTLP is returned by ParseOTLPJSON for malformed input.
var ErrInvalidOTLP = errors.New("invalid otlp json")

// OTLPRequest converts spans into an OTLP ExportTraceServiceRequest, grouped
// by resource and instrumentation scope in first-seen order.
func OTLPRequest(spans []sdktrace.ReadOnlySpan) *coltracepb.ExportTraceServiceRequest {
	req := &coltracepb.ExportTraceServiceRequest{}
	type scopeKey struct {
		res   attribute.Distinct
		scope instrumentation.Scope
	}
	resIdx := map[attribute.Distinct]*tracepb.ResourceSpans{}
	scopeIdx := map[scopeKey]*tracepb.ScopeSpans{}
	for _, ro := range spans {
		if ro == nil {
			continue
		}
		res := ro.Resource()
		if res == nil {
			res = resource.Empty()
		}
		rk := res.Equivalent()
		rs, ok := resIdx[rk]
		if !ok {
			rs = &tracepb.ResourceSpans{
				Resource:  &resourcepb.Resource{Attributes: keyValues(res.Attributes())},
				SchemaUrl: res.SchemaURL(),
			}
			resIdx[rk] = rs
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		sc := ro.InstrumentationScope()
		sk := scopeKey{rk, instrumentation.Scope{Name: sc.Name, Version: sc.Version, SchemaURL: sc.SchemaURL}}
		ss, ok := scopeIdx[sk]
		if !ok {
			ss = &tracepb.ScopeSpans{
				Scope:     &commonpb.InstrumentationScope{Name: sc.Name, Version: sc.Version, Attributes: keyValues(sc.Attributes.ToSlice())},
				SchemaUrl: sc.SchemaURL,
			}
			scopeIdx[sk] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		ss.Spans = append(ss.Spans, protoSpan(ro))
	}
	return req
}

// OTLPJSON renders spans as an OTLP/JSON ExportTraceServiceRequest: trace
// and span IDs in hex, enums as integers, as the OTLP specification requires.
func OTLPJSON(spans []sdktrace.ReadOnlySpan) ([]byte, error) {
	raw, err := protojson.MarshalOptions{UseEnumNumbers: true}.Marshal(OTLPRequest(spans))
	if err != nil {
		return nil, fmt.Errorf("marshal otlp: %w", err)
	}
	return recodeIDs(raw, func(s string) (string, error) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	})
}

// ParseOTLPJSON parses an OTLP/JSON ExportTraceServiceRequest (hex IDs).
// Unknown fields are ignored, as OTLP receivers must.
func ParseOTLPJSON(data []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	raw, err := recodeIDs(data, func(s string) (string, error) {
		b, err := hex.DecodeString(s)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	})
	if err != nil {
		return nil, err
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOTLP, err)
	}
	return req, nil
}

var idFields = map[string]bool{"traceId": true, "spanId": true, "parentSpanId": true}

// recodeIDs rewrites the string values of the ID fields anywhere in a JSON
// document.
func recodeIDs(data []byte, conv func(string) (string, error)) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOTLP, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidOTLP)
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch t := v.(type) {
		case map[string]any:
			for k, val := range t {
				if s, ok := val.(string); ok && idFields[k] {
					c, err := conv(s)
					if err != nil {
						return fmt.Errorf("%w: field %s: %w", ErrInvalidOTLP, k, err)
					}
					t[k] = c
					continue
				}
				if err := walk(val); err != nil {
					return err
				}
			}
		case []any:
			for _, e := range t {
				if err := walk(e); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(doc); err != nil {
		return nil, err
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOTLP, err)
	}
	return out, nil
}

func protoSpan(ro sdktrace.ReadOnlySpan) *tracepb.Span {
	sc := ro.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	sp := &tracepb.Span{
		TraceId:                tid[:],
		SpanId:                 sid[:],
		TraceState:             sc.TraceState().String(),
		Name:                   ro.Name(),
		Kind:                   spanKind(ro.SpanKind()),
		StartTimeUnixNano:      unixNano(ro.StartTime().UnixNano()),
		EndTimeUnixNano:        unixNano(ro.EndTime().UnixNano()),
		Attributes:             keyValues(ro.Attributes()),
		DroppedAttributesCount: uint32(ro.DroppedAttributes()),
		DroppedEventsCount:     uint32(ro.DroppedEvents()),
		DroppedLinksCount:      uint32(ro.DroppedLinks()),
		Flags:                  uint32(sc.TraceFlags()) | 0x100, // has-is-remote flag
		Status:                 &tracepb.Status{Code: tracepb.Status_StatusCode(ro.Status().Code), Message: ro.Status().Description},
	}
	if p := ro.Parent(); p.SpanID().IsValid() {
		psid := p.SpanID()
		sp.ParentSpanId = psid[:]
		if p.IsRemote() {
			sp.Flags |= 0x200
		}
	}
	for _, e := range ro.Events() {
		sp.Events = append(sp.Events, &tracepb.Span_Event{
			TimeUnixNano:           unixNano(e.Time.UnixNano()),
			Name:                   e.Name,
			Attributes:             keyValues(e.Attributes),
			DroppedAttributesCount: uint32(e.DroppedAttributeCount),
		})
	}
	for _, l := range ro.Links() {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		sp.Links = append(sp.Links, &tracepb.Span_Link{
			TraceId:                ltid[:],
			SpanId:                 lsid[:],
			TraceState:             l.SpanContext.TraceState().String(),
			Attributes:             keyValues(l.Attributes),
			DroppedAttributesCount: uint32(l.DroppedAttributeCount),
			Flags:                  uint32(l.SpanContext.TraceFlags()) | 0x100,
		})
	}
	return sp
}

func unixNano(n int64) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

func spanKind(k trace.SpanKind) tracepb.Span_SpanKind {
	switch k {
	case trace.SpanKindInternal:
		return tracepb.Span_SPAN_KIND_INTERNAL
	case trace.SpanKindServer:
		return tracepb.Span_SPAN_KIND_SERVER
	case trace.SpanKindClient:
		return tracepb.Span_SPAN_KIND_CLIENT
	case trace.SpanKindProducer:
		return tracepb.Span_SPAN_KIND_PRODUCER
	case trace.SpanKindConsumer:
		return tracepb.Span_SPAN_KIND_CONSUMER
	default:
		return tracepb.Span_SPAN_KIND_UNSPECIFIED
	}
}

func keyValues(kvs []attribute.KeyValue) []*commonpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)})
	}
	return out
}

func anyValue(v attribute.Value) *commonpb.AnyValue {
	switch v.Type() {
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BOOLSLICE:
		return arrayValue(v.AsBoolSlice(), func(b bool) *commonpb.AnyValue {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
		})
	case attribute.INT64SLICE:
		return arrayValue(v.AsInt64Slice(), func(i int64) *commonpb.AnyValue {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: i}}
		})
	case attribute.FLOAT64SLICE:
		return arrayValue(v.AsFloat64Slice(), func(f float64) *commonpb.AnyValue {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: f}}
		})
	case attribute.STRINGSLICE:
		return arrayValue(v.AsStringSlice(), func(s string) *commonpb.AnyValue {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
		})
	default:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.String()}}
	}
}

func arrayValue[T any](vs []T, f func(T) *commonpb.AnyValue) *commonpb.AnyValue {
	arr := &commonpb.ArrayValue{Values: make([]*commonpb.AnyValue, 0, len(vs))}
	for _, v := range vs {
		arr.Values = append(arr.Values, f(v))
	}
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: arr}}
}
