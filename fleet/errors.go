package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
)

// Reason classifies a failed query; it is the reason attribute of the
// failure counter and the first word of a QueryError.
type Reason string

// Reasons of a failed query.
const (
	// ReasonUnreachable: no HTTP answer (connection refused or reset, DNS,
	// TLS handshake).
	ReasonUnreachable Reason = "unreachable"
	// ReasonTimeout: no answer within the configured timeout, or Prometheus
	// gave up on the query (errorType timeout or canceled).
	ReasonTimeout Reason = "timeout"
	// ReasonErrorResponse: an HTTP error status, or Prometheus' answer
	// "status": "error" (bad_data, execution, ...).
	ReasonErrorResponse Reason = "error_response"
	// ReasonBadResponse: a 2xx answer that is not a Prometheus API response
	// or not of the expected result type.
	ReasonBadResponse Reason = "bad_response"
	// ReasonTooManySeries: more series than max_series, or a body larger
	// than the bound derived from it.
	ReasonTooManySeries Reason = "too_many_series"
)

// Reasons lists every Reason.
var Reasons = []Reason{ReasonUnreachable, ReasonTimeout, ReasonErrorResponse, ReasonBadResponse, ReasonTooManySeries}

// ErrQuery is wrapped by every *QueryError.
var ErrQuery = errors.New("prometheus query failed")

// QueryError is a failed query: why, and what was seen. Its message starts
// with "prometheus" and the reason, and carries neither the query's URL
// nor credentials.
type QueryError struct {
	Reason Reason
	Detail string
}

func (e *QueryError) Error() string {
	if e.Detail == "" {
		return "prometheus " + string(e.Reason)
	}
	return "prometheus " + string(e.Reason) + ": " + e.Detail
}

// Is makes errors.Is(err, ErrQuery) true.
func (e *QueryError) Is(target error) bool { return target == ErrQuery }

// ReasonOf returns the reason of a *QueryError in err's chain, or "".
func ReasonOf(err error) Reason {
	if qe, ok := errors.AsType[*QueryError](err); ok {
		return qe.Reason
	}
	return ""
}

// errTimeout is the cause of a query's own deadline.
var errTimeout = errors.New("query timeout")

// errBodyTooLarge is returned by the capped response body.
var errBodyTooLarge = errors.New("response body too large")

// maxDetail bounds the text kept from an answer.
const maxDetail = 300

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDetail {
		return s[:maxDetail] + "…"
	}
	return s
}

// classify turns what the client returned into a *QueryError. ctx is the
// query's own context (with its timeout). A cancelled parent context is not
// Prometheus' fault: it is returned as it is.
func classify(ctx context.Context, err error, bodyLimit int64) error {
	if cause := context.Cause(ctx); cause != nil {
		if errors.Is(cause, errTimeout) {
			return &QueryError{Reason: ReasonTimeout, Detail: "no answer within " + timeoutOf(ctx)}
		}
		return fmt.Errorf("prometheus query: %w", cause)
	}
	if errors.Is(err, errBodyTooLarge) {
		return &QueryError{Reason: ReasonTooManySeries, Detail: fmt.Sprintf("response larger than %d bytes", bodyLimit)}
	}
	if ae, ok := errors.AsType[*v1.Error](err); ok {
		switch ae.Type {
		case v1.ErrTimeout, v1.ErrCanceled:
			return &QueryError{Reason: ReasonTimeout, Detail: clip(ae.Msg)}
		case v1.ErrBadResponse:
			return &QueryError{Reason: ReasonBadResponse, Detail: clip(ae.Msg)}
		default:
			d := ae.Msg
			if ae.Detail != "" {
				d += ": " + ae.Detail
			}
			return &QueryError{Reason: ReasonErrorResponse, Detail: clip(d)}
		}
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // the URL holds the query; the cause is enough
		if ue.Timeout() {
			return &QueryError{Reason: ReasonTimeout, Detail: clip(err.Error())}
		}
	}
	if _, ok := errors.AsType[net.Error](err); ok || errors.Is(err, net.ErrClosed) {
		return &QueryError{Reason: ReasonUnreachable, Detail: clip(err.Error())}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &QueryError{Reason: ReasonTimeout, Detail: clip(err.Error())}
	}
	// EOF and resets surface as plain errors from the transport.
	return &QueryError{Reason: ReasonUnreachable, Detail: clip(err.Error())}
}

type timeoutKey struct{}

// timeoutOf is the query's timeout, for the message.
func timeoutOf(ctx context.Context) string {
	if d, ok := ctx.Value(timeoutKey{}).(Duration); ok {
		return d.String()
	}
	return "the timeout"
}
