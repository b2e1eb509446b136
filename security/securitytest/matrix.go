package securitytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Callers of a matrix row, in the order of [Callers].
const (
	None   = "none"   // no key
	Junk   = "junk"   // a key that is not configured
	Client = "client" // a key of role client
	Viewer = "viewer" // a key of role viewer
	Admin  = "admin"  // a key of role admin
)

// Callers lists every caller a [Route] must state a status for.
var Callers = []string{None, Junk, Client, Viewer, Admin}

// JunkKey is the key sent by the junk caller.
const JunkKey = "junk-key-that-is-not-configured"

// Route is one row of a role matrix: a request and, for each caller, the
// expected status.
type Route struct {
	Method string
	Path   string
	Body   string // sent as application/json when not empty
	Want   map[string]int
}

// Expect returns the usual expectations: public (everyone gets ok), or
// protected so that roles at or above min get ok and others 403, while none
// and junk get 401. min is one of Client, Viewer or Admin; admin satisfies
// every role.
func Expect(min string, ok int) map[string]int {
	want := map[string]int{None: http.StatusUnauthorized, Junk: http.StatusUnauthorized,
		Client: http.StatusForbidden, Viewer: http.StatusForbidden, Admin: ok}
	switch min {
	case "":
		for _, c := range Callers {
			want[c] = ok
		}
	case Client, Viewer:
		want[min] = ok
	}
	return want
}

// Public returns expectations of an open route.
func Public(ok int) map[string]int { return Expect("", ok) }

// RunMatrix sends every route as every caller to h, presenting keys[caller]
// (one key per role; the junk caller sends [JunkKey]) with
// Authorization: Bearer, and checks the status. Every route must state
// every caller of [Callers].
func RunMatrix(t *testing.T, h http.Handler, keys map[string]string, routes []Route) {
	t.Helper()
	for _, r := range routes {
		for _, caller := range Callers {
			want, ok := r.Want[caller]
			if !ok {
				t.Errorf("%s %s: no expectation for caller %s", r.Method, r.Path, caller)
				continue
			}
			t.Run(r.Method+" "+r.Path+" as "+caller, func(t *testing.T) {
				var body io.Reader
				if r.Body != "" {
					body = strings.NewReader(r.Body)
				}
				req := httptest.NewRequestWithContext(t.Context(), r.Method, r.Path, body)
				if r.Body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				switch caller {
				case None:
				case Junk:
					req.Header.Set("Authorization", "Bearer "+JunkKey)
				default:
					key, ok := keys[caller]
					if !ok {
						t.Fatalf("no key for caller %s", caller)
					}
					req.Header.Set("Authorization", "Bearer "+key)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != want {
					t.Errorf("%s %s as %s: status %d, want %d (body %s)", r.Method, r.Path, caller, rec.Code, want, rec.Body.String())
				}
				if rec.Code == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s as %s: 401 without WWW-Authenticate: Bearer", r.Method, r.Path, caller)
				}
			})
		}
	}
}
