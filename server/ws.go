package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/labstack/echo/v4"
	"github.com/vigilhq/vigil/alerting"
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
	// MaxConns bounds concurrent connections; more get a 503. Default 100.
	MaxConns int64

	conns atomic.Int64
}

const wsWriteTimeout = 5 * time.Second

// Handle upgrades the connection and streams until the client leaves or the
// request context ends (server shutdown).
func (s *Stream) Handle(c echo.Context) error {
	limit := s.MaxConns
	if limit <= 0 {
		limit = 100
	}
	if s.conns.Add(1) > limit {
		s.conns.Add(-1)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "too many stream connections")
	}
	defer s.conns.Add(-1)
	// The server's write timeout would cut a long-lived stream: lift it.
	_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(c.Response(), c.Request(), nil)
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
	if err := s.snapshots(ctx, conn); err != nil {
		return s.closed(err)
	}
	for {
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusGoingAway, "bye")
			return nil
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
