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
		return echo.NewHTTPError(http.StatusBadRequest,
			`query parameter "state": must be a comma-separated list of active, pending and expired`)
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
	if err := decodeJSON(c, &req); err != nil {
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
