package httpserver

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// Upgrading reports whether r may stop being an HTTP request before its
// handler returns: it asks to switch protocols (an Upgrade header, as a
// WebSocket handshake does) or accepts an event stream (Accept:
// text/event-stream, as EventSource does). The echo adapters watch only
// such requests ([Instrumenter.Watch]); the net/http adapter watches every
// request, since it wraps every response writer anyway.
func Upgrading(r *http.Request) bool {
	if len(r.Header["Upgrade"]) > 0 {
		return true
	}
	for _, a := range r.Header["Accept"] {
		if strings.Contains(a, eventStream) {
			return true
		}
	}
	return false
}

const eventStream = "text/event-stream"

// ResponseWriter wraps the response writer of one request. It counts the
// status and body bytes written, and it ends the request (its
// measurements and server span) at the moment the response stops being an
// HTTP response:
//
//   - a 101 Switching Protocols is written, or the connection is hijacked:
//     the request was the upgrade handshake; the WebSocket (or other
//     protocol) session that follows is not an HTTP request, and its
//     lifetime is no request duration;
//   - the response headers of an event stream (Content-Type
//     text/event-stream) are written: the request is answered, the events
//     that follow for as long as the client stays are not its latency.
//
// A request that ended this way is recorded once, with the status written
// (101, or the event stream's 2xx, or 200 for a bare hijack) and the time
// up to that moment; what the handler returns later is not recorded.
//
// It implements http.Flusher, http.Hijacker and io.ReaderFrom, and Unwrap
// for http.ResponseController.
type ResponseWriter struct {
	w             http.ResponseWriter
	m             *Instrumenter
	q             Request
	r             *http.Request
	clientAddress string // "": the host of r.RemoteAddr
	err           error  // SetError
	status        int
	size          int64
	wrote         bool
	ended         bool
}

var writerPool = sync.Pool{New: func() any { return new(ResponseWriter) }}

// Watch returns w wrapped for q (see [ResponseWriter]); r is the request
// the handler gets and clientAddress its client.address ("": the host of
// r.RemoteAddr, see [ClientAddress]). Call
// [ResponseWriter.Release] after [Instrumenter.End] when the handler has
// returned.
func (m *Instrumenter) Watch(q *Request, w http.ResponseWriter, r *http.Request, clientAddress string) *ResponseWriter {
	rw := writerPool.Get().(*ResponseWriter)
	*rw = ResponseWriter{w: w, m: m, q: *q, r: r, clientAddress: clientAddress}
	q.watch = rw
	return rw
}

// Release returns rw to a pool; it must not be used afterwards.
func (rw *ResponseWriter) Release() {
	*rw = ResponseWriter{}
	writerPool.Put(rw)
}

// Status returns the status code written, 200 when the handler wrote a
// body without one, and 0 when it wrote nothing.
func (rw *ResponseWriter) Status() int { return rw.status }

// Size returns the number of body bytes written.
func (rw *ResponseWriter) Size() int64 { return rw.size }

// Header implements http.ResponseWriter.
func (rw *ResponseWriter) Header() http.Header { return rw.w.Header() }

// WriteHeader implements http.ResponseWriter.
func (rw *ResponseWriter) WriteHeader(code int) {
	if !rw.wrote && code >= 100 && code != http.StatusSwitchingProtocols && code < 200 {
		rw.w.WriteHeader(code) // informational: the final status is still to come
		return
	}
	if !rw.wrote {
		rw.header(code)
	}
	rw.w.WriteHeader(code)
}

// header notes the final status, and ends the request if the response
// switches protocols or starts an event stream.
func (rw *ResponseWriter) header(code int) {
	rw.wrote, rw.status = true, code
	if code == http.StatusSwitchingProtocols ||
		code >= 200 && code < 300 && strings.HasPrefix(rw.w.Header().Get("Content-Type"), eventStream) {
		rw.end(code)
	}
}

// Write implements http.ResponseWriter.
func (rw *ResponseWriter) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.header(http.StatusOK)
	}
	n, err := rw.w.Write(b)
	rw.size += int64(n)
	return n, err
}

// ReadFrom implements io.ReaderFrom, so that io.Copy to the response keeps
// net/http's sendfile path.
func (rw *ResponseWriter) ReadFrom(src io.Reader) (int64, error) {
	if !rw.wrote {
		rw.header(http.StatusOK)
	}
	var n int64
	var err error
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{rw.w}, src)
	}
	rw.size += n
	return n, err
}

type writerOnly struct{ io.Writer }

// Flush implements http.Flusher; it does nothing when the underlying
// writer cannot flush.
func (rw *ResponseWriter) Flush() {
	if !rw.wrote {
		rw.header(http.StatusOK)
	}
	_ = http.NewResponseController(rw.w).Flush()
}

// Hijack implements http.Hijacker: the request ends here (see
// [ResponseWriter]).
func (rw *ResponseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil && !rw.ended {
		if !rw.wrote {
			rw.wrote, rw.status = true, http.StatusOK
		}
		rw.end(rw.status)
	}
	return conn, brw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (rw *ResponseWriter) Unwrap() http.ResponseWriter { return rw.w }

func (rw *ResponseWriter) end(status int) {
	if rw.ended {
		return
	}
	rw.ended = true
	rw.m.finish(&rw.q, rw.r, status, "", nil, false, rw.size, rw.ClientAddress)
}

// ClientAddress returns the request's client.address.
func (rw *ResponseWriter) ClientAddress() string {
	if rw.clientAddress == "" {
		return ClientAddress(rw.r)
	}
	return rw.clientAddress
}

// SetError records err as the error that made the handler fail, for a
// framework with no error model of its own (net/http): End reports it as
// the Result's Err.
func (rw *ResponseWriter) SetError(err error) { rw.err = err }

// Err returns the error given to SetError.
func (rw *ResponseWriter) Err() error { return rw.err }

// ClientAddress returns the host of r.RemoteAddr: the immediate peer, as
// net/http and echo v5 (without an IPExtractor) see the client.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
