package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/apidocs"
)

// StreamMessage is one message of WS /ws/metrics.
type StreamMessage struct {
	Type string    `json:"type"` // system_metrics, api_metrics or alert
	Time time.Time `json:"time"`
	Data any       `json:"data"`
}

// Stream message types.
const (
	MessageSystemMetrics = "system_metrics"
	MessageAPIMetrics    = "api_metrics"
	MessageAlert         = "alert"
)

// StreamProtocol is the WebSocket subprotocol of /ws/metrics. A client that
// offers it (next to the bearer subprotocol carrying its key, for scripts
// that cannot set Authorization) gets it echoed back; offering none is
// fine too.
const StreamProtocol = "vigil.metrics.v1"

// Defaults of [Stream].
const (
	DefaultStreamMaxConns       = 100
	DefaultStreamMaxConnsPerKey = 10
	DefaultStreamRecheck        = 30 * time.Second
)

// AlertFeed publishes alert state changes.
type AlertFeed interface {
	Subscribe() (<-chan alerting.Event, func())
}

// Stream serves WS /ws/metrics: system and API snapshots every Interval and
// every alert state change as it happens.
type Stream struct {
	Interval time.Duration
	System   func(ctx context.Context) any
	API      func(ctx context.Context) any
	Alerts   AlertFeed
	Logger   *slog.Logger
	// MaxConns bounds concurrent connections; more get a 503. Default
	// value [DefaultStreamMaxConns].
	MaxConns int64
	// MaxConnsPerKey bounds the concurrent connections of one caller (as
	// named by Key), so one key cannot hold every slot; more get a 429.
	// Default value [DefaultStreamMaxConnsPerKey].
	MaxConnsPerKey int64
	// Key names the caller of a request (the API key's name). Optional.
	// Default value: every connection counts against the global limit
	// only.
	Key func(c echo.Context) string
	// Authorized tells whether the credential that opened the connection
	// still holds (not revoked, not expired); it is asked every Recheck,
	// and the connection is closed (1008, policy violation) when it says
	// no. Optional. Default value: never asked.
	Authorized func(c echo.Context) bool
	// Recheck is how often Authorized is asked. Optional. Default value
	// [DefaultStreamRecheck].
	Recheck time.Duration

	mu     sync.Mutex
	conns  int64
	perKey map[string]int64
}

const wsWriteTimeout = 5 * time.Second

// acquire takes a connection slot for key, or returns the HTTP error that
// refuses the connection.
func (s *Stream) acquire(key string) (release func(), err error) {
	limit, perKey := s.MaxConns, s.MaxConnsPerKey
	if limit <= 0 {
		limit = DefaultStreamMaxConns
	}
	if perKey <= 0 {
		perKey = DefaultStreamMaxConnsPerKey
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns >= limit {
		return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "too many stream connections")
	}
	if key != "" && s.perKey[key] >= perKey {
		return nil, echo.NewHTTPError(http.StatusTooManyRequests,
			fmt.Sprintf("too many stream connections for this key (at most %d)", perKey))
	}
	s.conns++
	if key != "" {
		if s.perKey == nil {
			s.perKey = map[string]int64{}
		}
		s.perKey[key]++
	}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.conns--
		if key != "" {
			if s.perKey[key]--; s.perKey[key] <= 0 {
				delete(s.perKey, key)
			}
		}
	}, nil
}

// Handle upgrades the connection and streams until the client leaves, the
// credential that opened it no longer holds, or the request context ends
// (server shutdown).
func (s *Stream) Handle(c echo.Context) error {
	key := ""
	if s.Key != nil {
		key = s.Key(c)
	}
	release, err := s.acquire(key)
	if err != nil {
		if he := (*echo.HTTPError)(nil); errors.As(err, &he) && he.Code == http.StatusTooManyRequests {
			c.Response().Header().Set(echo.HeaderRetryAfter, "10")
		}
		return err
	}
	defer release()
	// The server's write timeout would cut a long-lived stream: lift it.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(c.Response(), c.Request(), &websocket.AcceptOptions{Subprotocols: []string{StreamProtocol}})
	if err != nil {
		return nil // Accept has written the HTTP error
	}
	// Backstop for the early returns: after a completed close handshake
	// CloseNow only reports that the connection is already closed.
	defer func() { _ = conn.CloseNow() }()
	ctx := conn.CloseRead(c.Request().Context())

	var events <-chan alerting.Event
	if s.Alerts != nil {
		ch, cancel := s.Alerts.Subscribe()
		defer cancel()
		events = ch
	}
	interval := s.Interval
	if interval <= 0 {
		interval = 5 * time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var recheck <-chan time.Time
	if s.Authorized != nil {
		every := s.Recheck
		if every <= 0 {
			every = DefaultStreamRecheck
		}
		t := time.NewTicker(every)
		defer t.Stop()
		recheck = t.C
	}
	if err := s.snapshots(ctx, conn); err != nil {
		return s.closed(err)
	}
	for {
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusGoingAway, "bye")
			return nil
		case <-recheck:
			if !s.Authorized(c) {
				conn.Close(websocket.StatusPolicyViolation, "credential revoked or expired")
				return nil
			}
		case <-tick.C:
			if err := s.snapshots(ctx, conn); err != nil {
				return s.closed(err)
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if err := write(ctx, conn, StreamMessage{Type: MessageAlert, Time: time.Now().UTC(), Data: ev}); err != nil {
				return s.closed(err)
			}
		}
	}
}

func (s *Stream) snapshots(ctx context.Context, conn *websocket.Conn) error {
	now := time.Now().UTC()
	if s.System != nil {
		if err := write(ctx, conn, StreamMessage{Type: MessageSystemMetrics, Time: now, Data: s.System(ctx)}); err != nil {
			return err
		}
	}
	if s.API != nil {
		return write(ctx, conn, StreamMessage{Type: MessageAPIMetrics, Time: now, Data: s.API(ctx)})
	}
	return nil
}

func (s *Stream) closed(err error) error {
	if s.Logger != nil && !errors.Is(err, context.Canceled) && websocket.CloseStatus(err) == -1 {
		s.Logger.Debug("stream closed", "error", err)
	}
	return nil
}

func write(ctx context.Context, conn *websocket.Conn, m StreamMessage) error {
	ctx, cancel := context.WithTimeout(ctx, wsWriteTimeout)
	defer cancel()
	return wsjson.Write(ctx, conn, m)
}

// streamOperations documents GET /ws/metrics.
func streamOperations() []apidocs.Operation {
	return []apidocs.Operation{
		{Method: "GET", Path: "/ws/metrics", Tags: []string{"Service"}, Summary: "Live stream (WebSocket)",
			Description: "Upgrade to a WebSocket receiving `{\"type\": \"system_metrics\"|\"api_metrics\"|\"alert\", \"data\": ...}` " +
				"every evaluation interval and on every alert state change. Authenticate with `Authorization`, the console's " +
				"session cookie, or (scripts that cannot set headers) the subprotocol " +
				"`base64url.bearer.authorization.k8s.io.<key in unpadded base64url>` offered next to `vigil.metrics.v1`, " +
				"which is echoed back. A key in the query string is never accepted. At most 10 connections per key " +
				"(429) and 100 in all (503); a stream closes (1008) when its key or session is revoked or expires.",
			Security: apidocs.Viewers, Responses: map[int]apidocs.Response{101: {Description: "switching protocols"}},
			Errors: []int{http.StatusUpgradeRequired, http.StatusTooManyRequests, http.StatusServiceUnavailable}},
	}
}
