package readiness

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
)

// Checker runs readiness probes against one API.
type Checker struct {
	cfg     Config
	base    *url.URL
	targets []*url.URL // base first, then the other allowed targets
}

// New validates cfg and returns a Checker.
func New(cfg Config) (*Checker, error) {
	cfg = cfg.defaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	base, _ := ParseTarget(cfg.BaseURL)
	targets := []*url.URL{base}
	for _, t := range cfg.AllowedTargets {
		u, _ := ParseTarget(t)
		targets = append(targets, u)
	}
	return &Checker{cfg: cfg, base: base, targets: targets}, nil
}

type seenCookie struct {
	raw string
	ex  *exchange
}

type stackHit struct {
	match string
	ex    *exchange
}

type versionHit struct {
	header, value string
	ex            *exchange
}

// run is the state of one Run: clients, collectors, discovered documents.
type run struct {
	cfg        Config
	base       *url.URL
	guard      *guard
	client     *http.Client
	noRedirect *http.Client
	answers    atomic.Int64 // HTTP responses received

	mu            sync.Mutex
	cookies       []seenCookie
	stacks        []stackHit
	versions      []versionHit
	versionSeen   map[string]bool
	noContentType []*exchange

	rootOnce sync.Once
	root     *exchange

	specOnce sync.Once
	spec     *apiSpec
	specLast *exchange // last discovery attempt, evidence when nothing is found
}

type categoryFunc func(ctx context.Context, r *run) []Check

// execution order: observers (cookies, headers, errors) after the probes
// that feed them; burst last since it may exhaust a rate limit.
var execOrder = []string{
	CatHealth, CatTLS, CatCORS, CatAuthentication, CatExposure, CatConventions,
	CatDocs, CatPerformance, CatErrors, CatCookies, CatHeaders, CatRateLimit,
}

func (c *Checker) funcs() map[string]categoryFunc {
	return map[string]categoryFunc{
		CatHealth:         checkHealth,
		CatTLS:            checkTLS,
		CatHeaders:        nil, // special: produces the Observatory result
		CatCORS:           checkCORS,
		CatCookies:        checkCookies,
		CatAuthentication: checkAuth,
		CatExposure:       checkExposure,
		CatRateLimit:      checkRateLimit,
		CatPerformance:    checkPerformance,
		CatErrors:         checkErrors,
		CatConventions:    checkConventions,
		CatDocs:           checkDocs,
	}
}

// Run probes the target and returns the report. It returns an error, and
// no report, when ctx is cancelled, when the run exceeds Config.RunTimeout
// (ErrRunTimeout) and when the target cannot be reached at all
// (ErrUnreachable: its host does not resolve, nothing accepts the
// connection, or neither / nor /health answers HTTP): a report then would
// score checks that proved nothing.
func (c *Checker) Run(ctx context.Context) (*Report, error) {
	cfg := c.cfg
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.RunTimeout,
		fmt.Errorf("%w after %s", ErrRunTimeout, cfg.RunTimeout))
	defer cancel()
	g, err := newGuard(ctx, net.Dialer{Timeout: cfg.Timeout}, c.targets)
	if err != nil {
		return nil, err
	}
	cl := newClient(cfg, g)
	nr := *cl
	nr.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r := &run{cfg: cfg, base: c.base, guard: g, client: cl, noRedirect: &nr, versionSeen: map[string]bool{}}
	defer cl.CloseIdleConnections()
	if err := r.preflight(ctx); err != nil {
		return nil, err
	}

	rep := &Report{Target: c.base.String(), StartedAt: cfg.Now().UTC()}
	results := map[string][]Check{}
	var active []string
	for _, id := range execOrder {
		if !slices.Contains(cfg.Skip, id) {
			active = append(active, id)
		}
	}
	fns := c.funcs()
	for i, id := range active {
		if err := ctx.Err(); err != nil {
			return nil, runErr(ctx)
		}
		if cfg.Progress != nil {
			cfg.Progress(ProgressEvent{Category: id, Index: i + 1, Total: len(active)})
		}
		var checks []Check
		if id == CatHeaders {
			obs, hc := safeObservatory(ctx, r)
			rep.Observatory, checks = obs, hc
		} else {
			checks = safeRun(ctx, r, id, fns[id])
		}
		results[id] = checks
		if cfg.Progress != nil {
			failed, errored := 0, 0
			for _, ch := range checks {
				switch ch.Result {
				case Fail:
					failed++
				case Error:
					errored++
				}
			}
			cfg.Progress(ProgressEvent{Category: id, Index: i + 1, Total: len(active), Done: true, Checks: len(checks), Failed: failed, Errors: errored})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, runErr(ctx)
	}
	for _, ci := range categories {
		cr := CategoryResult{ID: ci.id, Name: ci.name, Weight: ci.weight, Checks: results[ci.id]}
		if slices.Contains(cfg.Skip, ci.id) {
			cr.Checks = []Check{{ID: ci.id + ".skipped", Title: "Category skipped", Result: Skip, Severity: SevInfo, Detail: "skipped by configuration"}}
		}
		rep.Categories = append(rep.Categories, cr)
	}
	rep.FinishedAt = cfg.Now().UTC()
	rep.Finalize()
	judged := 0
	for _, c := range rep.Categories {
		if !c.Skipped {
			judged++
		}
	}
	if judged == 0 && rep.Summary.Errors > 0 {
		return nil, fmt.Errorf("%w: %s: no check could be judged (%d probes did not reach it)", ErrUnreachable, r.base.String(), rep.Summary.Errors)
	}
	return rep, nil
}

// runErr is the error of a run that ctx ended: the run timeout as is,
// anything else (cancellation) as the cause of the stop.
func runErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrRunTimeout) {
		return cause
	}
	return fmt.Errorf("readiness run: %w", cause)
}

// preflight makes sure the target can be reached: a connection to it (or
// an answer). Otherwise the run stops with ErrUnreachable. A target that
// takes connections and then misbehaves is reached: its checks fail (and a
// target that never answers runs into Config.RunTimeout).
func (r *run) preflight(ctx context.Context) error {
	root := r.getRoot(ctx)
	if root.connected.Load() || root.answered() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return runErr(ctx)
	}
	return fmt.Errorf("%w: %s: %w", ErrUnreachable, r.base.String(), root.err)
}

// safeRun runs fn, turning a panic into a failed check.
func safeRun(ctx context.Context, r *run, id string, fn categoryFunc) (checks []Check) {
	defer func() {
		if p := recover(); p != nil {
			checks = append(checks, panicCheck(id, p))
		}
	}()
	return fn(ctx, r)
}

func panicCheck(id string, p any) Check {
	_ = debug.Stack // the stack is not reported: it is the checker's, not the target's
	return Check{
		ID: id + ".probe_panic", Title: "Probe crashed", Result: Fail, Severity: SevMedium,
		Detail:         fmt.Sprintf("the probe panicked: %v", p),
		Recommendation: "The target's answers crashed a probe; please report this with the evidence of the other checks.",
	}
}

// getRoot fetches the base URL once per run.
func (r *run) getRoot(ctx context.Context) *exchange {
	r.rootOnce.Do(func() { r.root = r.do(ctx, reqSpec{path: ""}) })
	return r.root
}

// apiSpec is the discovered OpenAPI document.
type apiSpec struct {
	x        *exchange
	path     string
	doc      *openapi3.T
	loadErr  error
	validErr error
	swagger2 bool
}
