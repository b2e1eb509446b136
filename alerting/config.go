package alerting

import (
	"errors"
	"net/url"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/alerting/notify"
	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/internal/configfile"
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
	// SilenceRetention is how long an expired silence is kept (and listed
	// with state=expired) before it is deleted. Default 120h, as
	// Alertmanager's --data.retention; at least 1h.
	SilenceRetention Duration `yaml:"silence_retention,omitempty" json:"silence_retention,omitempty"`

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
		SilenceRetention:   Duration(silence.DefaultRetention),
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
// applies; an empty list (`rules: []`) means no rules. Problems are
// [configfile.FieldError]s naming their keys from the file's root
// (alerting.rules[2].threshold).
func ParseConfig(b []byte, opts ...ParseOption) (Config, error) {
	var po parseOptions
	for _, o := range opts {
		o.apply(&po)
	}
	root, err := configfile.Parse(b)
	if err != nil {
		return Config{}, configfile.Invalid(ErrInvalidConfig, err)
	}
	node := root
	if v := valueOf(root, "alerting"); v != nil {
		node = v
	}
	var cfg Config
	if node == nil {
		node = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	if err := cfg.UnmarshalYAML(node); err != nil {
		return Config{}, configfile.Invalid(ErrInvalidConfig, configfile.Under("alerting", err))
	}
	slos := []SLO(nil)
	if po.slosSet {
		slos = po.slos
		if slos == nil {
			slos = []SLO{}
		}
	}
	if err := cfg.Resolve(slos); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// UnmarshalYAML decodes the section strictly over the defaults: without a
// `rules` key DefaultRules applies, and an evaluation_interval that is
// given must be > 0. Its problems name keys inside the section. The
// configuration is validated by [Config.Resolve], once the SLOs are known.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	type plain Config
	cfg := defaultConfig()
	cfg.Rules = nil
	if err := configfile.Decode(n, (*plain)(&cfg)); err != nil {
		return err
	}
	if cfg.Rules == nil && valueOf(n, "rules") == nil {
		cfg.Rules = DefaultRules()
	}
	if valueOf(n, "evaluation_interval") != nil && cfg.EvaluationInterval <= 0 {
		return configfile.Errorf("evaluation_interval", "must be > 0 (omit it for the default 5s)")
	}
	if valueOf(n, "silence_retention") != nil && cfg.SilenceRetention < Duration(time.Hour) {
		return configfile.Errorf("silence_retention", "must be at least 1h (default 120h)")
	}
	*c = cfg
	return nil
}

// Resolve takes the SLOs of the configuration's `slos` section (nil:
// DefaultSLOs), fills the defaults that depend on them and validates.
func (c *Config) Resolve(slos []SLO) error {
	if slos != nil {
		c.SLOs = slos
	}
	c.applyDefaults()
	return c.Validate()
}

// valueOf returns the value of key in the mapping n, or nil.
func valueOf(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func (c *Config) applyDefaults() {
	d := defaultConfig()
	if c.EvaluationInterval == 0 {
		c.EvaluationInterval = d.EvaluationInterval
	}
	if c.SilenceRetention == 0 {
		c.SilenceRetention = d.SilenceRetention
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

// Validate reports every problem of the configuration, each a
// [configfile.FieldError] naming its key from the file's root (for example
// `alerting.rules[2].threshold: must be > 0`; the SLOs' under `slos`).
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, configfile.Errorf(path, format, args...))
	}
	if c.EvaluationInterval <= 0 {
		bad("evaluation_interval", "must be > 0")
	}
	if c.SilenceRetention != 0 && c.SilenceRetention < Duration(time.Hour) { // 0: the default
		bad("silence_retention", "must be at least 1h (default 120h)")
	}
	if c.ExternalURL != "" {
		if u, err := url.Parse(c.ExternalURL); err != nil || u.Scheme == "" || u.Host == "" {
			bad("external_url", "must be an absolute URL")
		}
	}
	slos := slices.Clone(c.slos())
	sloErr := CheckSLOs(slos, 0)
	names := map[string]bool{}
	for i := range c.Rules {
		c.Rules[i].resolveSLOs(slos)
		validateRule(&c.Rules[i], configfile.Index("rules", i), names, bad)
	}
	if err := notify.ValidateReceivers(c.Receivers); err != nil {
		errs = append(errs, err)
	}
	recv := map[string]bool{}
	for _, r := range c.Receivers {
		recv[r.Name] = true
	}
	c.Route.validate(recv, bad)
	return configfile.Invalid(ErrInvalidConfig, configfile.Under("alerting", errors.Join(errs...)), configfile.Under("slos", sloErr))
}

// slos are the configuration's SLOs: DefaultSLOs unless set.
func (c *Config) slos() []SLO {
	if c.SLOs == nil {
		return DefaultSLOs()
	}
	return c.SLOs
}
