package server

import (
	"context"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
)

// The application/health+json model, shared with /health/security.
const (
	// ContentTypeHealth is the media type of draft-inadarei-api-health-check.
	ContentTypeHealth = httpapi.ContentTypeHealth
	StatusPass        = httpapi.StatusPass
	StatusWarn        = httpapi.StatusWarn
	StatusFail        = httpapi.StatusFail
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
type HealthComponent = httpapi.HealthComponent

// HealthResponse is the body of GET /api/health and GET /ready.
type HealthResponse = httpapi.HealthResponse

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
	return httpapi.WriteHealth(c, http.StatusOK, LivenessResponse{Status: StatusPass})
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
		resp.Add(chk.Name, HealthComponent{
			ComponentType: chk.ComponentType,
			ObservedValue: o.r.ObservedValue,
			ObservedUnit:  o.r.ObservedUnit,
			Status:        o.r.Status,
			Time:          now,
			Output:        o.r.Output,
		})
	}
	return resp
}

func (h *health) detailed(c echo.Context) error {
	resp := h.run(c.Request().Context(), false)
	return httpapi.WriteHealth(c, resp.Code(), resp)
}

func (h *health) ready(c echo.Context) error {
	resp := h.run(c.Request().Context(), true)
	return httpapi.WriteHealth(c, resp.Code(), resp)
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
		if httpapi.PrefersJSON(c.Request()) {
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

// healthOperations documents the landing page and the health routes.
func healthOperations() []apidocs.Operation {
	tags := []string{"Service"}
	return []apidocs.Operation{
		{Method: "GET", Path: "/", Tags: tags, Summary: "Landing page",
			Description: "HTML for browsers; JSON with the version and links for `Accept: application/json`.",
			Responses:   map[int]apidocs.Response{200: {Description: "landing page", Body: Landing{}}}},
		{Method: "GET", Path: "/health", Tags: tags, Summary: "Liveness",
			Responses: map[int]apidocs.Response{200: {Description: "the process is alive", Body: LivenessResponse{}, ContentType: ContentTypeHealth}}},
		{Method: "GET", Path: "/ready", Tags: tags, Summary: "Readiness (store reachable)",
			Responses: map[int]apidocs.Response{
				200: {Description: "ready", Body: HealthResponse{}, ContentType: ContentTypeHealth},
				503: {Description: "not ready", Body: HealthResponse{}, ContentType: ContentTypeHealth}}},
		{Method: "GET", Path: "/api/health", Tags: tags, Summary: "Detailed health with component checks",
			Responses: map[int]apidocs.Response{
				200: {Description: "pass or warn", Body: HealthResponse{}, ContentType: ContentTypeHealth},
				503: {Description: "fail", Body: HealthResponse{}, ContentType: ContentTypeHealth}}},
	}
}
