package labels

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrInvalid wraps every error of a malformed matcher.
var ErrInvalid = errors.New("invalid matcher")

// MatchType is a matcher's operator.
type MatchType int

// Operators, as written in Alertmanager's matcher syntax.
const (
	MatchEqual     MatchType = iota // =
	MatchNotEqual                   // !=
	MatchRegexp                     // =~
	MatchNotRegexp                  // !~
)

func (t MatchType) String() string {
	switch t {
	case MatchEqual:
		return "="
	case MatchNotEqual:
		return "!="
	case MatchRegexp:
		return "=~"
	case MatchNotRegexp:
		return "!~"
	}
	return "?"
}

// Matcher selects label sets by one label. Build it with NewMatcher or
// ParseMatcher: a regular expression is compiled there, once.
type Matcher struct {
	Type  MatchType
	Name  string
	Value string
	re    *regexp.Regexp
}

// ValidName reports whether s is a label name ([a-zA-Z_][a-zA-Z0-9_]*).
func ValidName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// NewMatcher returns a matcher; a regular expression value is compiled
// anchored (^(?:value)$).
func NewMatcher(t MatchType, name, value string) (*Matcher, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("%w: invalid label name %q", ErrInvalid, name)
	}
	m := &Matcher{Type: t, Name: name, Value: value}
	switch t {
	case MatchEqual, MatchNotEqual:
	case MatchRegexp, MatchNotRegexp:
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		m.re = re
	default:
		return nil, fmt.Errorf("%w: unknown operator %d", ErrInvalid, t)
	}
	return m, nil
}

// Matches reports whether the value of m's label (empty when absent)
// satisfies m.
func (m *Matcher) Matches(v string) bool {
	switch m.Type {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.re.MatchString(v)
	case MatchNotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// String writes m in matcher syntax with the value quoted, so that
// ParseMatcher(m.String()) gives m back.
func (m *Matcher) String() string { return m.Name + m.Type.String() + strconv.Quote(m.Value) }

// Matchers select label sets that every matcher selects.
type Matchers []*Matcher

// Matches reports whether every matcher matches labels (a missing label
// is the empty value). No matchers match everything.
func (ms Matchers) Matches(labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}

// String writes the matchers as Alertmanager does: {a="b", c=~"d"}.
func (ms Matchers) String() string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
