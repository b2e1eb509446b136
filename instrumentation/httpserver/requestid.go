package httpserver

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"sync/atomic"
	"unsafe"

	"go.opentelemetry.io/otel/trace"
)

// maxRequestIDLen is the longest incoming request ID that is reused.
const maxRequestIDLen = 64

// idHeaders holds both header values and the bytes of the generated
// strings in one allocation. buf is written once, before the strings that
// point into it are created, and never again.
type idHeaders struct {
	vals [2]string
	buf  [requestIDLen + 32]byte
}

// setIDHeaders sets the request ID and trace ID response headers with a
// single allocation.
func (m *Instrumenter) setIDHeaders(h, reqHeader http.Header, sc trace.SpanContext) {
	reqID := ""
	if v := reqHeader[m.reqIDHeader]; len(v) > 0 && validRequestID(v[0]) {
		reqID = v[0]
	} else if m.genID != nil {
		reqID = m.genID()
	}
	ih := new(idHeaders)
	n := 0
	if reqID == "" {
		putRequestID(ih.buf[:requestIDLen])
		n = requestIDLen
	}
	traceStart := n
	if sc.HasTraceID() {
		id := sc.TraceID()
		hex.Encode(ih.buf[n:n+32], id[:])
		n += 32
	}
	var str string
	if n > 0 {
		str = unsafe.String(&ih.buf[0], n)
	}
	if reqID == "" {
		reqID = str[:requestIDLen]
	}
	ih.vals[0] = reqID
	h[m.reqIDHeader] = ih.vals[0:1:1]
	if traceStart < n {
		ih.vals[1] = str[traceStart:n]
		h[HeaderTraceID] = ih.vals[1:2:2]
	}
}

func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9', b == '-', b == '_':
		default:
			return false
		}
	}
	return true
}

// Generated request IDs are a random per-process prefix of 12 hex digits, a
// dash and a 16-hex-digit counter: unique across replicas with
// overwhelming probability, and cheap.
const requestIDLen = 12 + 1 + 16

var (
	requestIDPrefix  [12]byte
	requestIDCounter atomic.Uint64
)

func init() {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	hex.Encode(requestIDPrefix[:], b[:])
}

func putRequestID(dst []byte) {
	copy(dst, requestIDPrefix[:])
	dst[12] = '-'
	n := requestIDCounter.Add(1)
	const digits = "0123456789abcdef"
	for i := requestIDLen - 1; i > 12; i-- {
		dst[i] = digits[n&0xf]
		n >>= 4
	}
}
