package series

import (
	"errors"
	"fmt"
	"time"
)

// ErrInvalidConfig is wrapped by New when the configuration is unusable.
var ErrInvalidConfig = errors.New("invalid configuration")

// Config configures a Store. Zero fields take their defaults.
type Config struct {
	// Step is the fine resolution. Default 10s.
	Step time.Duration `yaml:"step"`
	// FineRetention is how far back fine steps are kept. Default 1h.
	FineRetention time.Duration `yaml:"fine_retention"`
	// CoarseStep is the resolution beyond FineRetention; a multiple of Step.
	// Default 5m.
	CoarseStep time.Duration `yaml:"coarse_step"`
	// Retention is how far back coarse steps are kept and after which idle
	// series are deleted. Default 24h.
	Retention time.Duration `yaml:"retention"`
	// MaxSeries bounds the number of series. Default 10000.
	MaxSeries int `yaml:"max_series"`
	// Staleness is how far back Last looks for a gauge value. Default 5m.
	Staleness time.Duration `yaml:"staleness"`
	// TracesPerRoute is how many span records are kept per kind and route.
	// Default 100.
	TracesPerRoute int `yaml:"traces_per_route"`
	// MaxTraceRoutes bounds the routes with kept span records. Default 1000.
	MaxTraceRoutes int `yaml:"max_trace_routes"`
	// Now is the clock. Default time.Now.
	Now func() time.Time `yaml:"-"`
}

func (c Config) defaults() Config {
	if c.Step == 0 {
		c.Step = 10 * time.Second
	}
	if c.FineRetention == 0 {
		c.FineRetention = time.Hour
	}
	if c.CoarseStep == 0 {
		c.CoarseStep = 5 * time.Minute
	}
	if c.Retention == 0 {
		c.Retention = 24 * time.Hour
	}
	if c.MaxSeries == 0 {
		c.MaxSeries = 10000
	}
	if c.Staleness == 0 {
		c.Staleness = 5 * time.Minute
	}
	if c.TracesPerRoute == 0 {
		c.TracesPerRoute = 100
	}
	if c.MaxTraceRoutes == 0 {
		c.MaxTraceRoutes = 1000
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	if c.Step < time.Millisecond {
		errs = append(errs, fmt.Errorf("step %s: must be at least 1ms", c.Step))
	}
	if c.Step > 0 && (c.CoarseStep < c.Step || c.CoarseStep%c.Step != 0) {
		errs = append(errs, fmt.Errorf("coarse_step %s: must be a multiple of step %s", c.CoarseStep, c.Step))
	}
	if c.Step > 0 && (c.FineRetention < c.Step || c.FineRetention%c.Step != 0) {
		errs = append(errs, fmt.Errorf("fine_retention %s: must be a multiple of step %s", c.FineRetention, c.Step))
	}
	if c.Retention < c.FineRetention || c.Retention < c.CoarseStep {
		errs = append(errs, fmt.Errorf("retention %s: must be at least fine_retention and coarse_step", c.Retention))
	}
	if c.CoarseStep > 0 && c.Retention/c.CoarseStep > 1<<20 {
		errs = append(errs, fmt.Errorf("retention %s: too many coarse steps", c.Retention))
	}
	if c.Step > 0 && c.FineRetention/c.Step > 1<<20 {
		errs = append(errs, fmt.Errorf("fine_retention %s: too many steps", c.FineRetention))
	}
	if c.MaxSeries < 0 || c.MaxSeries > 1<<24 {
		errs = append(errs, fmt.Errorf("max_series %d: must be between 1 and %d", c.MaxSeries, 1<<24))
	}
	if c.Staleness < 0 || c.TracesPerRoute < 0 || c.MaxTraceRoutes < 0 {
		errs = append(errs, errors.New("staleness, traces_per_route and max_trace_routes must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}
