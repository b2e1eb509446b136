package fleet

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Matcher is one label matcher of a PromQL selector: Name Op "Value".
type Matcher struct {
	Name  string
	Op    string // =, !=, =~ or !~
	Value string
}

// String renders the matcher as PromQL: name="value" with the value quoted
// as a Go string literal, which PromQL reads the same way.
func (m Matcher) String() string { return m.Name + m.Op + strconv.Quote(m.Value) }

// Matchers are the extra matchers of the fleet section, added to every
// selector Vigil builds (never edited into query strings).
//
// In YAML they are written as a selector string (`'{job="vigil"}'`), a
// list of matchers (`['job="vigil"', 'env=~"prod|staging"']`) or a map of
// equality matchers (`{job: vigil}`). An unquoted `{job="vigil"}` is, for
// YAML, a map whose key is the whole matcher: it is read as that matcher.
type Matchers []Matcher

// Strings renders each matcher as PromQL, in order.
func (ms Matchers) Strings() []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// String renders the matchers as a selector, {a="b",c=~"d"}.
func (ms Matchers) String() string { return "{" + strings.Join(ms.Strings(), ",") + "}" }

// Selector renders metric{matchers...} from rendered matchers (such as
// Matchers.Strings()); without matchers, the bare metric name.
func Selector(metric string, matchers ...string) string {
	if len(matchers) == 0 {
		return metric
	}
	return metric + "{" + strings.Join(matchers, ",") + "}"
}

// maxMatchers bounds the extra matchers.
const maxMatchers = 32

// UnmarshalYAML reads the three YAML forms of Matchers.
func (ms *Matchers) UnmarshalYAML(n *yaml.Node) error {
	var out Matchers
	add := func(m ...Matcher) { out = append(out, m...) }
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			*ms = nil
			return nil
		}
		parsed, err := ParseMatchers(n.Value)
		if err != nil {
			return err
		}
		add(parsed...)
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("[%d]: want a matcher such as job=\"vigil\"", i)
			}
			m, err := parseOne(c.Value)
			if err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
			add(m)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return errors.New("want matchers such as job=\"vigil\"")
			}
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				// {job="vigil"} unquoted: the key is the matcher.
				m, err := parseOne(k.Value)
				if err != nil {
					return err
				}
				add(m)
				continue
			}
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s: want a label value", k.Value)
			}
			m := Matcher{Name: k.Value, Op: "=", Value: v.Value}
			if err := m.validate(); err != nil {
				return err
			}
			add(m)
		}
	default:
		return errors.New("want a selector such as '{job=\"vigil\"}'")
	}
	if len(out) > maxMatchers {
		return fmt.Errorf("at most %d matchers", maxMatchers)
	}
	*ms = out
	return nil
}

var labelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func (m Matcher) validate() error {
	switch {
	case !labelNameRE.MatchString(m.Name):
		return fmt.Errorf("%q is not a label name", m.Name)
	case strings.HasPrefix(m.Name, "__"):
		return fmt.Errorf("label %s: names starting with __ are reserved", m.Name)
	case m.Op != "=" && m.Op != "!=" && m.Op != "=~" && m.Op != "!~":
		return fmt.Errorf("label %s: operator %q: want =, !=, =~ or !~", m.Name, m.Op)
	}
	if m.Op == "=~" || m.Op == "!~" {
		if _, err := regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
			return fmt.Errorf("label %s: bad regular expression %q", m.Name, m.Value)
		}
	}
	return nil
}

// ParseMatchers parses a selector's matchers: `{job="vigil", env=~"prod.*"}`
// (the braces are optional). Values are double-quoted or backquoted
// strings with Go's escapes, as in PromQL; label names are PromQL's
// (legacy) names and may not start with "__".
func ParseMatchers(s string) (Matchers, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return nil, errors.New("selector: missing closing }")
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	var out Matchers
	for s != "" {
		m, rest, err := scanMatcher(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		if len(out) > maxMatchers {
			return nil, fmt.Errorf("at most %d matchers", maxMatchers)
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != ',' {
			return nil, fmt.Errorf("after %s: want , between matchers", m)
		}
		s = strings.TrimSpace(rest[1:])
	}
	return out, nil
}

// parseOne parses exactly one matcher.
func parseOne(s string) (Matcher, error) {
	m, rest, err := scanMatcher(strings.TrimSpace(s))
	if err != nil {
		return Matcher{}, err
	}
	if strings.TrimSpace(rest) != "" {
		return Matcher{}, fmt.Errorf("%q: want one matcher such as job=\"vigil\"", s)
	}
	return m, nil
}

// scanMatcher reads name op "value" from the start of s.
func scanMatcher(s string) (Matcher, string, error) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || i > 0 && s[i] >= '0' && s[i] <= '9') {
		i++
	}
	if i == 0 {
		return Matcher{}, "", fmt.Errorf("%q: want a matcher such as job=\"vigil\"", s)
	}
	m := Matcher{Name: s[:i]}
	s = strings.TrimLeft(s[i:], " \t")
	switch {
	case strings.HasPrefix(s, "=~"), strings.HasPrefix(s, "!~"), strings.HasPrefix(s, "!="):
		m.Op, s = s[:2], s[2:]
	case strings.HasPrefix(s, "="):
		m.Op, s = "=", s[1:]
	default:
		return Matcher{}, "", fmt.Errorf("label %s: want =, !=, =~ or !~ after the name", m.Name)
	}
	s = strings.TrimLeft(s, " \t")
	lit, rest, err := scanString(s)
	if err != nil {
		return Matcher{}, "", fmt.Errorf("label %s: %w", m.Name, err)
	}
	m.Value = lit
	if err := m.validate(); err != nil {
		return Matcher{}, "", err
	}
	return m, rest, nil
}

// scanString reads a double-quoted or backquoted string literal.
func scanString(s string) (string, string, error) {
	if s == "" || (s[0] != '"' && s[0] != '`') {
		return "", "", errors.New("want a quoted value such as \"vigil\"")
	}
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad quoted value %s", s[:i+1])
			}
			return v, s[i+1:], nil
		case q == '"' && s[i] == '\n':
			return "", "", errors.New("newline in quoted value")
		}
	}
	return "", "", errors.New("unterminated quoted value")
}
