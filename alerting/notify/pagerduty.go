package notify

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/store"
)

// DefaultPagerDutyURL is the PagerDuty Events v2 endpoint.
const DefaultPagerDutyURL = "https://events.pagerduty.com/v2/enqueue"

// PagerDutyConfig sends PagerDuty Events v2. The routing key is given
// inline (routing_key) or, better, by the name of the environment variable
// holding it (routing_key_env).
type PagerDutyConfig struct {
	RoutingKey    string `yaml:"routing_key,omitempty" json:"-"`
	RoutingKeyEnv string `yaml:"routing_key_env,omitempty" json:"routing_key_env,omitempty"`
	URL           string `yaml:"url,omitempty" json:"url,omitempty"` // default DefaultPagerDutyURL
}

func (c *PagerDutyConfig) validate(p string, is *issues) {
	if c.RoutingKey == "" && c.RoutingKeyEnv == "" {
		is.add(p+".routing_key", "routing_key or routing_key_env required")
	}
	if c.URL != "" {
		is.checkURL(p+".url", c.URL)
	}
}

func (c *PagerDutyConfig) build(p string, d buildDeps) (Integration, error) {
	pd := &pagerDuty{url: c.URL, key: c.RoutingKey, client: d.client}
	if pd.url == "" {
		pd.url = DefaultPagerDutyURL
	}
	if pd.key == "" {
		k, err := secretEnv(p+".routing_key_env", c.RoutingKeyEnv, d.lookup)
		if err != nil {
			return nil, err
		}
		pd.key = k
	}
	return pd, nil
}

type pagerDuty struct {
	url, key string
	client   *http.Client
}

func (p *pagerDuty) Name() string    { return "pagerduty" }
func (p *pagerDuty) TracksAck() bool { return true }

// PagerDutyEvent is a PagerDuty Events API v2 event.
type PagerDutyEvent struct {
	RoutingKey  string            `json:"routing_key"`
	EventAction string            `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string            `json:"dedup_key"`
	Payload     *PagerDutyPayload `json:"payload,omitempty"`
	Client      string            `json:"client,omitempty"`
	ClientURL   string            `json:"client_url,omitempty"`
}

// PagerDutyPayload is the payload of a trigger event.
type PagerDutyPayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

func knownSeverity(s string) string {
	switch s {
	case severityCritical, severityError, severityWarning, severityInfo:
		return s
	}
	return severityWarning
}

func pagerDutyEvent(key string, a store.Alert, external string) PagerDutyEvent {
	ev := PagerDutyEvent{RoutingKey: key, DedupKey: a.Fingerprint, Client: "Vigil", ClientURL: a.GeneratorURL}
	switch {
	case a.State == store.StateResolved:
		ev.EventAction = "resolve"
		return ev
	case a.AcknowledgedAt != nil:
		ev.EventAction = "acknowledge"
		return ev
	}
	ev.EventAction = "trigger"
	details := map[string]string{}
	maps.Copy(details, a.Labels)
	maps.Copy(details, a.Annotations)
	if a.TraceID != "" {
		details["trace_id"] = a.TraceID
	}
	source := external
	if source == "" {
		source = "vigil"
	}
	ts := a.ActiveAt
	if a.FiredAt != nil {
		ts = *a.FiredAt
	}
	ev.Payload = &PagerDutyPayload{Summary: truncate(summary(a), 1024), Source: source, Severity: knownSeverity(a.Severity),
		Timestamp: ts.UTC().Format(time.RFC3339), Component: a.Labels[labelRoute],
		Group: a.Labels[labelTeam], Class: a.RuleName, CustomDetails: details}
	return ev
}

func (p *pagerDuty) Notify(ctx context.Context, n *Notification) (bool, error) {
	var errs []error
	retry := false
	for _, a := range n.Alerts() {
		r, err := postJSON(ctx, p.client, p.url, nil, pagerDutyEvent(p.key, a, n.ExternalURL))
		if err != nil {
			errs = append(errs, err)
			retry = retry || r
		}
	}
	return retry, errors.Join(errs...)
}
