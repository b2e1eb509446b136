package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/vigilhq/vigil/alerting/notify"
	"go.yaml.in/yaml/v3"
)

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// DefaultPagerDutyURL is the PagerDuty Events v2 endpoint.
const DefaultPagerDutyURL = notify.DefaultPagerDutyURL

// Config is the `alerting` section of Vigil's configuration file.
type Config struct {
	// EvaluationInterval is how often rules are evaluated. Default 5s.
	EvaluationInterval Duration `yaml:"evaluation_interval" json:"evaluation_interval"`
	// ExternalURL is Vigil's public URL, used in notifications. Optional.
	ExternalURL string `yaml:"external_url,omitempty" json:"external_url,omitempty"`
	// Rules to evaluate. DefaultRules applies when the list is absent.
	Rules []Rule `yaml:"rules" json:"rules"`
	// Receivers of notifications. Without receivers nothing is sent.
	Receivers []Receiver `yaml:"receivers,omitempty" json:"receivers,omitempty"`
	// Route decides which receiver gets which alerts and how they are grouped.
	Route Route `yaml:"route" json:"route"`

	// SLOs are the objectives of the `slos` section (a sibling of
	// `alerting`, set by whoever loads the file): burn-rate rules with `slo`
	// evaluate them. nil means DefaultSLOs; an empty list means none.
	SLOs []SLO `yaml:"-" json:"-"`
}

// Receiver is a named set of integrations (see notify.Receiver).
type Receiver = notify.Receiver

// Integration configurations, defined with their integrations in notify.
type (
	WebhookConfig   = notify.WebhookConfig
	SlackConfig     = notify.SlackConfig
	EmailConfig     = notify.EmailConfig
	PagerDutyConfig = notify.PagerDutyConfig
	MSTeamsConfig   = notify.MSTeamsConfig
	DiscordConfig   = notify.DiscordConfig
	OpsgenieConfig  = notify.OpsgenieConfig
	TelegramConfig  = notify.TelegramConfig
)

// DefaultConfig is the configuration used when none is given: DefaultRules,
// a 5s evaluation interval and no receivers.
func DefaultConfig() Config {
	c := defaultConfig()
	c.applyDefaults()
	return c
}

func defaultConfig() Config {
	return Config{
		EvaluationInterval: Duration(5 * time.Second),
		Rules:              DefaultRules(),
		SLOs:               DefaultSLOs(),
		Route: Route{
			GroupBy:        []string{"alertname", "route"},
			GroupWait:      Duration(30 * time.Second),
			GroupInterval:  Duration(5 * time.Minute),
			RepeatInterval: Duration(4 * time.Hour),
		},
	}
}

// ParseOption changes how ParseConfig reads a section.
type ParseOption interface{ apply(*parseOptions) }

type parseOptions struct {
	slos    []SLO
	slosSet bool
}

type optionFunc func(*parseOptions)

func (f optionFunc) apply(o *parseOptions) { f(o) }

// WithSLOs gives the SLOs of the configuration's `slos` section, which
// burn-rate rules with `slo` evaluate. Default DefaultSLOs; an empty list
// means none.
func WithSLOs(slos []SLO) ParseOption {
	return optionFunc(func(o *parseOptions) { o.slos, o.slosSet = slos, true })
}

// ParseConfig parses the alerting section (the value of the `alerting` key,
// or a whole document that has an `alerting` key), fills defaults and
// validates. Unknown keys are errors. Without a `rules` key DefaultRules
// applies; an empty list (`rules: []`) means no rules.
func ParseConfig(b []byte, opts ...ParseOption) (Config, error) {
	var po parseOptions
	for _, o := range opts {
		o.apply(&po)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	node := &root
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "alerting" {
				node = m.Content[i+1]
			}
		}
	}
	var buf bytes.Buffer
	if node.Kind != 0 {
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(node); err != nil {
			return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
	}
	cfg := defaultConfig()
	cfg.Rules = nil
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Rules == nil && !hasKey(node, "rules") {
		cfg.Rules = DefaultRules()
	}
	if po.slosSet {
		cfg.SLOs = po.slos
		if cfg.SLOs == nil {
			cfg.SLOs = []SLO{}
		}
	}
	cfg.applyDefaults()
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func hasKey(n *yaml.Node, key string) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

func (c *Config) applyDefaults() {
	d := defaultConfig()
	if c.EvaluationInterval == 0 {
		c.EvaluationInterval = d.EvaluationInterval
	}
	if c.Route.Receiver == "" && len(c.Receivers) > 0 {
		c.Route.Receiver = c.Receivers[0].Name
	}
	slos := c.slos()
	for i := range c.Rules {
		c.Rules[i].applyDefaults(slos)
	}
	for i := range c.Receivers {
		if p := c.Receivers[i].PagerDuty; p != nil && p.URL == "" {
			p.URL = DefaultPagerDutyURL
		}
	}
	c.Route.applyDefaults(d.Route)
}

// Validate reports every problem of the configuration, each prefixed with
// its field path (for example `rules[2].threshold: must be > 0`).
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{path}, args...)...))
	}
	if c.EvaluationInterval <= 0 {
		bad("evaluation_interval", "must be > 0")
	}
	if c.ExternalURL != "" {
		if u, err := url.Parse(c.ExternalURL); err != nil || u.Scheme == "" || u.Host == "" {
			bad("external_url", "must be an absolute URL")
		}
	}
	slos := slices.Clone(c.slos())
	if err := CheckSLOs(slos, 0); err != nil {
		errs = append(errs, err)
	}
	names := map[string]bool{}
	for i := range c.Rules {
		c.Rules[i].resolveSLOs(slos)
		validateRule(&c.Rules[i], fmt.Sprintf("rules[%d]", i), names, bad)
	}
	if err := notify.ValidateReceivers(c.Receivers); err != nil {
		errs = append(errs, err)
	}
	recv := map[string]bool{}
	for _, r := range c.Receivers {
		recv[r.Name] = true
	}
	c.Route.validate(recv, bad)
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
	}
	return nil
}

// slos are the configuration's SLOs: DefaultSLOs unless set.
func (c *Config) slos() []SLO {
	if c.SLOs == nil {
		return DefaultSLOs()
	}
	return c.SLOs
}
