package alerting

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Acknowledge marks a firing or pending alert as acknowledged: its group
// stops repeating notifications, the resolved notification is still sent.
// Unknown IDs return an error wrapping ErrNotFound, resolved alerts one
// wrapping ErrAlertResolved (and store.ErrConflict).
func (e *Engine) Acknowledge(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := e.now()
	a, err := e.deps.Store.UpdateAlert(ctx, id, func(a *store.Alert) error {
		if a.State == store.StateResolved {
			return ErrAlertResolved
		}
		a.AcknowledgedAt, a.AcknowledgedBy, a.AckComment = &now, by, comment
		a.UpdatedAt = now
		return nil
	})
	if err != nil {
		return store.Alert{}, e.alertErr(id, err)
	}
	e.record(ctx, a, store.AlertEvent{Kind: "acknowledged", By: by, Comment: comment}, now)
	return a, nil
}

// Resolve resolves an alert by hand; the resolved notification is sent on
// the next evaluation. If the rule's condition still holds, a new incident
// starts.
func (e *Engine) Resolve(ctx context.Context, id, by, comment string) (store.Alert, error) {
	now := e.now()
	var from string
	a, err := e.deps.Store.UpdateAlert(ctx, id, func(a *store.Alert) error {
		if a.State == store.StateResolved {
			return ErrAlertResolved
		}
		from = a.State
		a.State, a.ResolvedAt, a.ResolvedBy, a.UpdatedAt = store.StateResolved, &now, by, now
		return nil
	})
	if err != nil {
		return store.Alert{}, e.alertErr(id, err)
	}
	e.record(ctx, a, store.AlertEvent{Kind: store.StateResolved, From: from, To: store.StateResolved, By: by, Comment: comment,
		Details: map[string]string{"reason": "manual"}}, now)
	return a, nil
}

func (e *Engine) alertErr(id string, err error) error {
	switch {
	case errors.Is(err, ErrAlertResolved):
		return fmt.Errorf("alert %s: %w", id, ErrAlertResolved)
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("alert %s: %w", id, ErrNotFound)
	}
	return fmt.Errorf("alert %s: %w", id, err)
}

// CreateSilence validates and stores a silence. ID, CreatedAt and a zero
// StartsAt (meaning now) are filled in.
func (e *Engine) CreateSilence(ctx context.Context, s store.Silence) (store.Silence, error) {
	now := e.now()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	if err := ValidateSilence(s); err != nil {
		return store.Silence{}, err
	}
	if s.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		s.ID = hex.EncodeToString(b[:])
	}
	s.CreatedAt = now
	if err := e.deps.Store.CreateSilence(ctx, s); err != nil {
		return store.Silence{}, fmt.Errorf("create silence: %w", err)
	}
	return s, nil
}

// ValidateSilence checks the matchers (at least one, names set, regular
// expressions compile, not every matcher matches the empty string) and that
// EndsAt is after StartsAt.
func ValidateSilence(s store.Silence) error {
	var errs []error
	if len(s.Matchers) == 0 {
		errs = append(errs, errors.New("matchers: at least one required"))
	}
	allEmpty := true
	for i, m := range s.Matchers {
		if !labelNameRE.MatchString(m.Name) {
			errs = append(errs, fmt.Errorf("matchers[%d].name: invalid label name %q", i, m.Name))
		}
		if m.IsRegex {
			if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				errs = append(errs, fmt.Errorf("matchers[%d].value: %w", i, err))
				continue
			}
		}
		if !matches(m, map[string]string{}) {
			allEmpty = false
		}
	}
	if len(s.Matchers) > 0 && allEmpty {
		errs = append(errs, errors.New("matchers: at least one matcher must not match the empty label"))
	}
	if s.EndsAt.IsZero() || !s.EndsAt.After(s.StartsAt) {
		errs = append(errs, errors.New("endsAt: must be after startsAt"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidSilence, errors.Join(errs...))
	}
	return nil
}

// ExpireSilence ends a silence now.
func (e *Engine) ExpireSilence(ctx context.Context, id string) error {
	if _, err := e.deps.Store.GetSilence(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("silence %s: %w", id, store.ErrNotFound)
		}
		return fmt.Errorf("silence %s: %w", id, err)
	}
	if err := e.deps.Store.ExpireSilence(ctx, id, e.now()); err != nil {
		return fmt.Errorf("expire silence %s: %w", id, err)
	}
	return nil
}

// ListSilences returns every silence, active or not.
func (e *Engine) ListSilences(ctx context.Context) ([]store.Silence, error) {
	s, err := e.deps.Store.ListSilences(ctx)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	return s, nil
}

// silenceRegexps caches compiled silence matchers (a silence is checked
// against every active alert every cycle). Bounded: cleared when full.
var silenceRegexps struct {
	sync.Mutex
	m map[string]*regexp.Regexp // nil value: does not compile
}

func silenceRegexp(expr string) *regexp.Regexp {
	silenceRegexps.Lock()
	defer silenceRegexps.Unlock()
	if re, ok := silenceRegexps.m[expr]; ok {
		return re
	}
	if silenceRegexps.m == nil || len(silenceRegexps.m) >= 1024 {
		silenceRegexps.m = map[string]*regexp.Regexp{}
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		re = nil
	}
	silenceRegexps.m[expr] = re
	return re
}

func matches(m store.Matcher, labels map[string]string) bool {
	v := labels[m.Name]
	var ok bool
	if m.IsRegex {
		re := silenceRegexp(m.Value)
		ok = re != nil && re.MatchString(v)
	} else {
		ok = v == m.Value
	}
	return ok == m.IsEqual
}

func silenced(ss []store.Silence, labels map[string]string, now time.Time) bool {
	return slices.ContainsFunc(ss, func(s store.Silence) bool {
		if now.Before(s.StartsAt) || !now.Before(s.EndsAt) {
			return false
		}
		for _, m := range s.Matchers {
			if !matches(m, labels) {
				return false
			}
		}
		return true
	})
}

// applySilences marks the cycle's active alerts silenced or unsilenced and
// refreshes the active-alerts gauge. active is updated in place.
func (e *Engine) applySilences(ctx context.Context, active []store.Alert, now time.Time) error {
	defer e.setCounts(active)
	ss, err := e.deps.Store.ListSilences(ctx)
	if err != nil {
		return fmt.Errorf("list silences: %w", err)
	}
	var errs []error
	for i := range active {
		a := &active[i]
		want := silenced(ss, a.Labels, now)
		if want == a.Silenced {
			continue
		}
		up, err := e.deps.Store.UpdateAlert(ctx, a.ID, func(x *store.Alert) error {
			if x.State == store.StateResolved {
				return errSkip
			}
			x.Silenced, x.UpdatedAt = want, now
			return nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("silence alert %s: %w", a.ID, err))
			continue
		}
		a.Silenced, a.UpdatedAt = up.Silenced, up.UpdatedAt
		kind := "silenced"
		if !want {
			kind = "unsilenced"
		}
		e.record(ctx, *a, store.AlertEvent{Kind: kind}, now)
	}
	return errors.Join(errs...)
}
