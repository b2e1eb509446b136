package apidocs_test

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
)

// The fixture API: a small router shaped like Vigil's, with metadata.

type chatRequest struct {
	Message     string  `json:"message" validate:"required" doc:"The user's message." example:"What is a span?"`
	Model       string  `json:"model,omitempty" enum:"small,large"`
	Temperature float64 `json:"temperature,omitempty"`
}

type chatResponse struct {
	Reply   string    `json:"reply"`
	TraceID string    `json:"trace_id"`
	At      time.Time `json:"at"`
}

type alert struct {
	ID       string            `json:"id"`
	Rule     string            `json:"rule"`
	State    string            `json:"state" enum:"firing,acknowledged,resolved"`
	Labels   map[string]string `json:"labels"`
	Started  time.Time         `json:"started_at"`
	Comments []comment         `json:"comments,omitempty"`
}

type comment struct {
	By   string `json:"by"`
	Text string `json:"text"`
}

type ackRequest struct {
	By      string `json:"by" validate:"required"`
	Comment string `json:"comment,omitempty"`
}

func testRouter() *echo.Echo {
	e := echo.New()
	ok := func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) }
	e.GET("/health", ok)
	e.GET("/api/alerts", func(c echo.Context) error {
		return c.JSON(http.StatusOK, []alert{{ID: "a1", Rule: "high_error_ratio", State: "firing"}})
	})
	e.GET("/api/alerts/:id", ok)
	e.POST("/api/alerts/:id/acknowledge", ok)
	e.POST("/api/chat", func(c echo.Context) error {
		var req chatRequest
		if err := c.Bind(&req); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, chatResponse{Reply: "echo: " + req.Message})
	})
	e.GET("/internal/debug", ok)
	e.Static("/static", ".")
	e.RouteNotFound("/*", func(c echo.Context) error { return echo.ErrNotFound })
	return e
}

func testInfo() apidocs.Info {
	return apidocs.Info{
		Title:       "Vigil test API",
		Version:     "1.2.3",
		Description: "A fixture API for the apidocs tests.",
		Tags: []apidocs.Tag{
			{Name: "health", Description: "Liveness and readiness."},
			{Name: "alerts", Description: "Alerts and their audit trail."},
			{Name: "chat", Description: "The reference AI API."},
		},
	}
}

func testRegistry() *apidocs.Registry {
	reg := apidocs.NewRegistry()
	reg.Add(
		apidocs.Operation{
			Method: "GET", Path: "/health", Summary: "Liveness", Tags: []string{"health"},
			Description: "Answers <script>alert(1)</script> | always [when alive].",
			Responses:   map[int]apidocs.Response{200: {Description: "The service is alive.", Body: map[string]string{}}},
		},
		apidocs.Operation{
			Method: "GET", Path: "/api/alerts", Summary: "List alerts", Tags: []string{"alerts"},
			Description: "Alerts, newest first.",
			Params: []apidocs.Param{
				{Name: "state", In: "query", Description: "Only alerts in this state.", Schema: apidocs.ParamSchema{Enum: []string{"firing", "acknowledged", "resolved"}}},
				{Name: "limit", In: "query", Description: "At most this many.", Schema: apidocs.ParamSchema{Type: "integer", Min: apidocs.Float(1), Max: apidocs.Float(500), Default: 100}},
			},
			Responses: map[int]apidocs.Response{200: {Description: "The alerts.", Body: []alert{}}},
			Security:  []string{apidocs.RoleViewer, apidocs.RoleAdmin},
		},
		apidocs.Operation{
			Method: "GET", Path: "/api/alerts/:id", Summary: "Get an alert", Tags: []string{"alerts"},
			Params:    []apidocs.Param{{Name: "id", In: "path", Description: "The alert ID.", Example: "a1"}},
			Responses: map[int]apidocs.Response{200: {Description: "The alert.", Body: alert{}}},
			Security:  []string{apidocs.RoleViewer},
		},
		apidocs.Operation{
			Method: "POST", Path: "/api/alerts/:id/acknowledge", Summary: "Acknowledge an alert", Tags: []string{"alerts"},
			Request:   ackRequest{},
			Responses: map[int]apidocs.Response{200: {Description: "The acknowledged alert.", Body: alert{}}},
			Security:  []string{apidocs.RoleAdmin},
		},
		apidocs.Operation{
			Method: "POST", Path: "/api/chat", Summary: "Chat", Tags: []string{"chat"},
			Description: "Sends a message to the model.",
			Request:     chatRequest{},
			Responses:   map[int]apidocs.Response{200: {Description: "The reply.", Body: chatResponse{}}},
			Security:    []string{apidocs.RoleClient},
			RateLimited: true,
		},
		apidocs.Operation{Method: "GET", Path: "/internal/debug", Hidden: true},
	)
	return reg
}

func stringReader(s string) *strings.Reader { return strings.NewReader(s) }
