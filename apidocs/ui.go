package apidocs

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// Paths of the documentation routes registered by [Mount].
const (
	SpecPath   = "/openapi.json"
	DocsPath   = "/docs"
	AssetsPath = "/docs/assets"
)

// DocsCSP is the Content-Security-Policy the /docs page needs and sets: its
// scripts and styles come from the same origin; Swagger UI sets inline
// styles (style-src 'unsafe-inline') and shows data: images; try-it-out
// calls the same origin (connect-src 'self'). No inline script, no eval.
const DocsCSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

//go:embed ui/index.html ui/init.js ui/swagger-ui-bundle.js ui/swagger-ui.css ui/LICENSE ui/NOTICE ui/swagger-ui-bundle.js.LICENSE.txt
var uiFS embed.FS

var pageTemplate = template.Must(template.ParseFS(uiFS, "ui/index.html"))

type asset struct {
	data        []byte
	contentType string
	etag        string
}

var loadAssets = sync.OnceValue(func() map[string]asset {
	out := make(map[string]asset)
	for _, name := range []string{"init.js", "swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"} {
		data, err := uiFS.ReadFile("ui/" + name)
		if err != nil {
			panic("apidocs: embedded asset missing: " + name)
		}
		ct := "text/plain; charset=utf-8"
		switch path.Ext(name) {
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".css":
			ct = "text/css; charset=utf-8"
		}
		sum := sha256.Sum256(data)
		out[name] = asset{data: data, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return out
})

func renderPage(specURL string) ([]byte, error) {
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, struct{ Title, Prefix, SpecURL string }{"API documentation", DocsPath, specURL})
	return b.Bytes(), err
}

func setDocsHeaders(h http.Header) {
	h.Set("Content-Security-Policy", DocsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// serveAsset writes the embedded asset name, honouring conditional and range
// requests; it reports false when there is no such asset.
func serveAsset(w http.ResponseWriter, r *http.Request, name string) bool {
	a, ok := loadAssets()[name]
	if !ok {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
	return true
}

// Handler serves the interactive documentation for non-echo servers: GET
// /docs (the page, loading the document from specURL) and
// /docs/assets/{file}. Mount it at "/docs" and "/docs/".
func Handler(specURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch {
		case r.URL.Path == DocsPath || r.URL.Path == DocsPath+"/":
			page, err := renderPage(specURL)
			if err != nil {
				http.Error(w, "render docs page", http.StatusInternalServerError)
				return
			}
			setDocsHeaders(w.Header())
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(page)
		case strings.HasPrefix(r.URL.Path, AssetsPath+"/"):
			if !serveAsset(w, r, strings.TrimPrefix(r.URL.Path, AssetsPath+"/")) {
				http.NotFound(w, r)
			}
		default:
			http.NotFound(w, r)
		}
	})
}

// DocsHandler serves the /docs page, which loads the document from specURL
// and sets [DocsCSP].
func DocsHandler(specURL string) echo.HandlerFunc {
	return func(c echo.Context) error {
		page, err := renderPage(specURL)
		if err != nil {
			return echo.NewHTTPError(http.StatusInternalServerError, "render docs page").SetInternal(err)
		}
		setDocsHeaders(c.Response().Header())
		return c.HTMLBlob(http.StatusOK, page)
	}
}

// AssetsHandler serves the embedded UI assets; register it on
// AssetsPath+"/*".
func AssetsHandler() echo.HandlerFunc {
	return func(c echo.Context) error {
		if !serveAsset(c.Response(), c.Request(), c.Param("*")) {
			return echo.NewHTTPError(http.StatusNotFound, "no such documentation asset")
		}
		return nil
	}
}

// SpecHandler serves doc as JSON; the document is marshalled once.
func SpecHandler(doc *openapi3.T) echo.HandlerFunc {
	return specHandler(func() *openapi3.T { return doc })
}

func specHandler(get func() *openapi3.T) echo.HandlerFunc {
	var (
		mu     sync.Mutex
		cached *openapi3.T
		body   []byte
	)
	return func(c echo.Context) error {
		doc := get()
		if doc == nil {
			return echo.NewHTTPError(http.StatusServiceUnavailable, "openapi document is not built yet")
		}
		mu.Lock()
		if cached != doc {
			raw, err := json.Marshal(doc)
			if err != nil {
				mu.Unlock()
				return echo.NewHTTPError(http.StatusInternalServerError, "marshal openapi document").SetInternal(err)
			}
			cached, body = doc, raw
		}
		raw := body
		mu.Unlock()
		c.Response().Header().Set("Cache-Control", "no-cache")
		return c.JSONBlob(http.StatusOK, raw)
	}
}

// Router is what [Mount] needs: *echo.Echo and *echo.Group satisfy it.
type Router interface {
	GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route
}

// Mount registers GET /openapi.json (serving spec(), typically an
// atomic.Pointer's Load so the document can be built from the routes after
// mounting), GET /docs and GET /docs/assets/*. Document them with
// [Operations].
func Mount(r Router, spec func() *openapi3.T) {
	r.GET(SpecPath, specHandler(spec))
	r.GET(DocsPath, DocsHandler(SpecPath))
	r.GET(AssetsPath+"/*", AssetsHandler())
}

// Operations documents the routes [Mount] registers.
func Operations() []Operation {
	return []Operation{
		{
			Method: http.MethodGet, Path: SpecPath, Tags: []string{"docs"},
			Summary:     "OpenAPI document",
			Description: "This API's OpenAPI 3.0.3 document, generated from the routes the server serves.",
			Responses:   map[int]Response{http.StatusOK: {Description: "The OpenAPI document.", Body: map[string]any{}}},
		},
		{
			Method: http.MethodGet, Path: DocsPath, Tags: []string{"docs"},
			Summary:     "Interactive documentation",
			Description: "Swagger UI with try-it-out, served from assets embedded in the binary.",
			Responses:   map[int]Response{http.StatusOK: {Description: "The documentation page.", ContentType: "text/html"}},
		},
	}
}
