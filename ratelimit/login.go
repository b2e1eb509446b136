package ratelimit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/otel/metric"
)

// DefaultLoginRoute is the route [LoginMiddleware] guards by default.
const DefaultLoginRoute = "/api/login"

// maxLoginPeek bounds how much of a login body is read to find the
// username; the handler still reads (and limits) the whole body.
const maxLoginPeek = 64 << 10

// LoginConfig configures [LoginMiddleware].
type LoginConfig struct {
	// Skipper skips the middleware. Optional. Default value: skip every
	// request that is not a POST to Route.
	Skipper middleware.Skipper
	// Route is the login route. Optional. Default value
	// [DefaultLoginRoute].
	Route string
	// Limiter decides; its configuration's Login section holds the
	// budgets (see [LoginClientRoute], [LoginUsernameRoute]). Required.
	Limiter Limiter
	// ClientFunc names the client. Optional. Default value [DefaultClient].
	ClientFunc func(c echo.Context) string
	// Username returns the username a login body names ("" when none).
	// Optional. Default value: the "username" member of a JSON object.
	Username func(body []byte) string
	// OnLimited is called for every refused attempt; perUsername tells
	// which budget refused it. Optional. Default value nil.
	OnLimited func(c echo.Context, client string, perUsername bool, d Decision)
	// MeterProvider records vigil.ratelimit.limited. Optional. Default
	// value the global provider.
	MeterProvider metric.MeterProvider
}

// jsonUsername is the default [LoginConfig.Username].
func jsonUsername(body []byte) string {
	var v struct {
		Username string `json:"username"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.Username
}

// usernameKey is the bucket key of a username: case and surrounding space
// do not make a new budget, and the raw name never reaches Redis keys.
func usernameKey(u string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(u))))
	return hex.EncodeToString(sum[:16])
}

// LoginMiddleware limits login attempts per client and per username: each
// attempt counts against both budgets (the client's first; an attempt the
// client budget refuses does not count against the username). A refused
// attempt is a 429 whose RateLimit, X-RateLimit-* and Retry-After describe
// the budget that refused it; an admitted one carries the headers of the
// budget with fewer requests left. It panics when cfg.Limiter is nil.
func LoginMiddleware(cfg LoginConfig) echo.MiddlewareFunc {
	if cfg.Limiter == nil {
		panic("ratelimit: login middleware requires a limiter")
	}
	if cfg.Route == "" {
		cfg.Route = DefaultLoginRoute
	}
	if cfg.Skipper == nil {
		route := cfg.Route
		cfg.Skipper = func(c echo.Context) bool {
			return c.Request().Method != http.MethodPost || c.Path() != route
		}
	}
	if cfg.ClientFunc == nil {
		cfg.ClientFunc = DefaultClient
	}
	if cfg.Username == nil {
		cfg.Username = jsonUsername
	}
	limited := limitedCounter(cfg.MeterProvider)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if cfg.Skipper(c) {
				return next(c)
			}
			req := c.Request()
			ctx := req.Context()
			client := cfg.ClientFunc(c)
			refuse := func(d Decision, perUsername bool) error {
				SetHeaders(c.Response().Header(), d)
				limited.add(ctx, client, cfg.Route)
				if cfg.OnLimited != nil {
					cfg.OnLimited(c, client, perUsername, d)
				}
				who := "from this client"
				if perUsername {
					who = "for this username"
				}
				return echo.NewHTTPError(http.StatusTooManyRequests,
					fmt.Sprintf("too many login attempts %s: %d per %s; retry in %d s", who, d.Limit, d.Window, d.Seconds()))
			}
			dc, err := cfg.Limiter.Allow(ctx, client, LoginClientRoute)
			if err != nil || !dc.Limited() {
				return next(c) // fail open: the limiter logged and counted
			}
			if !dc.Allowed {
				return refuse(dc, false)
			}
			binding := dc
			if username := peekUsername(req, cfg.Username); username != "" {
				du, err := cfg.Limiter.Allow(ctx, usernameKey(username), LoginUsernameRoute)
				if err == nil && du.Limited() {
					if !du.Allowed {
						return refuse(du, true)
					}
					if du.Remaining < dc.Remaining {
						binding = du
					}
				}
			}
			SetHeaders(c.Response().Header(), binding)
			return next(c)
		}
	}
}

// peekUsername reads the start of the body, puts it back for the handler
// and returns the username it names.
func peekUsername(req *http.Request, username func([]byte) string) string {
	if req.Body == nil || req.Body == http.NoBody {
		return ""
	}
	head, err := io.ReadAll(io.LimitReader(req.Body, maxLoginPeek))
	req.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), req.Body), req.Body}
	if err != nil {
		return ""
	}
	return username(head)
}
