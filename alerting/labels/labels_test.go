package labels_test

import (
	"errors"
	"testing"

	"github.com/vigilhq/vigil/alerting/labels"
)

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		name, in string
		want     labels.Matcher
		match    map[string]string
		noMatch  map[string]string
	}{
		{"an equality matcher takes the rest as its value", "severity=critical",
			labels.Matcher{Type: labels.MatchEqual, Name: "severity", Value: "critical"},
			map[string]string{"severity": "critical"}, map[string]string{"severity": "warning"}},
		{"a regular expression is anchored", "team=~api|web",
			labels.Matcher{Type: labels.MatchRegexp, Name: "team", Value: "api|web"},
			map[string]string{"team": "web"}, map[string]string{"team": "webapi"}},
		{"a negative matcher matches a missing label", "env!=prod",
			labels.Matcher{Type: labels.MatchNotEqual, Name: "env", Value: "prod"},
			map[string]string{}, map[string]string{"env": "prod"}},
		{"a negative regular expression", `route !~ "/internal/.*"`,
			labels.Matcher{Type: labels.MatchNotRegexp, Name: "route", Value: "/internal/.*"},
			map[string]string{"route": "/api/chat"}, map[string]string{"route": "/internal/x"}},
		{"a quoted value keeps spaces, commas and escapes", `summary="a, \"b\" c"`,
			labels.Matcher{Type: labels.MatchEqual, Name: "summary", Value: `a, "b" c`},
			map[string]string{"summary": `a, "b" c`}, map[string]string{"summary": "a"}},
		{"braces around one matcher are accepted", `{alertname="X"}`,
			labels.Matcher{Type: labels.MatchEqual, Name: "alertname", Value: "X"},
			map[string]string{"alertname": "X"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := labels.ParseMatcher(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != tt.want.Type || m.Name != tt.want.Name || m.Value != tt.want.Value {
				t.Fatalf("parsed %s %s %q, want %s %s %q", m.Name, m.Type, m.Value, tt.want.Name, tt.want.Type, tt.want.Value)
			}
			if !(labels.Matchers{m}).Matches(tt.match) {
				t.Errorf("%s does not match %v", m, tt.match)
			}
			if (labels.Matchers{m}).Matches(tt.noMatch) {
				t.Errorf("%s matches %v", m, tt.noMatch)
			}
		})
	}
}

func TestParseMatcherErrors(t *testing.T) {
	for _, in := range []string{"", "=x", "severity", "severity~x", "1abc=x", `a="unterminated`, "a=~(", "a-b=c"} {
		if m, err := labels.ParseMatcher(in); err == nil {
			t.Errorf("%q parsed as %s", in, m)
		} else if !errors.Is(err, labels.ErrInvalid) {
			t.Errorf("%q: error %v does not wrap ErrInvalid", in, err)
		}
	}
}

func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{"severity=critical", "team=~api|web", `a!~"b\"c"`, "{x!=y}", "a=~(", " b = c "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := labels.ParseMatcher(s)
		if err != nil {
			return
		}
		// What String writes parses back to the same matcher.
		back, err := labels.ParseMatcher(m.String())
		if err != nil {
			t.Fatalf("%q → %s does not parse: %v", s, m, err)
		}
		if back.Type != m.Type || back.Name != m.Name || back.Value != m.Value {
			t.Fatalf("%q → %s → %s", s, m, back)
		}
		m.Matches(s)
	})
}
