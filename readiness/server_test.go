package readiness_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// apiFlaws turns a well-behaved test API into one that fails a category.
type apiFlaws struct {
	noHealth      bool // health endpoints missing
	noHeaders     bool // no security headers
	reflectCORS   bool // reflects Origin with credentials
	leakyCookie   bool // session cookie without Secure/HttpOnly/SameSite
	authBypass    bool // protected route answers 200 without a token
	exposeEnv     bool // serves /.env
	noRateLimit   bool // no 429, no 413
	slow          time.Duration
	stackTraces   bool // 500 with a goroutine dump on malformed JSON
	noConventions bool // 404 for wrong method, 200 for TRACE echo
	noDocs        bool // no OpenAPI, broken /metrics
}

const goodToken = "good-token"

const goodSpec = `{
  "openapi": "3.0.3",
  "info": {"title": "good", "version": "1"},
  "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
  "paths": {
    "/health": {"get": {"responses": {"200": {"description": "ok"}}}},
    "/api/public": {"get": {"responses": {"200": {"description": "ok"}}}},
    "/api/chat": {"post": {"responses": {"200": {"description": "ok"}}}},
    "/api/alerts": {"get": {"security": [{"bearer": []}], "responses": {"200": {"description": "ok"}}}},
    "/api/alerts/{id}": {"get": {"security": [{"bearer": []}], "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}], "responses": {"200": {"description": "ok"}}}}
  }
}`

const goodMetrics = "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total{code=\"200\"} 3\n"

type testAPI struct {
	f      apiFlaws
	mu     sync.Mutex
	public int
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail})
}

func writeJSON(w http.ResponseWriter, ct string, v any) {
	w.Header().Set("Content-Type", ct)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *testAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if !a.f.noHeaders {
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	} else {
		h.Set("Server", "nginx/1.18.0")
	}
	if tp := r.Header.Get("Traceparent"); tp != "" && !a.f.noDocs {
		if parts := strings.Split(tp, "-"); len(parts) == 4 {
			h.Set("X-Trace-Id", parts[1])
		}
	}
	if o := r.Header.Get("Origin"); o != "" && a.f.reflectCORS {
		h.Set("Access-Control-Allow-Origin", o)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if a.f.leakyCookie {
		h.Add("Set-Cookie", "session_id=abc123; Path=/")
	}
	if a.f.slow > 0 {
		time.Sleep(a.f.slow)
	}
	type route map[string]http.HandlerFunc
	routes := map[string]route{
		"/": {"GET": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/json", map[string]string{"service": "good"})
		}},
		"/api/public": {"GET": a.publicHandler},
		"/api/chat":   {"POST": a.chat},
		"/api/alerts": {"GET": a.protected},
		"/metrics": {"GET": func(w http.ResponseWriter, r *http.Request) {
			if a.f.noDocs {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, "this is { not prometheus\n")
				return
			}
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			_, _ = io.WriteString(w, goodMetrics)
		}},
	}
	if !a.f.noHealth {
		health := func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, "application/health+json", map[string]string{"status": "pass"})
		}
		routes["/health"] = route{"GET": health}
		routes["/ready"] = route{"GET": health}
		routes["/api/health"] = route{"GET": health}
	}
	if !a.f.noDocs {
		routes["/openapi.json"] = route{"GET": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, goodSpec)
		}}
	}
	if a.f.exposeEnv {
		routes["/.env"] = route{"GET": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, "DATABASE_URL=postgres://u:p@db/x\nSECRET_KEY=abcdefghijklmnop\n")
		}}
	}
	rt, ok := routes[r.URL.Path]
	if !ok {
		problem(w, http.StatusNotFound, "no such route")
		return
	}
	if r.Method == "TRACE" && a.f.noConventions {
		w.Header().Set("Content-Type", "message/http")
		_, _ = fmt.Fprintf(w, "TRACE %s HTTP/1.1\r\n", r.URL.Path)
		return
	}
	fn, ok := rt[r.Method]
	if !ok {
		if a.f.noConventions {
			problem(w, http.StatusNotFound, "no such route")
			return
		}
		var allow []string
		for m := range rt {
			allow = append(allow, m)
		}
		h.Set("Allow", strings.Join(allow, ", "))
		problem(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	fn(w, r)
}

func (a *testAPI) publicHandler(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.public++
	n := a.public
	a.mu.Unlock()
	if !a.f.noRateLimit {
		w.Header().Set("RateLimit-Policy", `"default";q=20;w=60`)
		w.Header().Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=60`, max(0, 20-n)))
		if n > 20 {
			w.Header().Set("Retry-After", "60")
			problem(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
	}
	writeJSON(w, "application/json", map[string]string{"message": "hello"})
}

func (a *testAPI) protected(w http.ResponseWriter, r *http.Request) {
	if !a.f.authBypass && r.Header.Get("Authorization") != "Bearer "+goodToken {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		problem(w, http.StatusUnauthorized, "missing or invalid token")
		return
	}
	writeJSON(w, "application/json", []string{})
}

func (a *testAPI) chat(w http.ResponseWriter, r *http.Request) {
	if !a.f.noRateLimit {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && !a.f.noConventions {
		problem(w, http.StatusUnsupportedMediaType, "content type must be application/json")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(w, http.StatusRequestEntityTooLarge, "body too large")
			return
		}
		if a.f.stackTraces {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "panic: bad json\n\ngoroutine 1 [running]:\nmain.chat()\n\t/app/main.go:42 +0x1d\n")
			return
		}
		problem(w, http.StatusBadRequest, "body: malformed json")
		return
	}
	writeJSON(w, "application/json", map[string]string{"answer": "hi"})
}
