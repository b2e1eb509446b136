package readiness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
	"github.com/vigilhq/vigil/internal/configfile"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// RunStore persists readiness runs (store.Store satisfies it).
type RunStore interface {
	CreateRun(ctx context.Context, r store.ReadinessRun) error
	UpdateRun(ctx context.Context, r store.ReadinessRun) error
	GetRun(ctx context.Context, id string) (store.ReadinessRun, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]store.ReadinessRun, error)
}

// FileConfig is the `readiness:` section of the YAML configuration.
type FileConfig struct {
	// AllowedTargets are the exact base URLs the API may check; a run
	// contacts nothing else (redirects included).
	AllowedTargets []string `yaml:"allowed_targets" json:"allowed_targets"`
	// RunTimeout bounds one run; a run past it fails with "readiness run
	// timed out". Optional. Default value 60s; at most 30m.
	RunTimeout time.Duration `yaml:"run_timeout,omitempty" json:"run_timeout,omitempty"`
}

// Validate reports every problem of the section, each a
// [configfile.FieldError] naming its key from the file's root
// (readiness.allowed_targets[1]).
func (f FileConfig) Validate() error {
	var errs []error
	for i, t := range f.AllowedTargets {
		if _, err := ParseTarget(t); err != nil {
			errs = append(errs, configfile.Errorf(configfile.Index("readiness.allowed_targets", i), "%v", err))
		}
	}
	if f.RunTimeout < 0 || f.RunTimeout > 30*time.Minute || (f.RunTimeout > 0 && f.RunTimeout < time.Second) {
		errs = append(errs, configfile.Errorf("readiness.run_timeout", "must be within 1s..30m, got %s", f.RunTimeout))
	}
	return errors.Join(errs...)
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
	for i, t := range cfg.AllowedTargets {
		u, err := ParseTarget(t)
		if err != nil {
			return nil, configfile.Invalid(ErrInvalidConfig, configfile.Errorf(configfile.Index("readiness.allowed_targets", i), "%v", err))
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
	log := s.cfg.Logger.With("run", run.ID, "target", run.Target)
	update := func() {
		if err := s.cfg.Store.UpdateRun(context.WithoutCancel(s.ctx), run); err != nil {
			log.Error("readiness: update run", "err", err)
		}
	}
	cfg := s.cfg.Checker
	cfg.BaseURL = run.Target
	cfg.AllowedTargets = s.cfg.AllowedTargets
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
			run.Status, run.Error = store.RunFailed, oneLine(err)
			run.Score, run.Grade, run.Report = 0, "", nil
			log.Warn("readiness: run failed", "err", run.Error)
		}
		update()
		<-s.sem // the slot is free once the run is stored
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
	if err := httpapi.RequireMediaType(req, echo.MIMEApplicationJSON); err != nil {
		return err
	}
	body, err := httpapi.ReadBody(c, maxStartBody)
	if err != nil {
		return err
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

// maxStartBody bounds the body of POST /api/readiness/runs.
const maxStartBody = 64 << 10

// ParseStartRequest decodes a POST /api/readiness/runs body; errors name
// the field.
func ParseStartRequest(body []byte) (StartRequest, error) {
	var sr StartRequest
	if err := httpapi.UnmarshalJSON(body, &sr); err != nil {
		return sr, err
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

// oneLine keeps an error to one line (dial errors are joined with
// newlines).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Paging bounds of [Service.HandleList].
const (
	DefaultRunsLimit = 20
	MaxRunsLimit     = 100
)

// RunSummary is a run without its report, as GET /api/readiness/runs
// lists it; Score and Grade only once it is done; Link is where the run and
// its report are.
type RunSummary struct {
	ID         string     `json:"id"`
	Target     string     `json:"target"`
	Status     string     `json:"status"`
	Progress   int        `json:"progress"`
	Total      int        `json:"total"`
	Score      *float64   `json:"score,omitempty"`
	Grade      string     `json:"grade,omitempty"`
	Error      string     `json:"error,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Link       string     `json:"link"`
}

func summarize(r store.ReadinessRun) RunSummary {
	s := RunSummary{ID: r.ID, Target: r.Target, Status: r.Status, Progress: r.Progress, Total: r.Total,
		Error: r.Error, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
		Link: "/api/readiness/runs/" + r.ID}
	if r.Status == store.RunDone {
		score := r.Score
		s.Score, s.Grade = &score, r.Grade
	}
	return s
}

// RunsPage is the body of GET /api/readiness/runs. NextBefore, when set,
// is the `before` parameter of the next (older) page.
type RunsPage struct {
	Runs       []RunSummary `json:"runs"`
	NextBefore string       `json:"next_before,omitempty"`
}

// ParseRunsQuery validates limit (1..100, default 20) and before (a run
// ID). Errors are httpapi.ParamErrors naming the parameter.
func ParseRunsQuery(get func(string) string) (store.RunFilter, error) {
	f := store.RunFilter{Limit: DefaultRunsLimit}
	limit, err := httpapi.Int("limit", get("limit"), DefaultRunsLimit, 1, MaxRunsLimit)
	if err != nil {
		return f, err
	}
	f.Limit = limit
	if b := get("before"); b != "" {
		if len(b) > 64 || strings.Trim(b, "0123456789abcdef") != "" {
			return f, &httpapi.ParamError{Name: "before", Reason: "must be a run id"}
		}
		f.Before = b
	}
	return f, nil
}

// HandleList is GET /api/readiness/runs?limit=&before=: runs newest first,
// without their reports.
func (s *Service) HandleList(c echo.Context) error {
	f, err := ParseRunsQuery(c.QueryParam)
	if err != nil {
		return httpapi.ParamProblem(err)
	}
	ctx := c.Request().Context()
	if f.Before != "" {
		if _, err := s.cfg.Store.GetRun(ctx, f.Before); errors.Is(err, store.ErrNotFound) {
			return httpapi.ParamProblem(&httpapi.ParamError{Name: "before", Reason: "unknown run id"})
		} else if err != nil {
			return fmt.Errorf("list readiness runs: %w", err)
		}
	}
	runs, err := s.cfg.Store.ListRuns(ctx, f)
	if err != nil {
		return fmt.Errorf("list readiness runs: %w", err)
	}
	page := RunsPage{Runs: make([]RunSummary, 0, len(runs))}
	for _, r := range runs {
		page.Runs = append(page.Runs, summarize(r))
	}
	if len(runs) == f.Limit {
		page.NextBefore = runs[len(runs)-1].ID
	}
	return c.JSON(http.StatusOK, page)
}

// Register mounts POST and GET /api/readiness/runs and GET
// /api/readiness/runs/:id behind admin.
func (s *Service) Register(e *echo.Echo, admin echo.MiddlewareFunc) {
	e.POST("/api/readiness/runs", s.HandleStart, admin)
	e.GET("/api/readiness/runs", s.HandleList, admin)
	e.GET("/api/readiness/runs/:id", s.HandleGet, admin)
}

// Operations documents the routes [Service.Register] mounts.
func Operations() []apidocs.Operation {
	tags := []string{"Readiness"}
	return []apidocs.Operation{
		{Method: "POST", Path: "/api/readiness/runs", Tags: tags, Summary: "Start a readiness check",
			Description: "Only targets in the configuration's `readiness.allowed_targets` are accepted; anything else is 403.",
			Security:    apidocs.Admins, Request: StartRequest{}, Example: StartRequest{Target: "http://127.0.0.1:8000"},
			Responses: map[int]apidocs.Response{202: {Description: "the queued run", Body: store.ReadinessRun{}}},
			Errors:    []int{http.StatusTooManyRequests, http.StatusServiceUnavailable}},
		{Method: "GET", Path: "/api/readiness/runs", Tags: tags, Summary: "Readiness runs, newest first",
			Description: "Runs without their reports; score and grade only once a run is done. Page with `before`, the `next_before` of the previous page.",
			Security:    apidocs.Admins, Params: []apidocs.Param{
				{Name: "limit", In: "query", Schema: apidocs.IntRange(1, MaxRunsLimit, DefaultRunsLimit)},
				{Name: "before", In: "query", Description: "page before this run ID", Example: "4f0c9a7d2b1e4c3a9f8e7d6c5b4a3928"}},
			Responses: apidocs.OK("a page of runs", RunsPage{}), Errors: apidocs.StoreBacked},
		{Method: "GET", Path: "/api/readiness/runs/:id", Tags: tags, Summary: "A readiness run and its report",
			Security: apidocs.Admins, Params: []apidocs.Param{{Name: "id", In: "path", Required: true}},
			Responses: apidocs.OK("the run", store.ReadinessRun{}), Errors: apidocs.StoreBacked},
	}
}
