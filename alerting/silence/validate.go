package silence

import (
	"errors"
	"fmt"

	"github.com/vigilhq/vigil/alerting/labels"
	"github.com/vigilhq/vigil/store"
)

// ErrInvalid wraps every validation error of a silence.
var ErrInvalid = errors.New("invalid silence")

// Limits of one silence. They bound the work a silence adds to every
// evaluation cycle.
const (
	MaxMatchers      = 64   // matchers per silence
	MaxValueLength   = 1024 // bytes of a matcher's value (a regular expression included)
	MaxNameLength    = 256  // bytes of a matcher's label name
	MaxCreatedBy     = 200  // bytes of createdBy
	MaxCommentLength = 2000 // bytes of comment
)

// Validate checks a silence: one to MaxMatchers matchers with label names,
// values within MaxValueLength and regular expressions that compile, not
// every matcher matching the empty label, EndsAt after StartsAt, and the
// lengths of createdBy and comment. The error names the field and the
// limit.
func Validate(s store.Silence) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch n := len(s.Matchers); {
	case n == 0:
		bad("matchers: at least one required")
	case n > MaxMatchers:
		// Checked first and alone: nothing of an oversized silence is compiled.
		return fmt.Errorf("%w: matchers: at most %d matchers per silence, got %d", ErrInvalid, MaxMatchers, n)
	}
	allEmpty := true
	for i, m := range s.Matchers {
		switch {
		case len(m.Name) > MaxNameLength:
			bad("matchers[%d].name: at most %d bytes", i, MaxNameLength)
			continue
		case !labels.ValidName(m.Name):
			bad("matchers[%d].name: invalid label name %q", i, m.Name)
			continue
		case len(m.Value) > MaxValueLength:
			bad("matchers[%d].value: at most %d bytes, got %d", i, MaxValueLength, len(m.Value))
			continue
		}
		c, err := compileMatcher(m)
		if err != nil {
			bad("matchers[%d].value: %w", i, err)
			continue
		}
		if !c.Matches("") {
			allEmpty = false
		}
	}
	if len(s.Matchers) > 0 && allEmpty && len(errs) == 0 {
		bad("matchers: at least one matcher must not match the empty label")
	}
	if s.EndsAt.IsZero() || !s.EndsAt.After(s.StartsAt) {
		bad("endsAt: must be after startsAt")
	}
	if len(s.CreatedBy) > MaxCreatedBy {
		bad("createdBy: at most %d bytes", MaxCreatedBy)
	}
	if len(s.Comment) > MaxCommentLength {
		bad("comment: at most %d bytes", MaxCommentLength)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// compileMatcher turns a stored matcher into a labels.Matcher.
func compileMatcher(m store.Matcher) (*labels.Matcher, error) {
	t := labels.MatchEqual
	switch {
	case m.IsRegex && m.IsEqual:
		t = labels.MatchRegexp
	case m.IsRegex:
		t = labels.MatchNotRegexp
	case !m.IsEqual:
		t = labels.MatchNotEqual
	}
	return labels.NewMatcher(t, m.Name, m.Value)
}
