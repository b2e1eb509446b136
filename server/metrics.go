package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
)

// MountMetrics serves the Prometheus exposition h at /metrics and
// /metrics/prometheus.
func MountMetrics(e *echo.Echo, h http.Handler) {
	metrics := echo.WrapHandler(h)
	e.GET("/metrics", metrics)
	e.GET("/metrics/prometheus", metrics)
}

// metricsOperations documents the routes MountMetrics mounts.
func metricsOperations() []apidocs.Operation {
	tags := []string{"Service"}
	return []apidocs.Operation{
		{Method: "GET", Path: "/metrics", Tags: tags, Summary: "Prometheus metrics (OpenMetrics with exemplars when asked for)",
			Responses: map[int]apidocs.Response{200: {Description: "exposition", ContentType: "text/plain"}}},
		{Method: "GET", Path: "/metrics/prometheus", Tags: tags, Summary: "Prometheus metrics (same as /metrics)",
			Responses: map[int]apidocs.Response{200: {Description: "exposition", ContentType: "text/plain"}}},
	}
}
