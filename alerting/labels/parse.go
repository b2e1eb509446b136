package labels

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseMatcher parses one matcher in Alertmanager's syntax: a label name,
// one of = != =~ !~, and a value, with optional spaces around each. The
// value is either the rest of the input (trimmed) or a double-quoted Go
// string (`env="a \"b\""`). A surrounding {…} is accepted.
func ParseMatcher(s string) (*Matcher, error) {
	in := strings.TrimSpace(s)
	if strings.HasPrefix(in, "{") && strings.HasSuffix(in, "}") {
		in = strings.TrimSpace(in[1 : len(in)-1])
	}
	i := 0
	for i < len(in) && (in[i] == '_' || in[i] >= 'a' && in[i] <= 'z' || in[i] >= 'A' && in[i] <= 'Z' || i > 0 && in[i] >= '0' && in[i] <= '9') {
		i++
	}
	name, rest := in[:i], strings.TrimLeft(in[i:], " \t")
	if name == "" {
		return nil, fmt.Errorf("%w: %q: want a label name, an operator (=, !=, =~, !~) and a value", ErrInvalid, s)
	}
	var t MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		t, rest = MatchRegexp, rest[2:]
	case strings.HasPrefix(rest, "!~"):
		t, rest = MatchNotRegexp, rest[2:]
	case strings.HasPrefix(rest, "!="):
		t, rest = MatchNotEqual, rest[2:]
	case strings.HasPrefix(rest, "="):
		t, rest = MatchEqual, rest[1:]
	default:
		return nil, fmt.Errorf("%w: %q: want an operator (=, !=, =~, !~) after %q", ErrInvalid, s, name)
	}
	value := strings.TrimSpace(rest)
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: the quoted value is not a valid string", ErrInvalid, s)
		}
		value = v
	}
	return NewMatcher(t, name, value)
}
