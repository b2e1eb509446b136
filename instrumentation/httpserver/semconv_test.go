package httpserver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/vigilhq/vigil/instrumentation/httpserver"
)

func TestPatternRoute(t *testing.T) {
	tests := map[string]struct{ pattern, want string }{
		"a pattern without method or host is its path":  {"/api/users/{id}", "/api/users/{id}"},
		"the method is dropped":                         {"GET /api/users/{id}", "/api/users/{id}"},
		"the host is dropped":                           {"example.com/api/", "/api/"},
		"method and host are dropped":                   {"POST example.com/api/chat", "/api/chat"},
		"several blanks after the method are dropped":   {"GET \t /x", "/x"},
		"the exact-match marker stays in the template":  {"GET /{$}", "/{$}"},
		"a wildcard stays in the template":              {"/static/{path...}", "/static/{path...}"},
		"no pattern (the mux matched none) is no route": {"", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, httpserver.PatternRoute(tt.pattern))
		})
	}
}

func TestMethod(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"a known method is kept":             {"PATCH", "PATCH"},
		"QUERY is known":                     {"QUERY", "QUERY"},
		"a lowercase method is not known":    {"get", "_OTHER"},
		"an invented method becomes _OTHER":  {"PURGE", "_OTHER"},
		"an empty method becomes _OTHER too": {"", "_OTHER"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tt.want, httpserver.Method(tt.in))
		})
	}
}
