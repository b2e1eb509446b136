package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/alerting"
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
	limit, err := intParam(c, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	f := store.AlertFilter{Limit: limit}
	switch state {
	case "":
	case store.StatePending, store.StateFiring, store.StateResolved:
		f.State = state
	case FilterAcknowledged, FilterSilenced:
		f.State = store.StateFiring
		f.Limit = 1000
	default:
		return echo.NewHTTPError(http.StatusBadRequest,
			`query parameter "state": must be pending, firing, acknowledged, resolved or silenced`)
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
		if err := decodeJSON(c, &body); err != nil && !isEmptyBody(err) {
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
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxWebhookBody+1))
	if err != nil {
		return bodyError(err)
	}
	if len(body) > maxWebhookBody {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", maxWebhookBody))
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

func isEmptyBody(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusBadRequest && he.Message == "request body: empty, expected a JSON object"
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(c echo.Context, name string, def, lo, hi int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < lo || v > hi {
		return 0, echo.NewHTTPError(http.StatusBadRequest,
			fmt.Sprintf("query parameter %q: must be an integer from %d to %d", name, lo, hi))
	}
	return v, nil
}
