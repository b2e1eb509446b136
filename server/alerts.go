package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// AlertActions acknowledge and resolve alerts (alerting.Actions).
type AlertActions interface {
	Acknowledge(ctx context.Context, id, by, comment string) (store.Alert, error)
	Resolve(ctx context.Context, id, by, comment string) (store.Alert, error)
}

// RuleLister lists the rules and their last evaluation (alerting.Evaluator).
type RuleLister interface {
	Rules() []alerting.RuleStatus
}

// WebhookIngester records Alertmanager payloads (alerting.Ingester).
type WebhookIngester interface {
	IngestWebhook(ctx context.Context, p alerting.WebhookPayload) ([]store.Alert, error)
}

// AlertReader reads alerts and their history from the store.
type AlertReader interface {
	GetAlert(ctx context.Context, id string) (store.Alert, error)
	ListAlerts(ctx context.Context, f store.AlertFilter) ([]store.Alert, error)
	ListAlertEvents(ctx context.Context, alertID string) ([]store.AlertEvent, error)
}

// Alert states accepted by GET /api/alerts?state=.
const (
	FilterAcknowledged = "acknowledged"
	FilterSilenced     = "silenced"
)

// AlertList is the body of GET /api/alerts.
type AlertList struct {
	Alerts []store.Alert `json:"alerts"`
	Count  int           `json:"count"`
}

// AlertHistory is the body of GET /api/alerts/{id}/history.
type AlertHistory struct {
	AlertID string             `json:"alert_id"`
	Events  []store.AlertEvent `json:"events"`
}

// AlertAction is the body of acknowledge and resolve.
type AlertAction struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

// RuleList is the body of GET /api/alerts/rules.
type RuleList struct {
	Rules []alerting.RuleStatus `json:"rules"`
}

// WebhookResult is the body of POST /api/alerts/webhook.
type WebhookResult struct {
	Alerts []store.Alert `json:"alerts"`
}

// AlertsAPI serves the alert management routes, composed of the alerting
// parts each route needs.
type AlertsAPI struct {
	Actions AlertActions
	Rules   RuleLister
	Webhook WebhookIngester
	Reader  AlertReader
	// Silences serves /api/silences. Optional: without it the routes are
	// not mounted.
	Silences SilenceService
	// Actor names who performs an action when the body has no "by". Optional.
	Actor func(c echo.Context) string
}

// maxWebhookBody bounds an Alertmanager payload (truncated groups stay small).
const maxWebhookBody = 1 << 20

// Register mounts the routes; read is the viewer guard, write the admin one.
func (a *AlertsAPI) Register(e *echo.Echo, read, write echo.MiddlewareFunc) {
	e.GET("/api/alerts", a.list, read)
	e.GET("/api/alerts/rules", a.rules, read)
	e.GET("/api/alerts/:id", a.get, read)
	e.GET("/api/alerts/:id/history", a.history, read)
	e.POST("/api/alerts/:id/acknowledge", a.acknowledge, write)
	e.POST("/api/alerts/:id/resolve", a.resolve, write)
	e.POST("/api/alerts/webhook", a.webhook, write)
	if a.Silences != nil {
		a.registerSilences(e, read, write)
	}
}

func (a *AlertsAPI) list(c echo.Context) error {
	state := c.QueryParam("state")
	limit, err := httpapi.Int("limit", c.QueryParam("limit"), 100, 1, 1000)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	f := store.AlertFilter{Limit: limit}
	if _, err := httpapi.OneOf("state", state, "", store.StatePending, store.StateFiring, FilterAcknowledged,
		store.StateResolved, FilterSilenced); err != nil {
		return httpapi.ParamProblem(err)
	}
	switch state {
	case store.StatePending, store.StateFiring, store.StateResolved:
		f.State = state
	case FilterAcknowledged, FilterSilenced:
		f.State = store.StateFiring
		f.Limit = 1000
	}
	alerts, err := a.Reader.ListAlerts(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("list alerts: %w", err)
	}
	out := make([]store.Alert, 0, len(alerts))
	for _, al := range alerts {
		switch {
		case state == FilterAcknowledged && al.AcknowledgedAt == nil:
		case state == FilterSilenced && !al.Silenced:
		default:
			out = append(out, al)
		}
		if len(out) == limit {
			break
		}
	}
	return c.JSON(http.StatusOK, AlertList{Alerts: out, Count: len(out)})
}

func (a *AlertsAPI) get(c echo.Context) error {
	al, err := a.Reader.GetAlert(c.Request().Context(), c.Param("id"))
	if err != nil {
		return alertError(err, c.Param("id"))
	}
	return c.JSON(http.StatusOK, al)
}

func (a *AlertsAPI) history(c echo.Context) error {
	id := c.Param("id")
	if _, err := a.Reader.GetAlert(c.Request().Context(), id); err != nil {
		return alertError(err, id)
	}
	events, err := a.Reader.ListAlertEvents(c.Request().Context(), id)
	if err != nil {
		return fmt.Errorf("list alert events: %w", err)
	}
	if events == nil {
		events = []store.AlertEvent{}
	}
	return c.JSON(http.StatusOK, AlertHistory{AlertID: id, Events: events})
}

func (a *AlertsAPI) action(c echo.Context, do func(ctx context.Context, id, by, comment string) (store.Alert, error)) error {
	var body AlertAction
	if c.Request().ContentLength != 0 {
		if err := httpapi.DecodeJSON(c, &body); err != nil && !errors.Is(err, httpapi.ErrEmptyBody) {
			return err
		}
	}
	if body.By == "" && a.Actor != nil {
		body.By = a.Actor(c)
	}
	if body.By == "" {
		return echo.NewHTTPError(http.StatusBadRequest, `request body: field "by" is required`)
	}
	if len(body.By) > 200 || len(body.Comment) > 2000 {
		return echo.NewHTTPError(http.StatusBadRequest, `request body: "by" is limited to 200 and "comment" to 2000 characters`)
	}
	al, err := do(c.Request().Context(), c.Param("id"), body.By, body.Comment)
	if err != nil {
		return alertError(err, c.Param("id"))
	}
	return c.JSON(http.StatusOK, al)
}

func (a *AlertsAPI) acknowledge(c echo.Context) error { return a.action(c, a.Actions.Acknowledge) }
func (a *AlertsAPI) resolve(c echo.Context) error     { return a.action(c, a.Actions.Resolve) }

func (a *AlertsAPI) rules(c echo.Context) error {
	return c.JSON(http.StatusOK, RuleList{Rules: a.Rules.Rules()})
}

func (a *AlertsAPI) webhook(c echo.Context) error {
	body, err := httpapi.ReadBody(c, maxWebhookBody)
	if err != nil {
		return err
	}
	p, err := alerting.ParseWebhook(body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	alerts, err := a.Webhook.IngestWebhook(c.Request().Context(), p)
	if err != nil {
		if errors.Is(err, alerting.ErrInvalidWebhook) {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		return fmt.Errorf("ingest webhook: %w", err)
	}
	if alerts == nil {
		alerts = []store.Alert{}
	}
	return c.JSON(http.StatusOK, WebhookResult{Alerts: alerts})
}

func alertError(err error, id string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("alert %q not found", id))
	case errors.Is(err, store.ErrConflict):
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("alert %q is already resolved", id))
	}
	return err
}

// alertsOperations documents the alert routes [AlertsAPI.Register] mounts
// (silences: silencesOperations).
func alertsOperations() []apidocs.Operation {
	tags := []string{"Alerts"}
	alertID := apidocs.Param{Name: "id", In: "path", Required: true, Description: "alert ID", Example: "9c5df165fb49-mwxq4q9a"}
	return []apidocs.Operation{
		{Method: "GET", Path: "/api/alerts", Tags: tags, Summary: "List alerts", Security: apidocs.Viewers,
			Params: []apidocs.Param{
				{Name: "state", In: "query", Schema: apidocs.ParamSchema{Enum: []string{"pending", "firing", "acknowledged", "resolved", "silenced"}}},
				{Name: "limit", In: "query", Schema: apidocs.IntRange(1, 1000, 100)}},
			Responses: apidocs.OK("alerts, newest first", AlertList{}), Errors: apidocs.StoreBacked},
		{Method: "GET", Path: "/api/alerts/rules", Tags: tags, Summary: "Loaded rules and their last evaluation",
			Security: apidocs.Viewers, Responses: apidocs.OK("rules", RuleList{})},
		{Method: "GET", Path: "/api/alerts/:id", Tags: tags, Summary: "One alert", Security: apidocs.Viewers,
			Params: []apidocs.Param{alertID}, Responses: apidocs.OK("the alert", store.Alert{}), Errors: apidocs.StoreBacked},
		{Method: "GET", Path: "/api/alerts/:id/history", Tags: tags, Summary: "An alert's append-only history",
			Security: apidocs.Viewers, Params: []apidocs.Param{alertID}, Responses: apidocs.OK("history, oldest first", AlertHistory{}),
			Errors: apidocs.StoreBacked},
		{Method: "POST", Path: "/api/alerts/:id/acknowledge", Tags: tags, Summary: "Acknowledge an alert",
			Description: "Stops repeat notifications; the resolved notification is still sent. 409 on a resolved alert.",
			Security:    apidocs.Admins, Params: []apidocs.Param{alertID}, Request: AlertAction{},
			Example: AlertAction{By: "ana", Comment: "investigating"}, Responses: apidocs.OK("the alert", store.Alert{}),
			Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}},
		{Method: "POST", Path: "/api/alerts/:id/resolve", Tags: tags, Summary: "Resolve an alert by hand",
			Description: "409 on an alert already resolved.", Security: apidocs.Admins, Params: []apidocs.Param{alertID}, Request: AlertAction{},
			Example: AlertAction{By: "ana", Comment: "fixed by rollback"}, Responses: apidocs.OK("the alert", store.Alert{}),
			Errors: []int{http.StatusConflict, http.StatusServiceUnavailable}},
		{Method: "POST", Path: "/api/alerts/webhook", Tags: tags, Summary: "Ingest an Alertmanager v4 webhook",
			Description: "Fleet-wide alerts from Prometheus via Alertmanager, deduplicated by fingerprint.",
			Security:    apidocs.Admins, Request: alerting.WebhookPayload{}, Responses: apidocs.OK("the alerts created or updated", WebhookResult{}),
			Errors: apidocs.StoreBacked},
	}
}
