package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"time"

	"github.com/vigilhq/vigil/store"
)

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

// common returns the key/value pairs shared by every map.
func common(ms []map[string]string) map[string]string {
	out := map[string]string{}
	if len(ms) == 0 {
		return out
	}
	maps.Copy(out, ms[0])
	for _, m := range ms[1:] {
		for k, v := range out {
			if m[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

func buildPayload(n *notification) WebhookPayload {
	p := WebhookPayload{Version: "4", GroupKey: n.GroupKey, Status: n.status(), Receiver: n.Receiver,
		GroupLabels: n.GroupLabels, ExternalURL: n.ExternalURL, Alerts: []WebhookAlert{}}
	if p.GroupLabels == nil {
		p.GroupLabels = map[string]string{}
	}
	var ls, as []map[string]string
	for _, a := range n.alerts() {
		w := webhookAlert(a)
		p.Alerts = append(p.Alerts, w)
		ls, as = append(ls, w.Labels), append(as, w.Annotations)
	}
	p.CommonLabels, p.CommonAnnotations = common(ls), common(as)
	return p
}

type webhookNotifier struct {
	cfg    WebhookConfig
	client *http.Client
}

func (w *webhookNotifier) kind() string    { return "webhook" }
func (w *webhookNotifier) tracksAck() bool { return false }

func (w *webhookNotifier) notify(ctx context.Context, n *notification) (bool, error) {
	return postJSON(ctx, w.client, w.cfg.URL, w.cfg.Headers, buildPayload(n))
}

// postJSON posts v and classifies the outcome: 2xx is success; 429, 5xx and
// transport errors may be retried; other statuses are final.
func postJSON(ctx context.Context, c *http.Client, url string, headers map[string]string, v any) (bool, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return false, fmt.Errorf("%w: encode: %w", ErrNotify, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrNotify, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-alerting")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return ctx.Err() == nil, fmt.Errorf("%w: %w", ErrNotify, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	retry := resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500
	// The URL may carry a secret (Slack, tokens): report only the status.
	return retry, fmt.Errorf("%w: unexpected status %d", ErrNotify, resp.StatusCode)
}
