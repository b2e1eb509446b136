package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/server"
)

// streamServer serves s at /ws/metrics; the caller's key is the X-Key header.
func streamServer(t *testing.T, s *server.Stream) string {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = server.ErrorHandler(slog.New(slog.DiscardHandler))
	if s.Key == nil {
		s.Key = func(c echo.Context) string { return c.Request().Header.Get("X-Key") }
	}
	e.GET("/ws/metrics", s.Handle)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws/metrics"
}

func dial(ctx context.Context, url, key string, protos ...string) (*websocket.Conn, *http.Response, error) {
	return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"X-Key": {key}}, Subprotocols: protos})
}

// readOne reads one message, so the handler is known to hold its slot.
func readOne(ctx context.Context, t *testing.T, c *websocket.Conn) server.StreamMessage {
	t.Helper()
	var m server.StreamMessage
	require.NoError(t, wsjson.Read(ctx, c, &m))
	return m
}

func TestStreamLimitsConnectionsPerKey(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	url := streamServer(t, &server.Stream{
		Interval: time.Hour, MaxConns: 5, MaxConnsPerKey: 2,
		API: func(context.Context) any { return map[string]int{"requests": 1} },
	})
	var open []*websocket.Conn
	defer func() {
		for _, c := range open {
			_ = c.CloseNow()
		}
	}()
	for range 2 {
		c, _, err := dial(ctx, url, "dash")
		require.NoError(t, err)
		readOne(ctx, t, c)
		open = append(open, c)
	}
	_, resp, err := dial(ctx, url, "dash")
	require.Error(t, err, "a third connection of one key is refused")
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "10", resp.Header.Get("Retry-After"))

	// Other keys still get in, up to the global limit.
	for _, k := range []string{"ops", "ops", "ci"} {
		c, _, err := dial(ctx, url, k)
		require.NoError(t, err, k)
		readOne(ctx, t, c)
		open = append(open, c)
	}
	_, resp, err = dial(ctx, url, "other")
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "the global limit still holds")

	// A key's slot is freed when its connection ends.
	require.NoError(t, open[0].Close(websocket.StatusNormalClosure, ""))
	open = open[1:]
	require.Eventually(t, func() bool {
		c, _, err := dial(ctx, url, "dash")
		if err != nil {
			return false
		}
		open = append(open, c)
		return true
	}, 10*time.Second, 20*time.Millisecond)
}

func TestStreamEchoesItsSubprotocol(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	url := streamServer(t, &server.Stream{Interval: time.Hour, API: func(context.Context) any { return 1 }})
	c, _, err := dial(ctx, url, "k", "something.else", server.StreamProtocol)
	require.NoError(t, err)
	defer func() { _ = c.CloseNow() }()
	assert.Equal(t, server.StreamProtocol, c.Subprotocol())
	readOne(ctx, t, c)

	plain, _, err := dial(ctx, url, "k")
	require.NoError(t, err)
	defer func() { _ = plain.CloseNow() }()
	assert.Empty(t, plain.Subprotocol(), "no subprotocol offered, none chosen")
}

func TestStreamClosesWhenTheCredentialIsGone(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var valid atomic.Bool
	valid.Store(true)
	url := streamServer(t, &server.Stream{
		Interval: time.Hour, Recheck: 20 * time.Millisecond,
		API:        func(context.Context) any { return 1 },
		Authorized: func(echo.Context) bool { return valid.Load() },
	})
	c, _, err := dial(ctx, url, "k")
	require.NoError(t, err)
	defer func() { _ = c.CloseNow() }()
	readOne(ctx, t, c)
	valid.Store(false)
	var m server.StreamMessage
	err = wsjson.Read(ctx, c, &m)
	require.Error(t, err)
	assert.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
}
