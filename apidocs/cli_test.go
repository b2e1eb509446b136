package apidocs_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/vigilhq/vigil/apidocs"
)

func TestMainWritesDocs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	var stdout, stderr bytes.Buffer
	builtin := func() (*openapi3.T, error) {
		return apidocs.Build(testInfo(), testRouter().Routes(), testRegistry())
	}
	code := apidocs.Main(context.Background(), []string{"docs", "--out", dir}, &stdout, &stderr, builtin)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for name, golden := range map[string]string{
		"openapi.json":         "testdata/openapi.json",
		"API_DOCUMENTATION.md": "testdata/API_DOCUMENTATION.md",
		"index.html":           "testdata/index.html",
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s", name, golden)
		}
	}
	if strings.Count(stdout.String(), "wrote ") != 3 {
		t.Errorf("stdout = %q", stdout.String())
	}
}

// liveServer serves the fixture routes plus the documentation routes, as the
// app does: the document is built from the routes after mounting.
func liveServer(t testing.TB) (*httptest.Server, *openapi3.T) {
	t.Helper()
	e := testRouter()
	var spec atomic.Pointer[openapi3.T]
	apidocs.Mount(e, spec.Load)
	reg := testRegistry()
	reg.Add(apidocs.Operations()...)
	if err := apidocs.Check(e.Routes(), reg); err != nil {
		t.Fatal(err)
	}
	doc, err := apidocs.Build(testInfo(), e.Routes(), reg)
	if err != nil {
		t.Fatal(err)
	}
	spec.Store(doc)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, doc
}

func TestMainFromURL(t *testing.T) {
	srv, _ := liveServer(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := apidocs.Main(context.Background(), []string{"--out", dir, "--url", srv.URL + "/"}, &stdout, &stderr, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	md, err := os.ReadFile(filepath.Join(dir, "API_DOCUMENTATION.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`GET /openapi.json`", "`POST /api/chat`", "## docs"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("markdown from --url lacks %q", want)
		}
	}
	// Every code sample, the servers and the page call the documented
	// server: nothing is left pointing at localhost:8000.
	for _, name := range []string{"openapi.json", "API_DOCUMENTATION.md", "index.html"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("localhost:8000")); n > 0 {
			t.Errorf("%s still names localhost:8000 %d times", name, n)
		}
		if !bytes.Contains(b, []byte(srv.URL+"/api/chat")) {
			t.Errorf("%s has no sample calling %s/api/chat", name, srv.URL)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := apidocs.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != srv.URL {
		t.Errorf("servers = %+v, want only %s", doc.Servers, srv.URL)
	}
	n := 0
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, o := range doc.Paths.Value(path).Operations() {
			for _, cs := range apidocs.Samples(o) {
				n++
				if !strings.Contains(cs.Source, srv.URL+"/") {
					t.Errorf("%s %s %s sample does not call %s", method, path, cs.Lang, srv.URL)
				}
			}
		}
	}
	if n == 0 {
		t.Error("no code samples")
	}
}

func TestMainErrors(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/broken/openapi.json":
			w.WriteHeader(http.StatusInternalServerError)
		case "/invalid/openapi.json":
			_, _ = w.Write([]byte(`{"openapi":"3.0.3","paths":{}}`))
		case "/huge/openapi.json":
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for range apidocs.MaxSpecBytes/len(chunk) + 2 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer bad.Close()
	out := t.TempDir()
	tests := map[string]struct {
		args   []string
		code   int
		stderr string
	}{
		"an unknown flag is a usage error":        {args: []string{"--bogus"}, code: 2, stderr: "flag provided but not defined"},
		"a stray argument is a usage error":       {args: []string{"--out", out, "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		"a non-http url is a usage error":         {args: []string{"--url", "ftp://x"}, code: 2, stderr: "--url must be an http or https base URL"},
		"an empty out is a usage error":           {args: []string{"--out", ""}, code: 2, stderr: "--out must not be empty"},
		"a server error fails":                    {args: []string{"--out", out, "--url", bad.URL + "/broken"}, code: 1, stderr: "500"},
		"an invalid document fails":               {args: []string{"--out", out, "--url", bad.URL + "/invalid"}, code: 1, stderr: "invalid openapi document"},
		"a document over the size cap fails":      {args: []string{"--out", out, "--url", bad.URL + "/huge"}, code: 1, stderr: "larger than"},
		"a server without the document fails":     {args: []string{"--out", out, "--url", bad.URL + "/none"}, code: 1, stderr: "404"},
		"without url or builtin there is nothing": {args: []string{"--out", out}, code: 1, stderr: "no built-in document"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := apidocs.Main(context.Background(), tc.args, &stdout, &stderr, nil)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			}
			if strings.Count(strings.TrimSuffix(stderr.String(), "\n"), "\n") != 0 {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
		})
	}
}

func TestDocsRoutes(t *testing.T) {
	srv, doc := liveServer(t)
	tests := map[string]struct {
		path, ctype, contains string
		header, headerValue   string
	}{
		"the page sets the strict CSP and loads no inline script": {
			path: "/docs", ctype: "text/html", contains: `src="/docs/assets/init.js"`,
			header: "Content-Security-Policy", headerValue: apidocs.DocsCSP,
		},
		"the bundle is served as javascript": {path: "/docs/assets/swagger-ui-bundle.js", ctype: "text/javascript", contains: "SwaggerUIBundle"},
		"the stylesheet is served as css":    {path: "/docs/assets/swagger-ui.css", ctype: "text/css", contains: ".swagger-ui"},
		"the licence is served":              {path: "/docs/assets/LICENSE", ctype: "text/plain", contains: "Apache License"},
		"the document is served as json":     {path: "/openapi.json", ctype: "application/json", contains: `"openapi":"3.0.3"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body := new(bytes.Buffer)
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
			if !strings.Contains(body.String(), tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			if tc.header != "" && resp.Header.Get(tc.header) != tc.headerValue {
				t.Errorf("%s = %q", tc.header, resp.Header.Get(tc.header))
			}
			if tc.path == "/docs" && strings.Contains(strings.ReplaceAll(body.String(), "<script src=", ""), "<script") {
				t.Error("the docs page has an inline script")
			}
		})
	}
	if doc.Paths.Value("/docs") == nil || doc.Paths.Value("/openapi.json") == nil {
		t.Error("documentation routes are not documented")
	}
	resp, err := http.Get(srv.URL + "/docs/assets/nope.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: status %d", resp.StatusCode)
	}
}

func TestHandlerServesDocs(t *testing.T) {
	srv := httptest.NewServer(apidocs.Handler("/spec.json"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/docs/")
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), `data-spec-url="/spec.json"`) || resp.Header.Get("Content-Security-Policy") != apidocs.DocsCSP {
		t.Errorf("page = %s", body)
	}
	resp, err = http.Get(srv.URL + "/docs/assets/init.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == "" {
		t.Errorf("init.js: %d etag %q", resp.StatusCode, resp.Header.Get("ETag"))
	}
}
