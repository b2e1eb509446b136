// Package labels matches label sets with Alertmanager-style matchers.
//
// A [Matcher] is a label name, an operator and a value: `severity=critical`,
// `team=~api|web`, `env!=dev`, `route!~"/internal/.*"`. Regular expressions
// are anchored at both ends (as Alertmanager's) and compiled once, when the
// matcher is made. [ParseMatcher] reads Alertmanager's matcher syntax (the
// value may be double-quoted with Go escapes); [NewMatcher] builds one from
// its parts. Routes of the notification tree and silences both use it.
//
//	m, err := labels.ParseMatcher(`team=~"api|web"`)
//	ok := labels.Matchers{m}.Matches(map[string]string{"team": "api"})
package labels
