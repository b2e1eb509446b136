package app

import (
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/vigilhq/vigil/alerting"
)

//go:embed demo_rules.yml
var demoRules []byte

// demoAlerting is the demo rule set: the shapes of the default rules with
// windows of seconds and a one-second evaluation interval.
func demoAlerting() (alerting.Config, error) {
	c, err := alerting.ParseConfig(demoRules)
	if err != nil {
		return alerting.Config{}, fmt.Errorf("demo rules: %w", err)
	}
	return c, nil
}

// applyDemo turns on what --demo promises: demo faults, and the demo rule
// set unless the config file has its own alerting section.
func applyDemo(opts *Options, cfg *FileConfig, logger *slog.Logger) error {
	if !opts.Demo {
		return nil
	}
	opts.DemoFaults = true
	if cfg.has("alerting") {
		logger.Info("demo mode: demo faults on; the config file's alerting section replaces the demo rules")
		return nil
	}
	c, err := demoAlerting()
	if err != nil {
		return err
	}
	cfg.Alerting = c
	logger.Warn("demo mode: demo faults on and demo rules with windows of seconds; not for production")
	return nil
}
