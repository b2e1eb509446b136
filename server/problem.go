package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// ContentTypeProblem is the media type of RFC 9457 problem details.
const ContentTypeProblem = "application/problem+json"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	TraceID  string `json:"trace_id,omitempty"`
}

// StoreRetryAfter is the Retry-After of a 503 answered while the store is
// unavailable.
const StoreRetryAfter = 5 * time.Second

// ErrorHandler renders every error as problem details. Handlers return
// echo.NewHTTPError(code, "lowercase detail"); an error meaning the store
// is unavailable (store.IsUnavailable: connection refused, pool closed, a
// deadline) is a 503 with Retry-After; any other error is a 500 whose cause
// is logged with the trace ID and never shown to the client.
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		status := http.StatusInternalServerError
		detail := ""
		var he *echo.HTTPError
		var te *store.TextError
		switch {
		case errors.As(err, &he):
			status = he.Code
			detail = httpErrorDetail(he)
		case errors.As(err, &te):
			// Text the store cannot keep (NUL, invalid UTF-8), on either
			// backend: the client's mistake, named by its field.
			status = http.StatusBadRequest
			detail = fmt.Sprintf("request body: field %q: %s", te.Field, te.Reason)
		case store.IsUnavailable(err):
			status = http.StatusServiceUnavailable
			detail = "the store is unavailable; retry later"
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(StoreRetryAfter/time.Second)))
		}
		traceID := traceIDOf(c)
		if httpapi.IsServerError(status) {
			logger.ErrorContext(c.Request().Context(), "request failed",
				"method", c.Request().Method, "route", c.Path(), "status", status,
				"trace_id", traceID, "error", err)
			if (he == nil && status == http.StatusInternalServerError) || (he != nil && he.Internal != nil) || detail == "" {
				detail = "the server failed to handle the request; quote the trace_id when reporting it"
			}
		}
		if detail == "" || detail == http.StatusText(status) {
			detail = strings.ToLower(http.StatusText(status))
		}
		p := Problem{
			Type:     "about:blank",
			Title:    http.StatusText(status),
			Status:   status,
			Detail:   detail,
			Instance: c.Request().URL.Path,
			TraceID:  traceID,
		}
		if p.Title == "" {
			p.Title = "Error"
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = writeProblem(c, p)
		}
		if err != nil {
			logger.WarnContext(c.Request().Context(), "write problem response", "error", err)
		}
	}
}

func writeProblem(c echo.Context, p Problem) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, ContentTypeProblem)
	h.Del(echo.HeaderContentLength)
	c.Response().WriteHeader(p.Status)
	return httpapi.WriteJSON(c.Response(), p)
}

// httpErrorDetail turns echo's messages (strings, or its own errors such as
// ErrNotFound) into a short lowercase detail without internal causes.
func httpErrorDetail(he *echo.HTTPError) string {
	switch m := he.Message.(type) {
	case string:
		return m
	case error:
		return m.Error()
	case nil:
		return ""
	default:
		return http.StatusText(he.Code)
	}
}

func traceIDOf(c echo.Context) string {
	sc := trace.SpanContextFromContext(c.Request().Context())
	if sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}
