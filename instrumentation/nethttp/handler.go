package nethttp

import (
	"fmt"
	"net/http"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
)

// NewHandler returns h instrumented: per request it records
// http.server.request.duration, http.server.active_requests,
// http.server.request.body.size and http.server.response.body.size, starts
// a server span continuing any valid incoming W3C trace, and sets the
// X-Request-Id and X-Trace-Id response headers before h runs. The route is
// the pattern h's ServeMux matched (r.Pattern, without its method and
// host); a request the mux matched no pattern for has no http.route.
//
// h is typically a *http.ServeMux: it sets r.Pattern on the request it is
// given, which is how the route reaches this handler. A handler in
// between that passes the mux a copy of the request (http.StripPrefix,
// r.WithContext) hides the pattern: wrap the mux itself.
//
// It panics if an instrument cannot be created, as the echo adapters'
// constructors do.
func NewHandler(h http.Handler, opts ...httpserver.Option) http.Handler {
	core, err := httpserver.New(opts...)
	if err != nil {
		panic(fmt.Errorf("instrumentation handler: %w", err))
	}
	return &handler{next: h, core: core}
}

// handler translates net/http's request, route (r.Pattern) and response
// (status and size, counted by httpserver.ResponseWriter) for the core.
type handler struct {
	next http.Handler
	core *httpserver.Instrumenter
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, q := h.core.StartPattern(r, w.Header())
	rw := h.core.Watch(&q, w, req, "")

	panicked := true
	defer func() {
		if panicked {
			v := recover()
			h.core.Panic(&q, req, v, rw.Size(), rw.ClientAddress)
			rw.Release()
			if v != nil {
				panic(v)
			}
		}
	}()
	h.next.ServeHTTP(rw, req)
	panicked = false

	status := rw.Status()
	if status == 0 {
		status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	h.core.End(&q, req, httpserver.Result{Status: status, Size: rw.Size(), Err: rw.Err()}, rw.ClientAddress)
	rw.Release()
}

// Error replies to the request with code and its status text (as
// http.Error does) and records err as the error that made the handler
// fail: for a 5xx the span gets it as an exception event and its status
// description, and error.type is its Go type, as a handler error is in the
// echo adapters. w must be the ResponseWriter the instrumented handler
// gave (or one that unwraps to it, see http.ResponseController); otherwise
// only the reply is written.
func Error(w http.ResponseWriter, err error, code int) {
	if rw := responseWriter(w); rw != nil && err != nil {
		rw.SetError(err)
	}
	http.Error(w, http.StatusText(code), code)
}

func responseWriter(w http.ResponseWriter) *httpserver.ResponseWriter {
	for {
		switch t := w.(type) {
		case *httpserver.ResponseWriter:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}
