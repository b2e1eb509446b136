package readiness

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Errors returned by the package.
var (
	// ErrInvalidConfig wraps every configuration problem.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidURL is returned for a target that is not an absolute http(s) URL.
	ErrInvalidURL = errors.New("invalid target url")
	// ErrUnknownCategory is returned for a category name that does not exist.
	ErrUnknownCategory = errors.New("unknown category")
	// ErrTargetNotAllowed is returned by Service.Start for a target outside the allow-list.
	ErrTargetNotAllowed = errors.New("target not allowed")
	// ErrServiceClosed is returned by Service.Start after Close.
	ErrServiceClosed = errors.New("service closed")
	// ErrTooManyRuns is returned by Service.Start when MaxConcurrent runs are active.
	ErrTooManyRuns = errors.New("too many concurrent runs")
	// ErrUnreachable is returned by Checker.Run when the target cannot be
	// resolved, connected to, or does not answer HTTP: there is nothing to
	// score.
	ErrUnreachable = errors.New("target unreachable")
	// ErrRunTimeout is the cause of a run stopped by Config.RunTimeout.
	ErrRunTimeout = errors.New("readiness run timed out")
)

// DefaultRunTimeout bounds a whole run unless Config.RunTimeout says
// otherwise.
const DefaultRunTimeout = 60 * time.Second

// Config configures a Checker.
type Config struct {
	// BaseURL is the absolute http or https URL of the API. Required.
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer" where a probe needs
	// a valid credential (docs routes, /metrics). Never reported or logged.
	Token string
	// Skip lists category identifiers not to run.
	Skip []string
	// Timeout bounds every request, body included. Default 5s.
	Timeout time.Duration
	// RunTimeout bounds the whole run (ErrRunTimeout). Default
	// DefaultRunTimeout (60s); at most 30m.
	RunTimeout time.Duration
	// AllowedTargets are base URLs, besides BaseURL, that the run may
	// contact, redirects included (the service passes its allow-list).
	// Every other scheme, host and port is refused, at the request and at
	// the connection.
	AllowedTargets []string
	// Perf configures the performance probe.
	Perf PerfConfig
	// Burst configures the rate-limit burst probe.
	Burst BurstConfig
	// HTTPClient is copied (never modified); its Transport is used. Default:
	// a transport with dial, TLS and header timeouts of Timeout.
	HTTPClient *http.Client
	// Progress, when set, is called as categories start and finish.
	Progress func(ProgressEvent)
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// PerfConfig configures the performance probe.
type PerfConfig struct {
	Path         string        // default: the base URL's path
	Warmup       int           // default 10
	Requests     int           // default 200, at most 10000
	Concurrency  int           // default 10, at most 100
	P95Max       time.Duration // default 500ms
	P99Max       time.Duration // default 1s
	ErrorRateMax float64       // default 0.01
	MaxDuration  time.Duration // default 30s: the probe stops there
}

// BurstConfig configures the rate-limit burst probe.
type BurstConfig struct {
	Path        string        // default /api/public when it answers, else the base path
	Max         int           // default 60, at most 1000
	Concurrency int           // default 10
	MaxDuration time.Duration // default and maximum 10s
}

// ProgressEvent reports a category starting (Done false) or finishing.
type ProgressEvent struct {
	Category string `json:"category"`
	Index    int    `json:"index"` // 1-based position among the categories run
	Total    int    `json:"total"` // categories run
	Done     bool   `json:"done"`
	Checks   int    `json:"checks"` // checks the category produced (when Done)
	Failed   int    `json:"failed"`
	Errors   int    `json:"errors"` // checks that could not reach the target
}

func (c Config) defaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.RunTimeout == 0 {
		c.RunTimeout = DefaultRunTimeout
	}
	if c.Perf.Warmup == 0 {
		c.Perf.Warmup = 10
	}
	if c.Perf.Requests == 0 {
		c.Perf.Requests = 200
	}
	if c.Perf.Concurrency == 0 {
		c.Perf.Concurrency = 10
	}
	if c.Perf.P95Max == 0 {
		c.Perf.P95Max = 500 * time.Millisecond
	}
	if c.Perf.P99Max == 0 {
		c.Perf.P99Max = time.Second
	}
	if c.Perf.ErrorRateMax == 0 {
		c.Perf.ErrorRateMax = 0.01
	}
	if c.Perf.MaxDuration == 0 {
		c.Perf.MaxDuration = 30 * time.Second
	}
	if c.Burst.Max == 0 {
		c.Burst.Max = 60
	}
	if c.Burst.Concurrency == 0 {
		c.Burst.Concurrency = 10
	}
	if c.Burst.MaxDuration == 0 {
		c.Burst.MaxDuration = 10 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if _, err := ParseTarget(c.BaseURL); err != nil {
		return err
	}
	if err := ValidateCategories(c.Skip); err != nil {
		return err
	}
	switch {
	case c.Perf.Warmup < 0 || c.Perf.Warmup > 1000:
		return errors.New("perf warmup must be within 0..1000")
	case c.Perf.Requests < 1 || c.Perf.Requests > 10000:
		return errors.New("perf requests must be within 1..10000")
	case c.Perf.Concurrency < 1 || c.Perf.Concurrency > 100:
		return errors.New("perf concurrency must be within 1..100")
	case c.Perf.ErrorRateMax < 0 || c.Perf.ErrorRateMax > 1:
		return errors.New("perf error rate max must be within 0..1")
	case c.Burst.Max < 1 || c.Burst.Max > 1000:
		return errors.New("burst max must be within 1..1000")
	case c.Burst.Concurrency < 1 || c.Burst.Concurrency > 100:
		return errors.New("burst concurrency must be within 1..100")
	case c.Burst.MaxDuration < 0 || c.Burst.MaxDuration > 10*time.Second:
		return errors.New("burst max duration must be within 0..10s")
	case c.RunTimeout < 0 || c.RunTimeout > 30*time.Minute:
		return errors.New("run timeout must be within 0..30m")
	}
	for i, t := range c.AllowedTargets {
		if _, err := ParseTarget(t); err != nil {
			return fmt.Errorf("allowed target %d: %w", i, err)
		}
	}
	return nil
}

// ParseTarget validates an API base URL: absolute, http or https, with a
// host, without credentials, query or fragment. The returned URL has no
// trailing slash in its path.
func ParseTarget(raw string) (*url.URL, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, fmt.Errorf("%w: empty", ErrInvalidURL)
	}
	if len(raw) > 2048 {
		return nil, fmt.Errorf("%w: longer than 2048 bytes", ErrInvalidURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: scheme must be http or https", ErrInvalidURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: missing host", ErrInvalidURL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: credentials in url", ErrInvalidURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: query or fragment not allowed", ErrInvalidURL)
	}
	if p := u.Port(); p != "" {
		var n int
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: bad port", ErrInvalidURL)
		}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// ValidateCategories reports the first name that is not a category.
func ValidateCategories(names []string) error {
	ids := Categories()
	for _, n := range names {
		if !slices.Contains(ids, n) {
			return fmt.Errorf("%w: %q", ErrUnknownCategory, n)
		}
	}
	return nil
}
