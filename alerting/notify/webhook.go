package notify

import (
	"time"

	"github.com/vigilhq/vigil/store"
)

// WebhookConfig posts the Alertmanager v4 payload to URL.
type WebhookConfig struct {
	URL     string            `yaml:"url" json:"url"`
	Headers map[string]string `yaml:"headers,omitempty" json:"-"`
}

func (c *WebhookConfig) validate(p string, is *issues) { is.checkURL(p+".url", c.URL) }

func (c *WebhookConfig) build(_ string, d buildDeps) (Integration, error) {
	return &jsonPost{name: "webhook", url: c.URL, headers: c.Headers, client: d.client,
		body: func(n *Notification) any { return BuildWebhookPayload(n) }}, nil
}

// WebhookPayload is the Alertmanager webhook body, version 4. Vigil sends it
// and ingests it.
type WebhookPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a WebhookPayload.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

func webhookAlert(a store.Alert) WebhookAlert {
	w := WebhookAlert{Status: "firing", Labels: a.Labels, Annotations: a.Annotations,
		GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint}
	if w.Labels == nil {
		w.Labels = map[string]string{}
	}
	if w.Annotations == nil {
		w.Annotations = map[string]string{}
	}
	if a.FiredAt != nil {
		w.StartsAt = *a.FiredAt
	} else {
		w.StartsAt = a.ActiveAt
	}
	if a.State == store.StateResolved {
		w.Status = "resolved"
		if a.ResolvedAt != nil {
			w.EndsAt = *a.ResolvedAt
		}
	}
	return w
}

// BuildWebhookPayload is the Alertmanager v4 body of a notification.
func BuildWebhookPayload(n *Notification) WebhookPayload {
	p := WebhookPayload{Version: "4", GroupKey: n.GroupKey, Status: n.Status(), Receiver: n.Receiver,
		GroupLabels: n.GroupLabels, ExternalURL: n.ExternalURL, Alerts: []WebhookAlert{}}
	if p.GroupLabels == nil {
		p.GroupLabels = map[string]string{}
	}
	var ls, as []map[string]string
	for _, a := range n.Alerts() {
		w := webhookAlert(a)
		p.Alerts = append(p.Alerts, w)
		ls, as = append(ls, w.Labels), append(as, w.Annotations)
	}
	p.CommonLabels, p.CommonAnnotations = common(ls), common(as)
	return p
}
