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

// SilencesStore is the part of the store silences use.
type SilencesStore interface {
	CreateSilence(ctx context.Context, s store.Silence) error
	GetSilence(ctx context.Context, id string) (store.Silence, error)
	ListSilences(ctx context.Context) ([]store.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error)
}

// Silences keeps silences and, as the Evaluator's Silencer, marks the
// alerts they match.
type Silences struct {
	store SilencesStore
	pub   EventPublisher
	now   func() time.Time
}

var _ Silencer = (*Silences)(nil)

// NewSilences returns the silences kept in st, publishing the silenced and
// unsilenced events to pub (nil: none); now defaults to time.Now.
func NewSilences(st SilencesStore, pub EventPublisher, now func() time.Time) *Silences {
	if now == nil {
		now = time.Now
	}
	return &Silences{store: st, pub: pub, now: now}
}

// CreateSilence validates and stores a silence. ID, CreatedAt and a zero
// StartsAt (meaning now) are filled in.
func (e *Silences) CreateSilence(ctx context.Context, s store.Silence) (store.Silence, error) {
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
	if err := e.store.CreateSilence(ctx, s); err != nil {
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
func (e *Silences) ExpireSilence(ctx context.Context, id string) error {
	if _, err := e.store.GetSilence(ctx, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("silence %s: %w", id, store.ErrNotFound)
		}
		return fmt.Errorf("silence %s: %w", id, err)
	}
	if err := e.store.ExpireSilence(ctx, id, e.now()); err != nil {
		return fmt.Errorf("expire silence %s: %w", id, err)
	}
	return nil
}

// ListSilences returns every silence, active or not.
func (e *Silences) ListSilences(ctx context.Context) ([]store.Silence, error) {
	s, err := e.store.ListSilences(ctx)
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

// Apply marks the cycle's active alerts silenced or unsilenced, each
// change with its history event in one transaction. active is updated in
// place.
func (e *Silences) Apply(ctx context.Context, active []store.Alert, now time.Time) error {
	ss, err := e.store.ListSilences(ctx)
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
		kind := "silenced"
		if !want {
			kind = "unsilenced"
		}
		up, evs, err := e.store.UpdateAlertEvents(ctx, a.ID, func(x *store.Alert) ([]store.AlertEvent, error) {
			if x.State == store.StateResolved {
				return nil, errSkip
			}
			x.Silenced, x.UpdatedAt = want, now
			return stamp(a, now, store.AlertEvent{Kind: kind}), nil
		})
		if errors.Is(err, errSkip) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("silence alert %s: %w", a.ID, err))
			continue
		}
		a.Silenced, a.UpdatedAt = up.Silenced, up.UpdatedAt
		publishAll(e.pub, *a, evs)
	}
	return errors.Join(errs...)
}
