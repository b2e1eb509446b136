package notify

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/common/model"

	"github.com/vigilhq/vigil/internal/configfile"
)

// DefaultOwedHorizon is how long an undelivered notification stays owed
// when a receiver does not say.
const DefaultOwedHorizon = 24 * time.Hour

// Receiver is a named set of integrations (the `receivers` of the
// alerting configuration). A receiver without integrations discards
// notifications.
type Receiver struct {
	Name      string           `yaml:"name" json:"name"`
	Webhook   *WebhookConfig   `yaml:"webhook,omitempty" json:"webhook,omitempty"`
	Slack     *SlackConfig     `yaml:"slack,omitempty" json:"slack,omitempty"`
	Email     *EmailConfig     `yaml:"email,omitempty" json:"email,omitempty"`
	PagerDuty *PagerDutyConfig `yaml:"pagerduty,omitempty" json:"pagerduty,omitempty"`
	MSTeams   *MSTeamsConfig   `yaml:"msteams,omitempty" json:"msteams,omitempty"`
	Discord   *DiscordConfig   `yaml:"discord,omitempty" json:"discord,omitempty"`
	Opsgenie  *OpsgenieConfig  `yaml:"opsgenie,omitempty" json:"opsgenie,omitempty"`
	Telegram  *TelegramConfig  `yaml:"telegram,omitempty" json:"telegram,omitempty"`

	// DeliverMissedFiring: when an alert resolves before its firing
	// notification could be delivered, deliver the firing notification
	// (then the resolved one) once the receiver is back. Without it only
	// the resolved notification is owed. Optional. Default false.
	DeliverMissedFiring bool `yaml:"deliver_missed_firing,omitempty" json:"deliver_missed_firing,omitempty"`
	// OwedHorizon is how long an undelivered notification stays owed and
	// is retried. Optional. Default 24h.
	OwedHorizon model.Duration `yaml:"owed_horizon,omitempty" json:"owed_horizon,omitempty"`
}

// integrationConfig is one integration's configuration.
type integrationConfig interface {
	// validate reports problems, each prefixed with path.
	validate(path string, is *issues)
	// build makes the integration; it reads secrets from the environment
	// and fails, naming the key, when one is missing.
	build(path string, d buildDeps) (Integration, error)
}

type buildDeps struct {
	client *http.Client
	now    func() time.Time
	lookup func(string) (string, bool)
}

// configs lists the receiver's integrations with their key names.
func (r *Receiver) configs() []struct {
	key string
	cfg integrationConfig
} {
	type kc = struct {
		key string
		cfg integrationConfig
	}
	var out []kc
	add := func(key string, present bool, c integrationConfig) {
		if present {
			out = append(out, kc{key, c})
		}
	}
	add("webhook", r.Webhook != nil, r.Webhook)
	add("slack", r.Slack != nil, r.Slack)
	add("email", r.Email != nil, r.Email)
	add("pagerduty", r.PagerDuty != nil, r.PagerDuty)
	add("msteams", r.MSTeams != nil, r.MSTeams)
	add("discord", r.Discord != nil, r.Discord)
	add("opsgenie", r.Opsgenie != nil, r.Opsgenie)
	add("telegram", r.Telegram != nil, r.Telegram)
	return out
}

// Horizon is the receiver's owed horizon, its default applied.
func (r *Receiver) Horizon() time.Duration {
	if r.OwedHorizon > 0 {
		return time.Duration(r.OwedHorizon)
	}
	return DefaultOwedHorizon
}

// ValidateReceivers reports every problem of the receivers, each prefixed
// with its key path (receivers[1].opsgenie.url: ...).
func ValidateReceivers(rs []Receiver) error {
	is := &issues{}
	seen := map[string]bool{}
	for i := range rs {
		r := &rs[i]
		p := fmt.Sprintf("receivers[%d]", i)
		switch {
		case r.Name == "":
			is.add(p+".name", "required")
		case seen[r.Name]:
			is.add(p+".name", "duplicate receiver %q", r.Name)
		}
		seen[r.Name] = true
		if r.OwedHorizon < 0 {
			is.add(p+".owed_horizon", "must be >= 0")
		}
		for _, c := range r.configs() {
			c.cfg.validate(p+"."+c.key, is)
		}
	}
	return is.err()
}

// issues collects validation problems.
type issues struct{ errs []error }

func (is *issues) add(path, format string, args ...any) {
	is.errs = append(is.errs, configfile.Errorf(path, format, args...))
}

func (is *issues) err() error { return errors.Join(is.errs...) }

// checkURL requires an absolute http or https URL.
func (is *issues) checkURL(path, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		is.add(path, "must be an http or https URL")
	}
}

// required reports an empty value.
func (is *issues) required(path, v string) {
	if v == "" {
		is.add(path, "required")
	}
}

// secretEnv reads the secret named by an *_env key; an unset or empty
// variable is an error naming the key and the variable (never its value).
func secretEnv(path, name string, lookup func(string) (string, bool)) (string, error) {
	v, ok := lookup(name)
	if !ok || v == "" {
		return "", configfile.Errorf(path, "environment variable %s is not set", name)
	}
	return v, nil
}
