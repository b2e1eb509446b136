package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"

	"github.com/vigilhq/vigil/store"
)

// maxWebhookAlerts bounds the alerts of one ingested payload.
const maxWebhookAlerts = 1000

// ParseWebhook decodes and validates an Alertmanager v4 webhook body:
// version "4", a status of firing or resolved, and for every alert a status,
// labels with alertname, startsAt and a fingerprint. Unknown fields are
// rejected.
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
		case a.Fingerprint == "" || len(a.Fingerprint) > 128:
			return bad("alerts[%d].fingerprint: required", i)
		case a.Status == "resolved" && a.EndsAt.IsZero():
			return bad("alerts[%d].endsAt: required when resolved", i)
		}
		for k := range a.Labels {
			if !labelNameRE.MatchString(k) {
				return bad("alerts[%d].labels: invalid label name %q", i, k)
			}
		}
	}
	return p, nil
}

// IngestWebhook records the alerts of an Alertmanager payload with the same
// lifecycle and history as rule alerts (Source "alertmanager"). Alerts are
// keyed by fingerprint: a repeated firing alert updates the active one; a
// resolved alert resolves it; an alert whose fingerprint and startsAt match
// an already resolved incident is ignored. It returns the alerts touched.
func (e *Engine) IngestWebhook(ctx context.Context, p WebhookPayload) ([]store.Alert, error) {
	now := e.now()
	var out []store.Alert
	var errs []error
	for _, w := range p.Alerts {
		a, err := e.ingestOne(ctx, w, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if a.ID != "" {
			out = append(out, a)
		}
	}
	return out, errors.Join(errs...)
}

func (e *Engine) ingestOne(ctx context.Context, w WebhookAlert, now time.Time) (store.Alert, error) {
	fp := w.Fingerprint
	all, err := e.deps.Store.ListAlerts(ctx, store.AlertFilter{Fingerprint: fp, Limit: 1000})
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
		if a.ActiveAt.Equal(w.StartsAt) {
			return *a, nil // replay of a known, resolved incident
		}
	}
	if current == nil {
		if w.Status == "resolved" {
			return store.Alert{}, nil // never seen firing: nothing to resolve
		}
		start := w.StartsAt
		a := store.Alert{
			ID: newAlertID(padFP(fp), start), Fingerprint: fp, RuleName: w.Labels[LabelAlertName],
			Source: store.SourceAlertmanager, State: store.StateFiring, Severity: w.Labels[LabelSeverity],
			Labels: maps.Clone(w.Labels), Annotations: maps.Clone(w.Annotations), TraceID: w.Annotations["trace_id"],
			GeneratorURL: w.GeneratorURL, ActiveAt: start, FiredAt: &start, LastEvalAt: now, UpdatedAt: now,
		}
		if err := e.deps.Store.UpsertAlert(ctx, a); err != nil {
			return store.Alert{}, fmt.Errorf("ingest %s: %w", fp, err)
		}
		e.record(ctx, a, store.AlertEvent{Kind: store.StateFiring, From: "inactive", To: store.StateFiring,
			Details: map[string]string{"source": store.SourceAlertmanager}}, now)
		return a, nil
	}
	var ev *store.AlertEvent
	a, err := e.deps.Store.UpdateAlert(ctx, current.ID, func(a *store.Alert) error {
		ev = nil
		if a.State == store.StateResolved {
			return errSkip
		}
		a.LastEvalAt, a.UpdatedAt = now, now
		if len(w.Annotations) > 0 {
			a.Annotations = maps.Clone(w.Annotations)
		}
		if w.Status == "resolved" {
			end := w.EndsAt
			a.State, a.ResolvedAt = store.StateResolved, &end
			ev = &store.AlertEvent{Kind: store.StateResolved, From: store.StateFiring, To: store.StateResolved,
				Details: map[string]string{"source": store.SourceAlertmanager}}
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		return *current, nil
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("ingest %s: %w", fp, err)
	}
	if ev != nil {
		e.record(ctx, a, *ev, now)
	}
	return a, nil
}

func padFP(fp string) string {
	for len(fp) < 12 {
		fp += "0"
	}
	return fp
}
