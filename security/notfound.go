package security

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// NotFoundConfig configures [NotFoundWatcher].
type NotFoundConfig struct {
	// Threshold is the number of 404 responses per client per minute above
	// which a malicious_excess_404 event is recorded (once per minute).
	// Optional. Default value 30.
	Threshold int
	// Events receives the events. Required.
	Events EventSink
	// ClientFunc names the client. Optional. Default value: the principal
	// name, else c.RealIP().
	ClientFunc func(c echo.Context) string
	// MaxClients bounds the clients tracked per minute. Optional. Default
	// value 10000.
	MaxClients int
	// Now is the clock. Optional. Default value time.Now.
	Now func() time.Time
}

// NotFoundWatcher records malicious_excess_404 when a client gets more than
// Threshold 404 responses within one clock minute (a scan).
func NotFoundWatcher(cfg NotFoundConfig) echo.MiddlewareFunc {
	if cfg.Threshold <= 0 {
		cfg.Threshold = 30
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ClientFunc == nil {
		cfg.ClientFunc = func(c echo.Context) string {
			if p, ok := PrincipalFrom(c); ok {
				return p.Name
			}
			return c.RealIP()
		}
	}
	var (
		mu     sync.Mutex
		minute time.Time
		counts = map[string]int{}
	)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			err := next(c)
			if status(c, err) != http.StatusNotFound {
				return err
			}
			client := cfg.ClientFunc(c)
			now := cfg.Now().Truncate(time.Minute)
			mu.Lock()
			if !now.Equal(minute) {
				minute, counts = now, map[string]int{}
			}
			n, tracked := counts[client]
			if tracked || len(counts) < cfg.MaxClients {
				n++
				counts[client] = n
			}
			mu.Unlock()
			if n == cfg.Threshold+1 && cfg.Events != nil {
				e := EventFrom(c, EventMaliciousExcess404,
					fmt.Sprintf("more than %d not-found responses in one minute", cfg.Threshold))
				if e.Client == "" {
					e.Client = client
				}
				cfg.Events.Record(c.Request().Context(), e)
			}
			return err
		}
	}
}

func status(c echo.Context, err error) int {
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he.Code
		}
		return http.StatusInternalServerError
	}
	return c.Response().Status
}
