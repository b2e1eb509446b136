package instrumentation_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/instrumentation"
)

// FuzzMiddleware feeds client-controlled request parts (method, path,
// X-Request-Id, traceparent, baggage, Host) through the middleware: it must
// not panic, must always answer with a sane X-Request-Id and a 32-hex
// X-Trace-Id, and must never put the raw path or Host into a metric (the
// marker "zzfuzz" in seeds' paths and hosts must not reach any label).
func FuzzMiddleware(f *testing.F) {
	f.Add("GET", "/api/users/1", "abc", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v", "zzfuzz.example.com")
	f.Add("PURGE", "/zzfuzz/../../etc", strings.Repeat("x", 70), "garbage", "%%%", "zzfuzz-evil")
	f.Add("POST", "/api/chat?q=1", "id\r\nX: y", "00-00000000000000000000000000000000-0000000000000000-00", "", "")
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, method, path, reqID, traceparent, baggage, host string) {
		if !validMethodToken(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n#") {
			t.Skip()
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Method = method
		req.URL.Path = path
		req.RequestURI = path
		req.Host = host
		req.Header["X-Request-Id"] = []string{reqID}
		req.Header["Traceparent"] = []string{traceparent}
		req.Header["Baggage"] = []string{baggage}
		rec := httptest.NewRecorder()
		h.e.ServeHTTP(rec, req)
		if id := rec.Header().Get("X-Request-Id"); !saneRequestID.MatchString(id) {
			t.Fatalf("X-Request-Id %q is not sane", id)
		}
		if tid := rec.Header().Get(instrumentation.HeaderTraceID); len(tid) != 32 {
			t.Fatalf("X-Trace-Id %q", tid)
		}
		mfs, err := h.tel.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if v := l.GetValue(); strings.Contains(v, "zzfuzz") {
						t.Fatalf("metric %s label %s=%q carries client input", mf.GetName(), l.GetName(), v)
					}
				}
			}
		}
	})
}

func validMethodToken(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}
