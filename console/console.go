package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/security"
)

// Paths of the console.
const (
	Path        = "/ui"
	LoginPath   = "/ui/login"
	LogoutPath  = "/ui/logout"
	SessionPath = "/ui/session"
	AssetsPath  = "/ui/assets"
)

// CSP is the Content-Security-Policy of the console's pages: everything
// from the same origin (connect-src 'self' covers the WebSocket), no inline
// script or style, Trusted Types enforced (no HTML is ever built from
// strings), no framing, forms post only to the console.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'"

// maxKeyLen bounds the key field of the login form.
const maxKeyLen = 4096

// Links are the external tools the console links to; empty ones are not
// shown.
type Links struct {
	Grafana    string `json:"grafana,omitempty"`
	Prometheus string `json:"prometheus,omitempty"`
	Jaeger     string `json:"jaeger,omitempty"`
}

// Config configures [New].
type Config struct {
	// Auth checks keys and opens sessions; it must have sessions
	// ([security.WithSessions]). Required.
	Auth *security.Authenticator
	// Links are shown in the console. Optional.
	Links Links
	// Version is shown in the console's footer. Optional.
	Version string
	// LoginMiddleware runs before POST /ui/login, for example a rate
	// limit. Optional.
	LoginMiddleware []echo.MiddlewareFunc
	// Logger reports failures to start or end a session. Optional.
	// Default value: discard.
	Logger *slog.Logger
}

// Console serves /ui.
type Console struct {
	cfg Config
}

// New validates cfg and returns the console.
func New(cfg Config) (*Console, error) {
	if cfg.Auth == nil || cfg.Auth.Sessions() == nil {
		return nil, errors.New("invalid configuration: console: an authenticator with sessions is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if _, err := loadAssets(); err != nil {
		return nil, err
	}
	return &Console{cfg: cfg}, nil
}

// Register mounts the console's routes on e.
func (k *Console) Register(e *echo.Echo) {
	e.GET(Path, k.page)
	e.GET(AssetsPath+"/*", k.asset)
	e.POST(LoginPath, k.login, append(append([]echo.MiddlewareFunc{}, k.cfg.LoginMiddleware...), security.SameOrigin())...)
	e.POST(LogoutPath, k.logout, security.SameOrigin())
	e.GET(SessionPath, k.session, k.cfg.Auth.Require(security.RoleViewer))
}

//go:embed web
var webFS embed.FS

var loginTemplate = template.Must(template.ParseFS(webFS, "web/login.html"))

type asset struct {
	data        []byte
	contentType string
	etag        string
}

// loadAssets reads the embedded files once.
var loadAssets = sync.OnceValues(func() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(webFS, "web/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := webFS.ReadFile(p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		switch path.Ext(p) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		sum := sha256.Sum256(data)
		out[strings.TrimPrefix(p, "web/assets/")] = asset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: embedded assets: %w", err)
	}
	if _, ok := out["app.js"]; !ok {
		return nil, errors.New("console: embedded assets: app.js missing")
	}
	return out, nil
})

var appPage = sync.OnceValue(func() []byte {
	b, err := webFS.ReadFile("web/index.html")
	if err != nil {
		panic("console: web/index.html is not embedded")
	}
	return b
})

func setPageHeaders(h http.Header) {
	h.Set(echo.HeaderContentSecurityPolicy, CSP)
	h.Set(echo.HeaderCacheControl, "no-store")
}

// page serves the console to a principal that may use it, else the login
// page.
func (k *Console) page(c echo.Context) error {
	if p, ok := security.PrincipalFrom(c); ok && p.Role.Satisfies(security.RoleViewer) {
		setPageHeaders(c.Response().Header())
		return c.HTMLBlob(http.StatusOK, appPage())
	}
	notice := ""
	if p, ok := security.PrincipalFrom(c); ok {
		notice = fmt.Sprintf("The key %q has the role %s, which cannot use the console.", p.Name, p.Role)
	} else if _, sent, _ := security.SessionToken(c.Request()); sent {
		notice = "Your session has ended. Log in again."
	}
	return k.loginPage(c, http.StatusOK, notice, "")
}

type loginView struct {
	Notice, Error, Version string
}

func (k *Console) loginPage(c echo.Context, status int, notice, problem string) error {
	var b bytes.Buffer
	if err := loginTemplate.Execute(&b, loginView{Notice: notice, Error: problem, Version: k.cfg.Version}); err != nil {
		return fmt.Errorf("render login page: %w", err)
	}
	setPageHeaders(c.Response().Header())
	return c.HTMLBlob(status, b.Bytes())
}

// fail answers a login problem: a page for browsers, problem details for
// scripts.
func (k *Console) fail(c echo.Context, status int, detail string) error {
	if httpapi.PrefersJSON(c.Request()) {
		return echo.NewHTTPError(status, detail)
	}
	return k.loginPage(c, status, "", detail)
}

// LoginForm is the body of POST /ui/login.
type LoginForm struct {
	// Key is an API key of role viewer or admin.
	Key string `json:"key" form:"key" openapi:"required"`
}

// parseLoginForm reads the key field of an application/x-www-form-urlencoded
// body; the returned text says what is wrong with it.
func parseLoginForm(r *http.Request) (string, int, string) {
	if httpapi.RequireMediaType(r, echo.MIMEApplicationForm) != nil {
		return "", http.StatusUnsupportedMediaType, "request body: send the form field \"key\" as application/x-www-form-urlencoded"
	}
	if err := r.ParseForm(); err != nil {
		if limit, ok := httpapi.TooLarge(err); ok {
			return "", http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit)
		}
		return "", http.StatusBadRequest, "request body: not a valid form"
	}
	if len(r.PostForm["key"]) > 1 {
		return "", http.StatusBadRequest, "form field \"key\": give it once"
	}
	key := strings.TrimSpace(r.PostForm.Get("key"))
	switch {
	case key == "":
		return "", http.StatusBadRequest, "form field \"key\": enter an API key"
	case len(key) > maxKeyLen:
		return "", http.StatusBadRequest, fmt.Sprintf("form field \"key\": longer than %d bytes", maxKeyLen)
	}
	return key, 0, ""
}

// SessionInfo is the body of GET /ui/session and of a JSON login.
type SessionInfo struct {
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	CanAct    bool       `json:"can_act"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	Links     Links      `json:"links"`
	Version   string     `json:"version"`
	// StreamProtocol is the WebSocket subprotocol of /ws/metrics.
	StreamProtocol string `json:"stream_protocol"`
}

// streamProtocol mirrors server.StreamProtocol without importing the
// handlers.
const streamProtocol = "vigil.metrics.v1"

func (k *Console) info(p security.Principal, expires *time.Time) SessionInfo {
	return SessionInfo{
		Name: p.Name, Role: string(p.Role), CanAct: p.Role.Satisfies(security.RoleAdmin), ExpiresAt: expires,
		Links: k.cfg.Links, Version: k.cfg.Version, StreamProtocol: streamProtocol,
	}
}

func (k *Console) login(c echo.Context) error {
	req := c.Request()
	key, status, detail := parseLoginForm(req)
	if status != 0 {
		return k.fail(c, status, detail)
	}
	ctx := req.Context()
	p, _, err := k.cfg.Auth.LookupContext(ctx, key)
	switch {
	case errors.Is(err, security.ErrUnknownKey):
		k.cfg.Auth.RecordLoginFail(c, "console login with an invalid api key")
		return k.fail(c, http.StatusUnauthorized, "That key is not valid.")
	case err != nil:
		k.cfg.Logger.WarnContext(ctx, "console login: keys unavailable", "error", err)
		c.Response().Header().Set(echo.HeaderRetryAfter, "5")
		return k.fail(c, http.StatusServiceUnavailable, "Keys cannot be checked right now. Try again in a moment.")
	case !p.Role.Satisfies(security.RoleViewer):
		return k.fail(c, http.StatusForbidden, fmt.Sprintf("Keys of role %s cannot use the console.", p.Role))
	}
	token, sess, err := k.cfg.Auth.StartSession(ctx, key)
	if err != nil {
		k.cfg.Logger.WarnContext(ctx, "console login: start session", "error", err)
		c.Response().Header().Set(echo.HeaderRetryAfter, "5")
		return k.fail(c, http.StatusServiceUnavailable, "The session could not be stored. Try again in a moment.")
	}
	http.SetCookie(c.Response(), k.cfg.Auth.Sessions().Cookie(req, token, sess.ExpiresAt))
	if httpapi.PrefersJSON(req) {
		return c.JSON(http.StatusOK, k.info(p, &sess.ExpiresAt))
	}
	return c.Redirect(http.StatusSeeOther, Path)
}

func (k *Console) logout(c echo.Context) error {
	if err := k.cfg.Auth.EndSession(c.Request()); err != nil {
		k.cfg.Logger.WarnContext(c.Request().Context(), "console logout: end session", "error", err)
		return echo.NewHTTPError(http.StatusServiceUnavailable, "the session could not be ended; retry").SetInternal(err)
	}
	for _, ck := range security.ClearCookies(c.Request()) {
		http.SetCookie(c.Response(), ck)
	}
	if httpapi.PrefersJSON(c.Request()) {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, Path)
}

func (k *Console) session(c echo.Context) error {
	p, _ := security.PrincipalFrom(c)
	var expires *time.Time
	if t, ok := k.cfg.Auth.SessionExpiry(c); ok {
		expires = &t
	}
	return c.JSON(http.StatusOK, k.info(p, expires))
}

func (k *Console) asset(c echo.Context) error {
	assets, err := loadAssets()
	if err != nil {
		return err
	}
	a, ok := assets[c.Param("*")]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such console asset")
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, a.contentType)
	h.Set("ETag", a.etag)
	h.Set(echo.HeaderCacheControl, "no-cache")
	http.ServeContent(c.Response(), c.Request(), c.Param("*"), time.Time{}, bytes.NewReader(a.data))
	return nil
}
