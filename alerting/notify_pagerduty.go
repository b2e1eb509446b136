package alerting

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/store"
)

type pagerDutyNotifier struct {
	cfg    PagerDutyConfig
	client *http.Client
}

func (p *pagerDutyNotifier) kind() string    { return "pagerduty" }
func (p *pagerDutyNotifier) tracksAck() bool { return true }

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
	summary := a.Annotations["summary"]
	if summary == "" {
		summary = a.RuleName
	}
	if len(summary) > 1024 {
		summary = summary[:1024]
	}
	sev := a.Severity
	switch sev {
	case SeverityCritical, SeverityError, SeverityWarning, SeverityInfo:
	default:
		sev = SeverityWarning
	}
	details := map[string]string{}
	for k, v := range a.Labels {
		details[k] = v
	}
	for k, v := range a.Annotations {
		details[k] = v
	}
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
	ev.Payload = &PagerDutyPayload{Summary: summary, Source: source, Severity: sev,
		Timestamp: ts.UTC().Format(time.RFC3339), Component: a.Labels[LabelRoute],
		Group: a.Labels["team"], Class: a.RuleName, CustomDetails: details}
	return ev
}

func (p *pagerDutyNotifier) notify(ctx context.Context, n *notification) (bool, error) {
	key := p.cfg.routingKey()
	var errs []error
	retry := false
	for _, a := range n.alerts() {
		r, err := postJSON(ctx, p.client, p.cfg.URL, nil, pagerDutyEvent(key, a, n.ExternalURL))
		if err != nil {
			errs = append(errs, err)
			retry = retry || r
		}
	}
	return retry, errors.Join(errs...)
}
