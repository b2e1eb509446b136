package readiness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/store"
)

// RunStore persists readiness runs (store.Store satisfies it).
type RunStore interface {
	CreateRun(ctx context.Context, r store.ReadinessRun) error
	UpdateRun(ctx context.Context, r store.ReadinessRun) error
	GetRun(ctx context.Context, id string) (store.ReadinessRun, error)
}

// FileConfig is the `readiness:` section of the YAML configuration.
type FileConfig struct {
	// AllowedTargets are the exact base URLs the API may check.
	AllowedTargets []string `yaml:"allowed_targets" json:"allowed_targets"`
}

// ServiceConfig configures the API-facing Service.
type ServiceConfig struct {
	// AllowedTargets are the only base URLs a run may target (exact match
	// after normalisation by ParseTarget). Empty: every Start is refused.
	AllowedTargets []string
	// Store persists runs. Required.
	Store RunStore
	// Checker holds defaults for every run; BaseURL and Progress are set per run.
	Checker Config
	// MaxConcurrent bounds simultaneous runs. Optional. Default 2.
	MaxConcurrent int
	// Logger. Optional. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Optional. Default time.Now.
	Now func() time.Time
	// Principal names who started a run from the request. Optional.
	// Default: the "principal" context value if it is a string, else "admin".
	Principal func(c echo.Context) string
	// OnDone, when set, is called after a run is finished and stored.
	OnDone func(store.ReadinessRun)
}

// Service starts readiness runs in the background against allow-listed
// targets and stores their progress and reports.
type Service struct {
	cfg     ServiceConfig
	allowed map[string]bool
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	sem     chan struct{}
	mu      sync.Mutex
	closed  bool
}

// NewService validates cfg and returns a Service. Call Close to stop it.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: store is required", ErrInvalidConfig)
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Principal == nil {
		cfg.Principal = func(c echo.Context) string {
			if s, ok := c.Get("principal").(string); ok && s != "" {
				return s
			}
			return "admin"
		}
	}
	allowed := map[string]bool{}
	for _, t := range cfg.AllowedTargets {
		u, err := ParseTarget(t)
		if err != nil {
			return nil, fmt.Errorf("%w: readiness.allowed_targets: %w", ErrInvalidConfig, err)
		}
		allowed[u.String()] = true
	}
	probe := cfg.Checker
	probe.BaseURL = "http://127.0.0.1"
	if _, err := New(probe); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, allowed: allowed, ctx: ctx, cancel: cancel, sem: make(chan struct{}, cfg.MaxConcurrent)}, nil
}

func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Start stores a new run and checks target in the background. The target
// must be in the allow-list (ErrTargetNotAllowed): the service never
// fetches an arbitrary URL.
func (s *Service) Start(ctx context.Context, target, by string) (store.ReadinessRun, error) {
	u, err := ParseTarget(target)
	if err != nil {
		return store.ReadinessRun{}, err
	}
	if !s.allowed[u.String()] {
		return store.ReadinessRun{}, fmt.Errorf("%w: %s", ErrTargetNotAllowed, u.String())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ReadinessRun{}, ErrServiceClosed
	}
	select {
	case s.sem <- struct{}{}:
	default:
		return store.ReadinessRun{}, ErrTooManyRuns
	}
	run := store.ReadinessRun{
		ID: newRunID(), Target: u.String(), Status: store.RunQueued,
		CreatedBy: by, CreatedAt: s.cfg.Now().UTC(),
	}
	if err := s.cfg.Store.CreateRun(ctx, run); err != nil {
		<-s.sem
		return store.ReadinessRun{}, fmt.Errorf("create run: %w", err)
	}
	s.wg.Add(1)
	go s.execute(run)
	return run, nil
}

func (s *Service) execute(run store.ReadinessRun) {
	defer s.wg.Done()
	defer func() { <-s.sem }()
	log := s.cfg.Logger.With("run", run.ID, "target", run.Target)
	update := func() {
		if err := s.cfg.Store.UpdateRun(context.WithoutCancel(s.ctx), run); err != nil {
			log.Error("readiness: update run", "err", err)
		}
	}
	cfg := s.cfg.Checker
	cfg.BaseURL = run.Target
	cfg.Progress = func(ev ProgressEvent) {
		run.Status, run.Total = store.RunRunning, ev.Total
		if ev.Done {
			run.Progress = ev.Index
		}
		update()
	}
	finish := func(err error) {
		now := s.cfg.Now().UTC()
		run.FinishedAt = &now
		if err != nil {
			run.Status, run.Error = store.RunFailed, err.Error()
			log.Warn("readiness: run failed", "err", err)
		}
		update()
		if s.cfg.OnDone != nil {
			s.cfg.OnDone(run)
		}
	}
	c, err := New(cfg)
	if err != nil {
		finish(err)
		return
	}
	run.Status = store.RunRunning
	update()
	rep, err := c.Run(s.ctx)
	if err != nil {
		finish(err)
		return
	}
	b, err := json.Marshal(rep)
	if err != nil {
		finish(fmt.Errorf("encode report: %w", err))
		return
	}
	run.Status, run.Score, run.Grade, run.Report = store.RunDone, rep.Score, rep.Grade, b
	log.Info("readiness: run done", "score", rep.Score, "grade", rep.Grade)
	finish(nil)
}

// Get returns a stored run (store.ErrNotFound when unknown).
func (s *Service) Get(ctx context.Context, id string) (store.ReadinessRun, error) {
	r, err := s.cfg.Store.GetRun(ctx, id)
	if err != nil {
		return store.ReadinessRun{}, fmt.Errorf("get run: %w", err)
	}
	return r, nil
}

// Close cancels running checks and waits for them to be stored.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// StartRequest is the body of POST /api/readiness/runs.
type StartRequest struct {
	Target string `json:"target"`
}

// HandleStart is POST /api/readiness/runs: body {"target": "http://..."}.
// 202 with the run and a Location header; 403 for a target outside the
// allow-list; 400 naming the field for a bad body.
func (s *Service) HandleStart(c echo.Context) error {
	req := c.Request()
	if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt != "application/json" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "content type must be application/json")
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 64<<10+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "body: unreadable")
	}
	if len(body) > 64<<10 {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body: larger than 64 KiB")
	}
	sr, err := ParseStartRequest(body)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	run, err := s.Start(req.Context(), sr.Target, s.cfg.Principal(c))
	switch {
	case errors.Is(err, ErrTargetNotAllowed):
		return echo.NewHTTPError(http.StatusForbidden, "target: not in readiness.allowed_targets")
	case errors.Is(err, ErrInvalidURL):
		return echo.NewHTTPError(http.StatusBadRequest, "target: "+err.Error())
	case errors.Is(err, ErrTooManyRuns):
		c.Response().Header().Set("Retry-After", "30")
		return echo.NewHTTPError(http.StatusTooManyRequests, "too many readiness runs in progress")
	case errors.Is(err, ErrServiceClosed):
		return echo.NewHTTPError(http.StatusServiceUnavailable, "shutting down")
	case err != nil:
		return fmt.Errorf("start readiness run: %w", err)
	}
	c.Response().Header().Set("Location", "/api/readiness/runs/"+run.ID)
	return c.JSON(http.StatusAccepted, run)
}

// ParseStartRequest decodes a POST /api/readiness/runs body; errors name
// the field.
func ParseStartRequest(body []byte) (StartRequest, error) {
	var sr StartRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sr); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return sr, fmt.Errorf("%s: must be a %s", ute.Field, ute.Type)
		}
		return sr, fmt.Errorf("body: malformed json or unknown field")
	}
	if dec.More() {
		return sr, errors.New("body: trailing data")
	}
	if sr.Target == "" {
		return sr, errors.New("target: required")
	}
	if _, err := ParseTarget(sr.Target); err != nil {
		return sr, fmt.Errorf("target: %w", err)
	}
	return sr, nil
}

// HandleGet is GET /api/readiness/runs/:id: the run, its progress and,
// once done, its report.
func (s *Service) HandleGet(c echo.Context) error {
	id := c.Param("id")
	if id == "" || len(id) > 64 {
		return echo.NewHTTPError(http.StatusNotFound, "readiness run not found")
	}
	run, err := s.Get(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "readiness run not found")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, run)
}
