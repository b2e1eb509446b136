package security

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// credKind is where a request's credential came from.
type credKind int

const (
	credNone        credKind = iota
	credHeader               // Authorization: Bearer or X-API-Key
	credSubprotocol          // the bearer WebSocket subprotocol
	credCookie               // the console session cookie
)

// credential is what a request presented. malformed means something was
// sent in a credential's place that cannot be one (another Authorization
// scheme, a bad subprotocol token, a cookie of the wrong shape).
type credential struct {
	kind      credKind
	secret    string
	malformed bool
}

// presented returns the credential of the request, in order of
// precedence: Authorization: Bearer KEY, X-API-Key: KEY, on a WebSocket
// upgrade the bearer subprotocol, then (when cookies is set) the session
// cookie. Nothing is ever read from the query string. The bearer
// subprotocol is removed from the request, so nothing after this point
// sees the token.
func presented(r *http.Request, cookies bool) credential {
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return credential{kind: credHeader, secret: strings.TrimSpace(tok)}
		}
		return credential{kind: credHeader, malformed: true} // some other scheme: a credential we do not accept
	}
	if k := r.Header.Get("X-API-Key"); k != "" {
		return credential{kind: credHeader, secret: strings.TrimSpace(k)}
	}
	if isWebSocketUpgrade(r) {
		tok, found, rest, err := BearerFromSubprotocols(r.Header.Values("Sec-WebSocket-Protocol"))
		if found {
			r.Header.Del("Sec-WebSocket-Protocol")
			if len(rest) > 0 {
				r.Header.Set("Sec-WebSocket-Protocol", strings.Join(rest, ", "))
			}
			return credential{kind: credSubprotocol, secret: tok, malformed: err != nil}
		}
	}
	if cookies {
		if tok, sent, valid := SessionToken(r); sent {
			return credential{kind: credCookie, secret: tok, malformed: !valid}
		}
	}
	return credential{}
}

// crossOrigin refuses state-changing browser requests from other origins
// (Sec-Fetch-Site, else Origin against Host): the check behind the
// session cookie's CSRF protection.
var crossOrigin = http.NewCrossOriginProtection()

// SameOrigin refuses unsafe requests from another origin with a 403, for
// routes that act on the session cookie itself (login, logout). Requests
// without Sec-Fetch-Site and Origin (not from a browser) pass.
func SameOrigin() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := crossOrigin.Check(c.Request()); err != nil {
				return echo.NewHTTPError(http.StatusForbidden, "cross-origin request refused")
			}
			return next(c)
		}
	}
}
