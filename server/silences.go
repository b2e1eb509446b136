package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// SilenceService is what the silences API needs of the silences component.
type SilenceService interface {
	Create(ctx context.Context, s store.Silence) (silence.Silence, error)
	Get(ctx context.Context, id string) (silence.Silence, error)
	List(ctx context.Context, states ...string) ([]silence.Silence, error)
	Expire(ctx context.Context, id string) error
}

// SilenceRequest is the body of POST /api/silences. A matcher without
// isEqual means equal, as in Alertmanager's API.
type SilenceRequest struct {
	Matchers  []store.Matcher `json:"matchers"`
	StartsAt  *time.Time      `json:"startsAt,omitempty"`
	EndsAt    *time.Time      `json:"endsAt,omitempty"`
	Duration  string          `json:"duration,omitempty"`
	CreatedBy string          `json:"createdBy"`
	Comment   string          `json:"comment"`
}

// SilenceList is the body of GET /api/silences.
type SilenceList struct {
	Silences []silence.Silence `json:"silences"`
}

func (a *AlertsAPI) registerSilences(e *echo.Echo, read, write echo.MiddlewareFunc) {
	e.GET("/api/silences", a.silences, read)
	e.GET("/api/silences/:id", a.silence, read)
	e.POST("/api/silences", a.createSilence, write)
	e.DELETE("/api/silences/:id", a.expireSilence, write)
}

// silences lists active and pending silences, or those of ?state= (a
// comma-separated list of active, pending, expired).
func (a *AlertsAPI) silences(c echo.Context) error {
	states, err := silence.ParseStates(c.QueryParam("state"))
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	ss, err := a.Silences.List(c.Request().Context(), states...)
	if err != nil {
		return fmt.Errorf("list silences: %w", err)
	}
	return c.JSON(http.StatusOK, SilenceList{Silences: ss})
}

func (a *AlertsAPI) silence(c echo.Context) error {
	s, err := a.Silences.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return silenceError(err, c.Param("id"))
	}
	return c.JSON(http.StatusOK, s)
}

func (a *AlertsAPI) createSilence(c echo.Context) error {
	var req SilenceRequest
	if err := httpapi.DecodeJSON(c, &req); err != nil {
		return err
	}
	now := time.Now().UTC()
	s := store.Silence{Matchers: req.Matchers, StartsAt: now, CreatedBy: req.CreatedBy, Comment: req.Comment}
	if s.CreatedBy == "" && a.Actor != nil {
		s.CreatedBy = a.Actor(c)
	}
	if req.StartsAt != nil {
		s.StartsAt = req.StartsAt.UTC()
	}
	switch {
	case req.EndsAt != nil && req.Duration != "":
		return echo.NewHTTPError(http.StatusBadRequest, `request body: give "endsAt" or "duration", not both`)
	case req.EndsAt != nil:
		s.EndsAt = req.EndsAt.UTC()
	case req.Duration != "":
		d, err := alerting.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return echo.NewHTTPError(http.StatusBadRequest, `request body: field "duration" must be a positive duration such as 2h`)
		}
		s.EndsAt = s.StartsAt.Add(time.Duration(d))
	default:
		return echo.NewHTTPError(http.StatusBadRequest, `request body: field "endsAt" or "duration" is required`)
	}
	created, err := a.Silences.Create(c.Request().Context(), s)
	if err != nil {
		if errors.Is(err, silence.ErrInvalid) {
			return echo.NewHTTPError(http.StatusBadRequest, err.Error())
		}
		return fmt.Errorf("create silence: %w", err)
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/silences/"+created.ID)
	return c.JSON(http.StatusCreated, created)
}

func (a *AlertsAPI) expireSilence(c echo.Context) error {
	if err := a.Silences.Expire(c.Request().Context(), c.Param("id")); err != nil {
		return silenceError(err, c.Param("id"))
	}
	return c.NoContent(http.StatusNoContent)
}

func silenceError(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("silence %q not found", id))
	}
	return err
}

// silencesOperations documents the silence routes.
func silencesOperations() []apidocs.Operation {
	tags := []string{"Alerts"}
	silenceID := apidocs.Param{Name: "id", In: "path", Required: true, Description: "silence ID", Example: "5f0c2a9e1b7d4c31"}
	return []apidocs.Operation{
		{Method: "GET", Path: "/api/silences", Tags: tags, Summary: "List silences", Security: apidocs.Viewers,
			Description: "Active and pending silences, newest first, each with its status.state; expired ones only when asked for with state.",
			Params: []apidocs.Param{{Name: "state", In: "query", Description: "comma-separated states: active, pending, expired (default active,pending)",
				Example: "active,pending,expired"}},
			Responses: apidocs.OK("silences", SilenceList{}), Errors: apidocs.StoreBacked},
		{Method: "GET", Path: "/api/silences/:id", Tags: tags, Summary: "Get a silence", Security: apidocs.Viewers,
			Params: []apidocs.Param{silenceID}, Responses: apidocs.OK("the silence and its status", silence.Silence{}), Errors: apidocs.StoreBacked},
		{Method: "POST", Path: "/api/silences", Tags: tags, Summary: "Create a silence", Security: apidocs.Admins,
			Description: fmt.Sprintf("Alertmanager's fields; a matcher without isEqual means equal. At most %d matchers, values of at most %d bytes.",
				silence.MaxMatchers, silence.MaxValueLength),
			Request: SilenceRequest{}, Example: SilenceRequest{
				Matchers: []store.Matcher{{Name: "alertname", Value: "HighErrorRate", IsEqual: true}},
				Duration: "2h", CreatedBy: "ana", Comment: "deploying a fix"},
			Responses: map[int]apidocs.Response{201: {Description: "the silence and its status", Body: silence.Silence{}}}, Errors: apidocs.StoreBacked},
		{Method: "DELETE", Path: "/api/silences/:id", Tags: tags, Summary: "Expire a silence", Security: apidocs.Admins,
			Params: []apidocs.Param{silenceID}, Responses: map[int]apidocs.Response{204: {Description: "expired"}},
			Errors: apidocs.StoreBacked},
	}
}
