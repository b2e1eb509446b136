package alerting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"go.yaml.in/yaml/v3"
)

// ErrInvalidConfig wraps every configuration error.
var ErrInvalidConfig = errors.New("invalid configuration")

// Rule kinds.
const (
	KindErrorRatio      = "error_ratio"
	KindLatencyQuantile = "latency_quantile"
	KindRequestRate     = "request_rate"
	KindSaturation      = "saturation"
	KindAbsent          = "absent"
	KindSLOBurnRate     = "slo_burn_rate"
)

// Severities, the PagerDuty Events v2 set.
const (
	SeverityCritical = "critical"
	SeverityError    = "error"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

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
}

// Rule is one alerting rule.
type Rule struct {
	Name   string   `yaml:"name" json:"name"`
	Kind   string   `yaml:"kind" json:"kind"`
	Route  string   `yaml:"route,omitempty" json:"route,omitempty"`   // filter on http.route; without it the rule is evaluated per route
	Method string   `yaml:"method,omitempty" json:"method,omitempty"` // filter on http.request.method
	Window Duration `yaml:"window,omitempty" json:"window,omitempty"`

	Threshold        float64  `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	ResolveThreshold *float64 `yaml:"resolve_threshold,omitempty" json:"resolve_threshold,omitempty"`
	Quantile         float64  `yaml:"quantile,omitempty" json:"quantile,omitempty"` // latency_quantile
	Metric           string   `yaml:"metric,omitempty" json:"metric,omitempty"`     // saturation (OTel name)
	PromMetric       string   `yaml:"prom_metric,omitempty" json:"prom_metric,omitempty"`

	Objective   float64  `yaml:"objective,omitempty" json:"objective,omitempty"` // slo_burn_rate, e.g. 0.999
	LongWindow  Duration `yaml:"long_window,omitempty" json:"long_window,omitempty"`
	ShortWindow Duration `yaml:"short_window,omitempty" json:"short_window,omitempty"`
	Factor      float64  `yaml:"factor,omitempty" json:"factor,omitempty"`

	For           Duration          `yaml:"for,omitempty" json:"for,omitempty"`
	KeepFiringFor Duration          `yaml:"keep_firing_for,omitempty" json:"keep_firing_for,omitempty"`
	Severity      string            `yaml:"severity,omitempty" json:"severity,omitempty"`
	Labels        map[string]string `yaml:"labels,omitempty" json:"labels,omitempty"`
	Annotations   map[string]string `yaml:"annotations,omitempty" json:"annotations,omitempty"`
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
	return Config{
		EvaluationInterval: Duration(5 * time.Second),
		Rules:              DefaultRules(),
		Route: Route{
			GroupBy:        []string{"alertname", "route"},
			GroupWait:      Duration(30 * time.Second),
			GroupInterval:  Duration(5 * time.Minute),
			RepeatInterval: Duration(4 * time.Hour),
		},
	}
}

func ptr[T any](v T) *T { return &v }

// DefaultRules is the rule set applied when the configuration has none:
// error ratio and p95 latency per route, saturation, absent traffic, and SLO
// burn rates with the SRE-workbook windows for a 30-day 99.9 % objective.
func DefaultRules() []Rule {
	burn := func(name string, long, short time.Duration, factor float64, sev string) Rule {
		return Rule{
			Name: name, Kind: KindSLOBurnRate, Objective: 0.999,
			LongWindow: Duration(long), ShortWindow: Duration(short), Factor: factor,
			Severity: sev,
			Labels:   map[string]string{"slo": "availability", "long_window": Duration(long).String()},
			Annotations: map[string]string{
				"summary":     "Error budget burning {{ printf \"%.1f\" .Value }}x too fast",
				"description": "Availability SLO 99.9%: burn rate above {{ .Threshold }} over " + Duration(long).String() + " and " + Duration(short).String() + ".",
			},
		}
	}
	return []Rule{
		{
			Name: "HighErrorRate", Kind: KindErrorRatio, Window: Duration(5 * time.Minute),
			Threshold: 0.05, ResolveThreshold: ptr(0.02), For: Duration(time.Minute), Severity: SeverityCritical,
			Annotations: map[string]string{"summary": "Error ratio {{ printf \"%.3f\" .Value }} on {{ .Labels.route }}"},
		},
		{
			Name: "HighLatencyP95", Kind: KindLatencyQuantile, Quantile: 0.95, Window: Duration(5 * time.Minute),
			Threshold: 1, ResolveThreshold: ptr(0.8), For: Duration(2 * time.Minute), Severity: SeverityWarning,
			Annotations: map[string]string{"summary": "p95 latency {{ printf \"%.3f\" .Value }}s on {{ .Labels.route }}"},
		},
		{
			Name: "HighSaturation", Kind: KindSaturation, Metric: instrumentation.MetricActiveRequests,
			PromMetric: instrumentation.PromActiveRequests, Window: Duration(time.Minute),
			Threshold: 100, For: Duration(2 * time.Minute), Severity: SeverityWarning,
			Annotations: map[string]string{"summary": "{{ .Value }} requests in flight (threshold {{ .Threshold }})"},
		},
		{
			Name: "NoTraffic", Kind: KindAbsent, Window: Duration(15 * time.Minute),
			Severity:    SeverityWarning,
			Annotations: map[string]string{"summary": "No requests recorded for 15m"},
		},
		burn("SLOBurnRateFast", time.Hour, 5*time.Minute, 14.4, SeverityCritical),
		burn("SLOBurnRateMedium", 6*time.Hour, 30*time.Minute, 6, SeverityCritical),
		burn("SLOBurnRateSlow", 72*time.Hour, 6*time.Hour, 1, SeverityWarning),
	}
}

// ParseConfig parses the alerting section (the value of the `alerting` key,
// or a whole document that has an `alerting` key), fills defaults and
// validates. Unknown keys are errors. Without a `rules` key DefaultRules
// applies; an empty list (`rules: []`) means no rules.
func ParseConfig(b []byte) (Config, error) {
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
	cfg := DefaultConfig()
	cfg.Rules = nil
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if cfg.Rules == nil && !hasKey(node, "rules") {
		cfg.Rules = DefaultRules()
	}
	if hasKey(node, "evaluation_interval") && cfg.EvaluationInterval <= 0 {
		return Config{}, fmt.Errorf("%w: evaluation_interval: must be > 0 (omit it for the default 5s)", ErrInvalidConfig)
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
	d := DefaultConfig()
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
	for i := range c.Rules {
		r := &c.Rules[i]
		if r.Severity == "" {
			r.Severity = SeverityWarning
		}
		if r.Kind == KindSaturation && r.PromMetric == "" {
			r.PromMetric = promName(r.Metric)
		}
	}
	for i := range c.Receivers {
		if p := c.Receivers[i].PagerDuty; p != nil && p.URL == "" {
			p.URL = DefaultPagerDutyURL
		}
	}
}

// promName is the OTel Prometheus exporter's translation of a metric name
// without unit suffixes (dots become underscores).
func promName(otel string) string { return strings.NewReplacer(".", "_", "-", "_").Replace(otel) }

var (
	labelNameRE  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	metricNameRE = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

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
	names := map[string]bool{}
	for i := range c.Rules {
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

func validateRule(r *Rule, p string, names map[string]bool, bad func(string, string, ...any)) {
	switch {
	case r.Name == "":
		bad(p+".name", "required")
	case !labelNameRE.MatchString(r.Name):
		bad(p+".name", "must match %s", labelNameRE)
	case names[r.Name]:
		bad(p+".name", "duplicate rule %q", r.Name)
	}
	names[r.Name] = true
	needWindow := true
	switch r.Kind {
	case KindErrorRatio:
		if r.Threshold <= 0 || r.Threshold > 1 {
			bad(p+".threshold", "must be > 0 and <= 1")
		}
	case KindLatencyQuantile:
		if r.Quantile <= 0 || r.Quantile >= 1 {
			bad(p+".quantile", "must be > 0 and < 1")
		}
		if r.Threshold <= 0 {
			bad(p+".threshold", "must be > 0")
		}
	case KindRequestRate:
		if r.Threshold <= 0 {
			bad(p+".threshold", "must be > 0")
		}
	case KindSaturation:
		if r.Metric == "" {
			bad(p+".metric", "required")
		}
		if r.PromMetric != "" && !metricNameRE.MatchString(r.PromMetric) {
			bad(p+".prom_metric", "invalid metric name %q", r.PromMetric)
		}
		if r.Threshold <= 0 {
			bad(p+".threshold", "must be > 0")
		}
		needWindow = false
	case KindAbsent:
	case KindSLOBurnRate:
		needWindow = false
		if r.Objective <= 0 || r.Objective >= 1 {
			bad(p+".objective", "must be > 0 and < 1")
		}
		if r.LongWindow <= 0 {
			bad(p+".long_window", "must be > 0")
		}
		if r.ShortWindow <= 0 {
			bad(p+".short_window", "must be > 0")
		} else if r.ShortWindow >= r.LongWindow {
			bad(p+".short_window", "must be shorter than long_window")
		}
		if r.Factor <= 0 {
			bad(p+".factor", "must be > 0")
		}
		if r.Threshold != 0 {
			bad(p+".threshold", "not used by slo_burn_rate (use factor)")
		}
	case "":
		bad(p+".kind", "required")
	default:
		bad(p+".kind", "unknown kind %q", r.Kind)
	}
	if needWindow && r.Window <= 0 {
		bad(p+".window", "must be > 0")
	}
	if r.Window > Duration(24*time.Hour) || r.LongWindow > Duration(30*24*time.Hour) {
		bad(p+".window", "too long")
	}
	if r.ResolveThreshold != nil {
		if r.Kind == KindAbsent {
			bad(p+".resolve_threshold", "not used by absent")
		} else if *r.ResolveThreshold >= r.threshold() {
			bad(p+".resolve_threshold", "must be < threshold")
		}
	}
	if r.For < 0 {
		bad(p+".for", "must be >= 0")
	}
	if r.KeepFiringFor < 0 {
		bad(p+".keep_firing_for", "must be >= 0")
	}
	switch r.Severity {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo, "":
	default:
		bad(p+".severity", "must be critical, error, warning or info")
	}
	for k := range r.Labels {
		if !labelNameRE.MatchString(k) {
			bad(p+".labels", "invalid label name %q", k)
		}
		if k == "alertname" {
			bad(p+".labels", "alertname is set from name")
		}
	}
	for k, v := range r.Annotations {
		if !labelNameRE.MatchString(k) {
			bad(p+".annotations", "invalid annotation name %q", k)
		}
		if _, err := template.New(k).Option("missingkey=zero").Parse(v); err != nil {
			bad(p+".annotations."+k, "%v", err)
		}
	}
}

// threshold is the value above which the rule fires.
func (r *Rule) threshold() float64 {
	if r.Kind == KindSLOBurnRate {
		return r.Factor
	}
	return r.Threshold
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
