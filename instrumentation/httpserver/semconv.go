package httpserver

import (
	"context"
	"encoding/hex"
	"net/http"

	"go.opentelemetry.io/otel/trace"
)

// Method maps a request method to its semconv http.request.method value:
// one of the known HTTP methods, or "_OTHER". It never returns
// client-controlled strings.
func Method(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	case "QUERY":
		return "QUERY"
	default:
		return "_OTHER"
	}
}

// TraceIDFrom returns the hex trace ID of the span in ctx, or "" when ctx
// holds no valid span context.
func TraceIDFrom(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.HasTraceID() {
		return ""
	}
	id := sc.TraceID()
	return hex.EncodeToString(id[:])
}
