package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/server"
)

func TestHeadAnswersEveryGetRoute(t *testing.T) {
	var seen []string
	e, _ := newServer(t, server.Config{Version: "1.2.3", Middleware: []echo.MiddlewareFunc{
		func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				seen = append(seen, c.Request().Method+" "+c.Path())
				return next(c)
			}
		},
	}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	send := func(method, path string) (*http.Response, []byte) {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, b
	}
	tests := []struct {
		name, path string
		want       int
	}{
		{"a GET route answers HEAD like GET", "/health", http.StatusOK},
		{"the reference API too", "/api/users/7", http.StatusOK},
		{"an unknown user is the GET's 404", "/api/users/999999999", http.StatusNotFound},
		{"an unknown path is a 404", "/no/such/path", http.StatusNotFound},
		{"a POST-only route is still a 405", "/api/chat", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get, getBody := send(http.MethodGet, tt.path)
			head, headBody := send(http.MethodHead, tt.path)
			assert.Equal(t, tt.want, head.StatusCode)
			assert.Equal(t, get.StatusCode, head.StatusCode, "HEAD answers what GET answers")
			assert.Empty(t, headBody, "without a body")
			if tt.want == http.StatusOK {
				assert.NotEmpty(t, getBody)
				assert.Equal(t, get.Header.Get("Content-Type"), head.Header.Get("Content-Type"))
			}
		})
	}
	assert.Contains(t, seen, "HEAD /health", "handlers and middleware see HEAD, not GET")
}
