package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// headKey marks a HEAD request routed as GET.
const headKey = "vigil.head"

// routeHeadAsGet makes every GET route answer HEAD, as net/http's ServeMux
// does (echo routes by method, so HEAD was a 405): before routing, a HEAD
// request is routed as GET; restoreHead, the first middleware after
// routing, gives it back its method, so handlers, logs and metrics see
// HEAD, and net/http discards the body it writes. Vigil registers no HEAD
// routes of its own.
func routeHeadAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
			c.Set(headKey, true)
		}
		return next(c)
	}
}

func restoreHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if head, _ := c.Get(headKey).(bool); head {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}
