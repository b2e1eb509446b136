package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Demo fault injection headers, honoured only when Config.DemoFaults is set.
const (
	HeaderDemoFault = "X-Demo-Fault"
	HeaderDemoDelay = "X-Demo-Delay"
	// MaxDemoDelay caps X-Demo-Delay.
	MaxDemoDelay = 10 * time.Second
)

// errDemoFault is the cause of an injected 500.
var errDemoFault = errors.New("demo fault injected")

// demoFaults adds the latency of X-Demo-Delay (capped) and fails the request
// with a 500 on X-Demo-Fault: error. Off, it ignores both headers.
func demoFaults(enabled bool, sleep func(echo.Context, time.Duration) error) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if !enabled {
			return next
		}
		return func(c echo.Context) error {
			if v := c.Request().Header.Get(HeaderDemoDelay); v != "" {
				d, err := time.ParseDuration(v)
				if err != nil || d < 0 {
					return echo.NewHTTPError(http.StatusBadRequest, `header "X-Demo-Delay": must be a duration such as 250ms`)
				}
				if err := sleep(c, min(d, MaxDemoDelay)); err != nil {
					return err
				}
			}
			if c.Request().Header.Get(HeaderDemoFault) == "error" {
				return echo.NewHTTPError(http.StatusInternalServerError).SetInternal(errDemoFault)
			}
			return next(c)
		}
	}
}

// sleepCtx waits d or until the client goes away.
func sleepCtx(c echo.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.Request().Context().Done():
		return echo.NewHTTPError(499, "client closed request").SetInternal(context.Cause(c.Request().Context()))
	}
}
