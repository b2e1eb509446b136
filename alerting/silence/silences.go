package silence

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigilhq/vigil/alerting/labels"
	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/store"
)

// Store is the part of the store silences use.
type Store interface {
	CreateSilence(ctx context.Context, s store.Silence) error
	GetSilence(ctx context.Context, id string) (store.Silence, error)
	ListSilences(ctx context.Context) ([]store.Silence, error)
	ExpireSilence(ctx context.Context, id string, at time.Time) error
	// UpdateAlertEvents changes an alert and appends the events fn returns
	// in one transaction.
	UpdateAlertEvents(ctx context.Context, id string, fn func(*store.Alert) ([]store.AlertEvent, error)) (store.Alert, []store.AlertEvent, error)
}

// Publisher tells subscribers about an alert event already stored.
type Publisher interface {
	PublishAlertEvent(a store.Alert, ev store.AlertEvent)
}

// States of a silence, Alertmanager's.
const (
	StatePending = "pending" // starts later
	StateActive  = "active"
	StateExpired = "expired"
)

// Status is a silence's status, as Alertmanager's API shows it.
type Status struct {
	State string `json:"state"`
}

// Silence is a stored silence with its status at the time it was read.
type Silence struct {
	store.Silence
	Status Status `json:"status"`
}

// StateAt is the state of s at now.
func StateAt(s store.Silence, now time.Time) string {
	switch {
	case now.Before(s.StartsAt):
		return StatePending
	case now.Before(s.EndsAt):
		return StateActive
	}
	return StateExpired
}

// ParseStates reads a comma-separated list of states (the state query
// parameter); empty means active and pending. A bad list is ErrInvalid
// and an httpapi.ParamError naming the parameter.
func ParseStates(s string) ([]string, error) {
	if s == "" {
		return []string{StateActive, StatePending}, nil
	}
	out, err := httpapi.Strings("state", s, StateActive, StatePending, StateExpired)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return out, nil
}

// Config are the component's collaborators. Store is required.
type Config struct {
	Store     Store
	Publisher Publisher        // optional: the silenced and unsilenced events
	Now       func() time.Time // default time.Now
	Logger    *slog.Logger     // default slog.Default()
}

// Silences is the silences component.
type Silences struct {
	st  Store
	pub Publisher
	now func() time.Time
	log *slog.Logger

	mu       sync.Mutex
	compiled map[string]*compiled // by silence ID: matchers compiled once
	active   []*compiled          // active at activeAt, in ID order
	activeAt time.Time
	setKey   string          // the IDs of active, joined
	memo     map[string]bool // silenced, by alert ID, for setKey
}

type compiled struct {
	s  store.Silence
	ms labels.Matchers // equality matchers first: the cheap ones decide most
}

// New returns the component.
func New(cfg Config) (*Silences, error) {
	if cfg.Store == nil {
		return nil, errors.New("silence: a store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Silences{st: cfg.Store, pub: cfg.Publisher, now: cfg.Now, log: cfg.Logger,
		compiled: map[string]*compiled{}, memo: map[string]bool{}}, nil
}

// Create validates and stores a silence. ID, CreatedAt and a zero StartsAt
// (meaning now) are filled in.
func (s *Silences) Create(ctx context.Context, sil store.Silence) (Silence, error) {
	now := s.now()
	if sil.StartsAt.IsZero() {
		sil.StartsAt = now
	}
	if err := Validate(sil); err != nil {
		return Silence{}, err
	}
	if sil.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		sil.ID = hex.EncodeToString(b[:])
	}
	sil.CreatedAt = now
	if err := s.st.CreateSilence(ctx, sil); err != nil {
		return Silence{}, fmt.Errorf("create silence: %w", err)
	}
	return Silence{Silence: sil, Status: Status{StateAt(sil, now)}}, nil
}

// Get returns one silence; an unknown ID wraps store.ErrNotFound.
func (s *Silences) Get(ctx context.Context, id string) (Silence, error) {
	sil, err := s.st.GetSilence(ctx, id)
	if err != nil {
		return Silence{}, fmt.Errorf("silence %s: %w", id, err)
	}
	return Silence{Silence: sil, Status: Status{StateAt(sil, s.now())}}, nil
}

// List returns the silences in the given states (none: every state),
// newest first.
func (s *Silences) List(ctx context.Context, states ...string) ([]Silence, error) {
	all, err := s.st.ListSilences(ctx)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", err)
	}
	now := s.now()
	out := make([]Silence, 0, len(all))
	for _, sil := range all {
		st := StateAt(sil, now)
		if len(states) == 0 || slices.Contains(states, st) {
			out = append(out, Silence{Silence: sil, Status: Status{st}})
		}
	}
	return out, nil
}

// Expire ends a silence now; an unknown ID wraps store.ErrNotFound.
func (s *Silences) Expire(ctx context.Context, id string) error {
	if _, err := s.st.GetSilence(ctx, id); err != nil {
		return fmt.Errorf("silence %s: %w", id, err)
	}
	if err := s.st.ExpireSilence(ctx, id, s.now()); err != nil {
		return fmt.Errorf("expire silence %s: %w", id, err)
	}
	return nil
}

// refresh reads the silences and recomputes the set active at now,
// compiling each silence's matchers the first time it is seen.
func (s *Silences) refresh(ctx context.Context, now time.Time) error {
	all, err := s.st.ListSilences(ctx)
	if err != nil {
		return fmt.Errorf("list silences: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := make(map[string]bool, len(all))
	var active []*compiled
	for _, sil := range all {
		seen[sil.ID] = true
		c := s.compiled[sil.ID]
		if c == nil {
			c = compile(sil, s.log)
			s.compiled[sil.ID] = c
		}
		c.s.StartsAt, c.s.EndsAt = sil.StartsAt, sil.EndsAt // expiring moves them
		if c.ms != nil && StateAt(sil, now) == StateActive {
			active = append(active, c)
		}
	}
	for id := range s.compiled {
		if !seen[id] {
			delete(s.compiled, id)
		}
	}
	s.setActive(active, now)
	return nil
}

// setActive installs the active set; a different set forgets the memo.
func (s *Silences) setActive(active []*compiled, now time.Time) {
	slices.SortFunc(active, func(a, b *compiled) int { return strings.Compare(a.s.ID, b.s.ID) })
	ids := make([]string, len(active))
	for i, c := range active {
		ids[i] = c.s.ID
	}
	key := strings.Join(ids, ",")
	if key != s.setKey {
		clear(s.memo)
		s.setKey = key
	}
	s.active, s.activeAt = active, now
}

// compile compiles a stored silence. One whose matchers no longer compile
// (stored before a limit existed) never matches, and says so once.
func compile(sil store.Silence, log *slog.Logger) *compiled {
	c := &compiled{s: sil}
	if len(sil.Matchers) == 0 || len(sil.Matchers) > MaxMatchers {
		log.Warn("silence ignored: matchers out of bounds", "silence", sil.ID, "matchers", len(sil.Matchers))
		return c
	}
	ms := make(labels.Matchers, 0, len(sil.Matchers))
	for _, m := range sil.Matchers {
		if len(m.Value) > MaxValueLength {
			log.Warn("silence ignored: matcher value too long", "silence", sil.ID)
			return c
		}
		cm, err := compileMatcher(m)
		if err != nil {
			log.Warn("silence ignored: matcher does not compile", "silence", sil.ID, "err", err)
			return c
		}
		ms = append(ms, cm)
	}
	slices.SortStableFunc(ms, func(a, b *labels.Matcher) int { return cost(a) - cost(b) })
	c.ms = ms
	return c
}

func cost(m *labels.Matcher) int {
	if m.Type == labels.MatchEqual || m.Type == labels.MatchNotEqual {
		return 0
	}
	return 1
}

// mutes reports whether an active silence matches a. Guarded by mu.
func (s *Silences) mutes(a store.Alert) bool {
	if v, ok := s.memo[a.ID]; ok {
		return v
	}
	v := slices.ContainsFunc(s.active, func(c *compiled) bool { return c.ms.Matches(a.Labels) })
	s.memo[a.ID] = v
	return v
}

// Mutes implements the notification pipeline's Muter: whether an active
// silence (as of the last Apply, and still active at now) matches a.
func (s *Silences) Mutes(a store.Alert, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !now.Equal(s.activeAt) {
		// Another time than the last cycle's: the active set may differ.
		active := slices.DeleteFunc(slices.Clone(s.active), func(c *compiled) bool { return StateAt(c.s, now) != StateActive })
		return slices.ContainsFunc(active, func(c *compiled) bool { return c.ms.Matches(a.Labels) })
	}
	return s.mutes(a)
}

// Apply implements the evaluator's Silencer: it marks the cycle's active
// alerts silenced or unsilenced at now, in the store and in active, with a
// silenced or unsilenced history event.
func (s *Silences) Apply(ctx context.Context, active []store.Alert, now time.Time) error {
	if err := s.refresh(ctx, now); err != nil {
		return err
	}
	want := make([]bool, len(active))
	s.mu.Lock()
	seen := make(map[string]bool, len(active))
	for i := range active {
		want[i] = s.mutes(active[i])
		seen[active[i].ID] = true
	}
	for id := range s.memo {
		if !seen[id] {
			delete(s.memo, id)
		}
	}
	s.mu.Unlock()
	var errs []error
	for i := range active {
		a := &active[i]
		if want[i] == a.Silenced {
			continue
		}
		kind := "silenced"
		if !want[i] {
			kind = "unsilenced"
		}
		up, evs, err := s.st.UpdateAlertEvents(ctx, a.ID, func(x *store.Alert) ([]store.AlertEvent, error) {
			if x.State == store.StateResolved {
				return nil, errResolved
			}
			x.Silenced, x.UpdatedAt = want[i], now
			return []store.AlertEvent{{Kind: kind, Time: now, Value: x.Value}}, nil
		})
		if errors.Is(err, errResolved) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("silence alert %s: %w", a.ID, err))
			continue
		}
		a.Silenced, a.UpdatedAt = up.Silenced, up.UpdatedAt
		if s.pub != nil {
			for _, ev := range evs {
				s.pub.PublishAlertEvent(up, ev)
			}
		}
	}
	return errors.Join(errs...)
}

// errResolved skips an alert resolved meanwhile.
var errResolved = errors.New("alert resolved meanwhile")
