package httpserver

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"

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

// PatternRoute returns the http.route of a net/http ServeMux pattern
// ("[METHOD ][HOST]/[PATH]"): its path, without the method and host, as
// semconv's http.route is a path template. "GET example.com/api/users/{id}"
// gives "/api/users/{id}"; "" gives "".
func PatternRoute(p string) string {
	if i := strings.IndexAny(p, " \t"); i >= 0 {
		p = strings.TrimLeft(p[i+1:], " \t")
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return ""
	}
	return p[i:]
}
