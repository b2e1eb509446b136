package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// DefaultPagerDutyURL is the PagerDuty Events v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

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

// Receiver is a named set of integrations. A receiver without integrations
// discards notifications.
type Receiver struct {
	Name      string           `yaml:"name" json:"name"`
	Webhook   *WebhookConfig   `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	Slack     *SlackConfig     `yaml:"slack,omitempty" json:"slack,omitempty"`
	Email     *EmailConfig     `yaml:"email,omitempty" json:"email,omitempty"`
	PagerDuty *PagerDutyConfig `yaml:"pagerduty,omitempty" json:"pagerduty,omitempty"`
}

// WebhookConfig posts the Alertmanager v4 payload to URL.
type WebhookConfig struct {
	URL     string            `yaml:"url" json:"url"`
	Headers map[string]string `yaml:"headers,omitempty" json:"-"`
}

// SlackConfig posts to a Slack incoming webhook.
type SlackConfig struct {
	URL     string `yaml:"url" json:"-"`
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
}

// EmailConfig sends plain-text mail through an SMTP server.
type EmailConfig struct {
	SMTP        string   `yaml:"smtp" json:"smtp"` // host:port
	From        string   `yaml:"from" json:"from"`
	To          []string `yaml:"to" json:"to"`
	Username    string   `yaml:"username,omitempty" json:"username,omitempty"`
	PasswordEnv string   `yaml:"password_env,omitempty" json:"password_env,omitempty"` // name of the environment variable holding the password
}

// PagerDutyConfig sends PagerDuty Events v2.
type PagerDutyConfig struct {
	RoutingKey    string `yaml:"routing_key,omitempty" json:"-"`
	RoutingKeyEnv string `yaml:"routing_key_env,omitempty" json:"routing_key_env,omitempty"`
	URL           string `yaml:"url,omitempty" json:"url,omitempty"` // default DefaultPagerDutyURL
}

// Route sends every alert to one receiver, grouped by GroupBy.
type Route struct {
	Receiver       string   `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	GroupBy        []string `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	GroupWait      Duration `yaml:"group_wait" json:"group_wait"`           // default 30s
	GroupInterval  Duration `yaml:"group_interval" json:"group_interval"`   // default 5m
	RepeatInterval Duration `yaml:"repeat_interval" json:"repeat_interval"` // default 4h
}

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
	if c.Route.GroupInterval == 0 {
		c.Route.GroupInterval = d.Route.GroupInterval
	}
	if c.Route.RepeatInterval == 0 {
		c.Route.RepeatInterval = d.Route.RepeatInterval
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
	recv := map[string]bool{}
	for i, r := range c.Receivers {
		validateReceiver(r, fmt.Sprintf("receivers[%d]", i), recv, bad)
	}
	rt := c.Route
	if rt.Receiver != "" && !recv[rt.Receiver] {
		bad("route.receiver", "unknown receiver %q", rt.Receiver)
	}
	for i, l := range rt.GroupBy {
		if !labelNameRE.MatchString(l) {
			bad(fmt.Sprintf("route.group_by[%d]", i), "invalid label name %q", l)
		}
	}
	if rt.GroupWait < 0 {
		bad("route.group_wait", "must be >= 0")
	}
	if rt.GroupInterval <= 0 {
		bad("route.group_interval", "must be > 0")
	}
	if rt.RepeatInterval <= 0 {
		bad("route.repeat_interval", "must be > 0")
	}
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

func validateReceiver(r Receiver, p string, seen map[string]bool, bad func(string, string, ...any)) {
	switch {
	case r.Name == "":
		bad(p+".name", "required")
	case seen[r.Name]:
		bad(p+".name", "duplicate receiver %q", r.Name)
	}
	seen[r.Name] = true
	checkURL := func(path, s string) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(path, "must be an http or https URL")
		}
	}
	if w := r.Webhook; w != nil {
		checkURL(p+".webhook.url", w.URL)
	}
	if s := r.Slack; s != nil {
		checkURL(p+".slack.url", s.URL)
	}
	if e := r.Email; e != nil {
		if _, port, err := net.SplitHostPort(e.SMTP); err != nil || port == "" {
			bad(p+".email.smtp", "must be host:port")
		}
		if e.From == "" {
			bad(p+".email.from", "required")
		}
		if len(e.To) == 0 {
			bad(p+".email.to", "at least one address required")
		}
		for i, a := range append([]string{e.From}, e.To...) {
			if strings.ContainsAny(a, "\r\n") {
				bad(fmt.Sprintf("%s.email.to[%d]", p, i-1), "must not contain line breaks")
			}
		}
	}
	if pd := r.PagerDuty; pd != nil {
		if pd.RoutingKey == "" && pd.RoutingKeyEnv == "" {
			bad(p+".pagerduty.routing_key", "routing_key or routing_key_env required")
		}
		if pd.URL != "" {
			checkURL(p+".pagerduty.url", pd.URL)
		}
	}
}

// routingKey returns the PagerDuty routing key, from the environment if so
// configured.
func (p *PagerDutyConfig) routingKey() string {
	if p.RoutingKey != "" {
		return p.RoutingKey
	}
	return os.Getenv(p.RoutingKeyEnv)
}
