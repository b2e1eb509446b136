package server

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// ContentTypeHealth is the media type of draft-inadarei-api-health-check.
const ContentTypeHealth = "application/health+json"

// Health statuses of the health-check draft.
const (
	StatusPass = "pass"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// HealthCheck is one component of GET /api/health.
type HealthCheck struct {
	// Name is the draft's "component:measurement" key, e.g. "store:responseTime".
	Name          string
	ComponentType string
	// Check reports the component's status, an observed value (may be nil)
	// with its unit, and a short output shown when the status is not pass.
	Check func(ctx context.Context) CheckResult
	// Critical checks fail readiness (GET /ready) when they fail.
	Critical bool
}

// CheckResult is what a HealthCheck observed.
type CheckResult struct {
	Status        string
	ObservedValue any
	ObservedUnit  string
	Output        string
}

// HealthComponent is one entry of the draft's "checks" object.
type HealthComponent struct {
	ComponentType string    `json:"componentType,omitempty"`
	ObservedValue any       `json:"observedValue,omitempty"`
	ObservedUnit  string    `json:"observedUnit,omitempty"`
	Status        string    `json:"status"`
	Time          time.Time `json:"time"`
	Output        string    `json:"output,omitempty"`
}

// HealthResponse is the body of GET /api/health and GET /ready.
type HealthResponse struct {
	Status      string                       `json:"status"`
	Version     string                       `json:"version,omitempty"`
	ServiceID   string                       `json:"serviceId,omitempty"`
	Description string                       `json:"description,omitempty"`
	Checks      map[string][]HealthComponent `json:"checks,omitempty"`
}

// LivenessResponse is the body of GET /health.
type LivenessResponse struct {
	Status string `json:"status"`
}

type health struct {
	version string
	checks  []HealthCheck
	timeout time.Duration
}

func (h *health) liveness(c echo.Context) error {
	return writeHealth(c, http.StatusOK, LivenessResponse{Status: StatusPass})
}

// run evaluates the checks concurrently, each bounded by the timeout.
func (h *health) run(ctx context.Context, onlyCritical bool) HealthResponse {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	type out struct {
		i int
		r CheckResult
	}
	results := make(chan out, len(h.checks))
	n := 0
	for i, chk := range h.checks {
		if onlyCritical && !chk.Critical {
			continue
		}
		n++
		go func() {
			results <- out{i, chk.Check(ctx)}
		}()
	}
	resp := HealthResponse{Status: StatusPass, Version: h.version, ServiceID: "vigil",
		Description: "Vigil observability pipeline", Checks: map[string][]HealthComponent{}}
	now := time.Now().UTC()
	for range n {
		o := <-results
		chk := h.checks[o.i]
		resp.Checks[chk.Name] = append(resp.Checks[chk.Name], HealthComponent{
			ComponentType: chk.ComponentType,
			ObservedValue: o.r.ObservedValue,
			ObservedUnit:  o.r.ObservedUnit,
			Status:        o.r.Status,
			Time:          now,
			Output:        o.r.Output,
		})
		resp.Status = worse(resp.Status, o.r.Status)
	}
	return resp
}

func worse(a, b string) string {
	rank := map[string]int{StatusPass: 0, StatusWarn: 1, StatusFail: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func (h *health) detailed(c echo.Context) error {
	resp := h.run(c.Request().Context(), false)
	code := http.StatusOK
	if resp.Status == StatusFail {
		code = http.StatusServiceUnavailable
	}
	return writeHealth(c, code, resp)
}

func (h *health) ready(c echo.Context) error {
	resp := h.run(c.Request().Context(), true)
	code := http.StatusOK
	if resp.Status == StatusFail {
		code = http.StatusServiceUnavailable
	}
	return writeHealth(c, code, resp)
}

func writeHealth(c echo.Context, code int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, ContentTypeHealth)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().WriteHeader(code)
	return jsonEncode(c.Response(), v)
}

// Links are the URLs the landing page points at.
type Links struct {
	Grafana    string `json:"grafana" yaml:"grafana"`
	Prometheus string `json:"prometheus" yaml:"prometheus"`
	Jaeger     string `json:"jaeger" yaml:"jaeger"`
}

// Landing is the JSON form of GET /.
type Landing struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Links   map[string]string `json:"links"`
}

var landingPage = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vigil {{.Version}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}
a{color:#0b57d0}li{margin:.3rem 0}code{background:#f3f3f3;padding:0 .3rem}</style></head>
<body><h1>Vigil</h1><p>Observability pipeline for echo APIs. Version <code>{{.Version}}</code>.</p>
<ul>{{range .Items}}<li><a href="{{.URL}}">{{.Label}}</a></li>{{end}}</ul></body></html>
`))

type landingItem struct{ Label, URL string }

func landingHandler(version string, links Links) echo.HandlerFunc {
	items := []landingItem{
		{"Alert console", "/ui"},
		{"API documentation", "/docs"},
		{"OpenAPI document", "/openapi.json"},
		{"Prometheus metrics", "/metrics"},
		{"Health", "/api/health"},
	}
	ext := []landingItem{{"Grafana dashboards", links.Grafana}, {"Prometheus", links.Prometheus}, {"Jaeger traces", links.Jaeger}}
	for _, it := range ext {
		if it.URL != "" {
			items = append(items, it)
		}
	}
	asJSON := Landing{Name: "vigil", Version: version, Links: map[string]string{}}
	for _, it := range items {
		asJSON.Links[strings.ToLower(it.Label)] = it.URL
	}
	return func(c echo.Context) error {
		if prefersJSON(c.Request().Header.Get(echo.HeaderAccept)) {
			return c.JSON(http.StatusOK, asJSON)
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(http.StatusOK)
		return landingPage.Execute(c.Response(), struct {
			Version string
			Items   []landingItem
		}{version, items})
	}
}

// prefersJSON is true when the client asks for JSON and not for HTML.
func prefersJSON(accept string) bool {
	a := strings.ToLower(accept)
	return strings.Contains(a, "json") && !strings.Contains(a, "text/html")
}
