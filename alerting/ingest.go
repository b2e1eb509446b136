package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"time"

	"github.com/vigilhq/vigil/store"
)

// maxWebhookAlerts bounds the alerts of one ingested payload.
const maxWebhookAlerts = 1000

// Bounds of a webhook alert's times: anything outside is a broken clock or
// a forged payload, not an incident.
var (
	minWebhookTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxWebhookTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// webhookFingerprintRE is a fingerprint that is a URL path segment as it is
// (Alertmanager's are 16 hex digits), so alert IDs built from it are too.
var webhookFingerprintRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{1,128}$`)

// ParseWebhook decodes and validates an Alertmanager v4 webhook body:
// version "4", a status of firing or resolved, and for every alert a status,
// labels with alertname, startsAt (from 2000 to 2100) and a fingerprint of
// letters, digits and ._~- (at most 128). endsAt is zero (firing) or in the
// same bounds and not before startsAt; a resolved alert needs it. Times are
// kept at the store's precision. Every string an alert brings must be text
// the store keeps (store.CheckText). Unknown fields are rejected. Errors
// name the field.
func ParseWebhook(b []byte) (WebhookPayload, error) {
	var p WebhookPayload
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return WebhookPayload{}, fmt.Errorf("%w: %w", ErrInvalidWebhook, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return WebhookPayload{}, fmt.Errorf("%w: trailing data", ErrInvalidWebhook)
	}
	bad := func(format string, args ...any) (WebhookPayload, error) {
		return WebhookPayload{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidWebhook}, args...)...)
	}
	if p.Version != "4" {
		return bad("version: must be \"4\"")
	}
	if p.Status != "firing" && p.Status != "resolved" {
		return bad("status: must be firing or resolved")
	}
	if len(p.Alerts) == 0 {
		return bad("alerts: at least one required")
	}
	if len(p.Alerts) > maxWebhookAlerts {
		return bad("alerts: at most %d", maxWebhookAlerts)
	}
	for i, a := range p.Alerts {
		switch {
		case a.Status != "firing" && a.Status != "resolved":
			return bad("alerts[%d].status: must be firing or resolved", i)
		case a.Labels[LabelAlertName] == "":
			return bad("alerts[%d].labels.alertname: required", i)
		case a.StartsAt.IsZero():
			return bad("alerts[%d].startsAt: required", i)
		case a.Fingerprint == "":
			return bad("alerts[%d].fingerprint: required", i)
		case !webhookFingerprintRE.MatchString(a.Fingerprint):
			return bad("alerts[%d].fingerprint: must be at most 128 letters, digits and ._~-", i)
		case a.StartsAt.Before(minWebhookTime) || !a.StartsAt.Before(maxWebhookTime):
			return bad("alerts[%d].startsAt: must be from %d to %d", i, minWebhookTime.Year(), maxWebhookTime.Year()-1)
		case a.Status == "resolved" && a.EndsAt.IsZero():
			return bad("alerts[%d].endsAt: required when resolved", i)
		case !a.EndsAt.IsZero() && (a.EndsAt.Before(minWebhookTime) || !a.EndsAt.Before(maxWebhookTime)):
			return bad("alerts[%d].endsAt: must be zero or from %d to %d", i, minWebhookTime.Year(), maxWebhookTime.Year()-1)
		case !a.EndsAt.IsZero() && a.EndsAt.Before(a.StartsAt):
			return bad("alerts[%d].endsAt: must not be before startsAt", i)
		}
		for k := range a.Labels {
			if !labelNameRE.MatchString(k) {
				return bad("alerts[%d].labels: invalid label name %q", i, k)
			}
		}
		pre := fmt.Sprintf("alerts[%d].", i)
		for _, err := range []error{
			store.CheckTextMap(pre+"labels", a.Labels), store.CheckTextMap(pre+"annotations", a.Annotations),
			store.CheckText(pre+"generatorURL", a.GeneratorURL),
		} {
			if err != nil {
				return WebhookPayload{}, fmt.Errorf("%w: %w", ErrInvalidWebhook, err)
			}
		}
		p.Alerts[i].StartsAt = store.Truncate(a.StartsAt)
		if !a.EndsAt.IsZero() {
			p.Alerts[i].EndsAt = store.Truncate(a.EndsAt)
		}
	}
	return p, nil
}

// Ingester records alerts of other systems posted as Alertmanager webhook
// payloads, with the same lifecycle and history as rule alerts.
type Ingester struct {
	store AlertStore
	pub   EventPublisher
	now   func() time.Time
}

// NewIngester returns an ingester writing to st and publishing to pub (nil:
// none); now defaults to time.Now.
func NewIngester(st AlertStore, pub EventPublisher, now func() time.Time) *Ingester {
	if now == nil {
		now = time.Now
	}
	return &Ingester{store: st, pub: pub, now: now}
}

// IngestWebhook records the alerts of an Alertmanager payload with the same
// lifecycle and history as rule alerts (Source "alertmanager"). Alerts are
// keyed by fingerprint: a repeated firing alert updates the active one; a
// resolved alert resolves it; an alert whose fingerprint and startsAt match
// an already resolved incident is ignored. It returns the alerts touched.
func (e *Ingester) IngestWebhook(ctx context.Context, p WebhookPayload) ([]store.Alert, error) {
	now := store.Truncate(e.now())
	var out []store.Alert
	var errs []error
	for i, w := range p.Alerts {
		a, err := e.ingestOne(ctx, w, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("alerts[%d]: %w", i, err))
			continue
		}
		if a.ID != "" {
			out = append(out, a)
		}
	}
	return out, errors.Join(errs...)
}

func (e *Ingester) ingestOne(ctx context.Context, w WebhookAlert, now time.Time) (store.Alert, error) {
	a, err := e.ingestOnce(ctx, w, now)
	if errors.Is(err, store.ErrConflict) {
		// Another replica created the incident meanwhile: it is known now.
		return e.ingestOnce(ctx, w, now)
	}
	return a, err
}

func (e *Ingester) ingestOnce(ctx context.Context, w WebhookAlert, now time.Time) (store.Alert, error) {
	fp := w.Fingerprint
	all, err := e.store.ListAlerts(ctx, store.AlertFilter{Fingerprint: fp, Limit: 1000})
	if err != nil {
		return store.Alert{}, fmt.Errorf("ingest %s: %w", fp, err)
	}
	var current *store.Alert
	for i := range all {
		a := &all[i]
		if a.Source != store.SourceAlertmanager {
			continue
		}
		if a.State != store.StateResolved {
			current = a
			break
		}
		if a.ActiveAt.Equal(store.Truncate(w.StartsAt)) {
			return *a, nil // replay of a known, resolved incident
		}
	}
	if current == nil {
		if w.Status == "resolved" {
			return store.Alert{}, nil // never seen firing: nothing to resolve
		}
		start := store.Truncate(w.StartsAt)
		a := store.Alert{
			ID: alertID(store.SourceAlertmanager, fp, start), Fingerprint: fp, RuleName: w.Labels[LabelAlertName],
			Source: store.SourceAlertmanager, State: store.StateFiring, Severity: w.Labels[LabelSeverity],
			Labels: maps.Clone(w.Labels), Annotations: maps.Clone(w.Annotations), TraceID: w.Annotations["trace_id"],
			GeneratorURL: w.GeneratorURL, ActiveAt: start, FiredAt: &start, LastEvalAt: now, UpdatedAt: now,
		}
		saved, evs, err := e.store.InsertAlert(ctx, a, stamp(&a, now, store.AlertEvent{Kind: store.StateFiring, From: "inactive",
			To: store.StateFiring, Details: map[string]string{"source": store.SourceAlertmanager}})...)
		if err != nil {
			return store.Alert{}, fmt.Errorf("ingest %s: %w", fp, err)
		}
		publishAll(e.pub, saved, evs)
		return saved, nil
	}
	a, evs, err := e.store.UpdateAlertEvents(ctx, current.ID, func(a *store.Alert) ([]store.AlertEvent, error) {
		if a.State == store.StateResolved {
			return nil, errSkip
		}
		a.LastEvalAt, a.UpdatedAt = now, now
		if len(w.Annotations) > 0 {
			a.Annotations = maps.Clone(w.Annotations)
		}
		if w.Status != "resolved" {
			return nil, nil
		}
		end := store.Truncate(w.EndsAt)
		a.State, a.ResolvedAt = store.StateResolved, &end
		return stamp(a, now, store.AlertEvent{Kind: store.StateResolved, From: store.StateFiring, To: store.StateResolved,
			Details: map[string]string{"source": store.SourceAlertmanager}}), nil
	})
	if errors.Is(err, errSkip) {
		return *current, nil
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("ingest %s: %w", fp, err)
	}
	publishAll(e.pub, a, evs)
	return a, nil
}
