package apidocs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
)

func TestBuildValidates(t *testing.T) {
	e := testRouter()
	doc, err := apidocs.Build(testInfo(), e.Routes(), testRegistry())
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	want := []string{"/api/alerts", "/api/alerts/{id}", "/api/alerts/{id}/acknowledge", "/api/chat", "/health"}
	got := doc.Paths.InMatchingOrder()
	if strings.Join(sorted(got), ",") != strings.Join(want, ",") {
		t.Errorf("paths = %v, want %v", sorted(got), want)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestBuildOperations(t *testing.T) {
	doc, err := apidocs.Build(testInfo(), testRouter().Routes(), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(t *testing.T){
		"a secured route lists 401 and 403 problems and both schemes": func(t *testing.T) {
			o := doc.Paths.Value("/api/alerts/{id}").Get
			for _, code := range []string{"401", "403", "404", "500"} {
				r := o.Responses.Value(code)
				if r == nil || r.Value == nil || r.Value.Content["application/problem+json"] == nil {
					t.Fatalf("response %s missing or not a problem", code)
				}
				if r.Ref != "#/components/responses/"+map[string]string{"401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "500": "InternalError"}[code] {
					t.Errorf("response %s ref = %q", code, r.Ref)
				}
			}
			if o.Security == nil || len(*o.Security) != 2 {
				t.Fatalf("security = %v", o.Security)
			}
		},
		"a public route has an empty security requirement and no 401": func(t *testing.T) {
			o := doc.Paths.Value("/health").Get
			if o.Security == nil || len(*o.Security) != 0 {
				t.Errorf("security = %v", o.Security)
			}
			if o.Responses.Value("401") != nil {
				t.Error("public route lists 401")
			}
		},
		"a rate-limited route lists 429 with Retry-After": func(t *testing.T) {
			r := doc.Paths.Value("/api/chat").Post.Responses.Value("429")
			if r == nil || r.Value.Headers["Retry-After"] == nil {
				t.Fatalf("429 = %+v", r)
			}
		},
		"the echo path parameter becomes a required path parameter": func(t *testing.T) {
			p := doc.Paths.Value("/api/alerts/{id}/acknowledge").Post.Parameters.GetByInAndName("path", "id")
			if p == nil || !p.Required {
				t.Fatalf("id parameter = %+v", p)
			}
		},
		"request schemas are components with required fields from tags": func(t *testing.T) {
			s := doc.Components.Schemas["chatRequest"]
			if s == nil || s.Value == nil {
				t.Fatalf("chatRequest component missing: %v", keys(doc.Components.Schemas))
			}
			if strings.Join(s.Value.Required, ",") != "message" {
				t.Errorf("required = %v", s.Value.Required)
			}
			if s.Value.Properties["model"].Value.Enum == nil {
				t.Error("model enum missing")
			}
			ref := doc.Paths.Value("/api/chat").Post.RequestBody.Value.Content["application/json"].Schema.Ref
			if ref != "#/components/schemas/chatRequest" {
				t.Errorf("request ref = %q", ref)
			}
		},
		"the problem schema has the trace_id field": func(t *testing.T) {
			p := doc.Components.Schemas["Problem"]
			for _, f := range []string{"type", "title", "status", "detail", "instance", "trace_id"} {
				if p.Value.Properties[f] == nil {
					t.Errorf("problem lacks %s", f)
				}
			}
		},
		"hidden, wildcard and not-found routes are not documented": func(t *testing.T) {
			for _, p := range doc.Paths.InMatchingOrder() {
				if strings.Contains(p, "*") || strings.HasPrefix(p, "/internal") || strings.HasPrefix(p, "/static") {
					t.Errorf("undocumentable path %s in document", p)
				}
			}
		},
		"every operation has four code samples, with auth where needed": func(t *testing.T) {
			for _, path := range doc.Paths.InMatchingOrder() {
				for method, o := range doc.Paths.Value(path).Operations() {
					s := apidocs.Samples(o)
					if len(s) != 4 {
						t.Fatalf("%s %s: %d samples", method, path, len(s))
					}
					secured := len(*o.Security) > 0
					for _, cs := range s {
						if strings.Contains(cs.Source, "VIGIL_TOKEN") != secured {
							t.Errorf("%s %s %s: auth header presence != %v", method, path, cs.Lang, secured)
						}
					}
				}
			}
		},
		"the request example fills required fields and is in every sample": func(t *testing.T) {
			o := doc.Paths.Value("/api/chat").Post
			for _, s := range apidocs.Samples(o) {
				if !strings.Contains(s.Source, "What is a span?") {
					t.Errorf("%s sample lacks the example message:\n%s", s.Lang, s.Source)
				}
			}
		},
	}
	for name, tc := range tests {
		t.Run(name, tc)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sorted(out)
}

func TestCheck(t *testing.T) {
	tests := map[string]struct {
		mutate func(e *echo.Echo, reg *apidocs.Registry)
		want   []string
	}{
		"every served route documented passes": {mutate: func(*echo.Echo, *apidocs.Registry) {}},
		"a served route without metadata fails": {
			mutate: func(e *echo.Echo, _ *apidocs.Registry) {
				e.DELETE("/api/silences/:id", func(echo.Context) error { return nil })
			},
			want: []string{"served but undocumented: DELETE /api/silences/:id"},
		},
		"metadata for a route that is not served fails": {
			mutate: func(_ *echo.Echo, reg *apidocs.Registry) {
				reg.Add(apidocs.Operation{Method: "GET", Path: "/api/ghost"})
			},
			want: []string{"documented but not served: GET /api/ghost"},
		},
		"a HEAD duplicate and an Any route's exotic methods are ignored": {
			mutate: func(e *echo.Echo, _ *apidocs.Registry) {
				e.HEAD("/health", func(echo.Context) error { return nil })
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := testRouter()
			reg := testRegistry()
			tc.mutate(e, reg)
			err := apidocs.Check(e.Routes(), reg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				return
			}
			if !errors.Is(err, apidocs.ErrUndocumented) {
				t.Fatalf("err = %v, want ErrUndocumented", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/api/alerts/:id":         "/api/alerts/{id}",
		"/api/alerts/:id/history": "/api/alerts/{id}/history",
		"/a/:x/b/:y_z":            "/a/{x}/b/{y_z}",
		"/health":                 "/health",
	} {
		if got := apidocs.OpenAPIPath(in); got != want {
			t.Errorf("OpenAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildRejectsBadMetadata(t *testing.T) {
	tests := map[string]struct {
		op   apidocs.Operation
		want string
	}{
		"an unknown role": {
			op:   apidocs.Operation{Method: "GET", Path: "/health", Security: []string{"root"}},
			want: `unknown role "root"`,
		},
		"a path parameter missing from the path": {
			op:   apidocs.Operation{Method: "GET", Path: "/health", Params: []apidocs.Param{{Name: "id", In: "path"}}},
			want: `path parameter "id" is not in the path`,
		},
		"a parameter in an unknown place": {
			op:   apidocs.Operation{Method: "GET", Path: "/health", Params: []apidocs.Param{{Name: "c", In: "cookie"}}},
			want: `in must be query, path or header`,
		},
		"a response status out of range": {
			op:   apidocs.Operation{Method: "GET", Path: "/health", Responses: map[int]apidocs.Response{700: {}}},
			want: "status 700",
		},
		"a request body that cannot be json": {
			op:   apidocs.Operation{Method: "GET", Path: "/health", Request: func() {}},
			want: "cannot describe",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			reg := testRegistry()
			reg.Add(tc.op)
			_, err := apidocs.Build(testInfo(), testRouter().Routes(), reg)
			if !errors.Is(err, apidocs.ErrInvalidOperation) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidOperation containing %q", err, tc.want)
			}
		})
	}
}

func TestBuildExamplesAndUndocumentedRoutes(t *testing.T) {
	e := testRouter()
	e.PUT("/api/raw", func(echo.Context) error { return nil })
	reg := testRegistry()
	reg.Add(apidocs.Operation{
		Method: "POST", Path: "/api/chat", Tags: []string{"chat"}, Summary: "Chat",
		Request: chatRequest{}, Example: map[string]any{"message": "custom example"},
		Security: []string{apidocs.RoleClient},
	})
	doc, err := apidocs.Build(testInfo(), e.Routes(), reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range apidocs.Samples(doc.Paths.Value("/api/chat").Post) {
		if !strings.Contains(s.Source, "custom example") {
			t.Errorf("%s sample ignores the operation's example", s.Lang)
		}
	}
	raw := doc.Paths.Value("/api/raw")
	if raw == nil || raw.Put == nil || raw.Put.Summary != "PUT /api/raw" {
		t.Fatalf("undocumented route lacks its minimal operation: %+v", raw)
	}
	if err := apidocs.Check(e.Routes(), reg); err == nil {
		t.Error("check passed with an undocumented route")
	}
}

func FuzzLoad(f *testing.F) {
	doc, err := apidocs.Build(testInfo(), testRouter().Routes(), testRegistry())
	if err != nil {
		f.Fatal(err)
	}
	raw, err := doc.MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`))
	f.Add([]byte(`{"openapi":"3.0.3","paths":{"/a":{"get":{"responses":{"200":{"$ref":"#/x"}}}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := apidocs.Load(data)
		if err != nil {
			if !errors.Is(err, apidocs.ErrInvalidDocument) {
				t.Fatalf("error does not wrap ErrInvalidDocument: %v", err)
			}
			return
		}
		// A document that loads must render.
		if _, err := apidocs.Markdown(doc); err != nil {
			t.Fatalf("markdown of a valid document: %v", err)
		}
		if _, err := apidocs.HTML(doc); err != nil {
			t.Fatalf("html of a valid document: %v", err)
		}
	})
}

// Route clashes by name with echo.Route.
type Route struct {
	Local int `json:"local"`
}

func TestBuildQualifiesClashingTypeNames(t *testing.T) {
	e := echo.New()
	e.GET("/a", func(echo.Context) error { return nil })
	e.GET("/b", func(echo.Context) error { return nil })
	reg := apidocs.NewRegistry()
	reg.Add(
		apidocs.Operation{Method: "GET", Path: "/a", Responses: map[int]apidocs.Response{200: {Body: echo.Route{}}}},
		apidocs.Operation{Method: "GET", Path: "/b", Responses: map[int]apidocs.Response{200: {Body: Route{}}}},
	)
	doc, err := apidocs.Build(testInfo(), e.Routes(), reg)
	if err != nil {
		t.Fatal(err)
	}
	a := doc.Paths.Value("/a").Get.Responses.Value("200").Value.Content["application/json"].Schema
	b := doc.Paths.Value("/b").Get.Responses.Value("200").Value.Content["application/json"].Schema
	if a.Ref == b.Ref {
		t.Fatalf("both types share the component %q", a.Ref)
	}
	if b.Value == nil || b.Value.Properties["local"] == nil {
		t.Errorf("the second Route lost its own schema: %s", b.Ref)
	}
	if a.Value == nil || a.Value.Properties["method"] == nil {
		t.Errorf("echo.Route lost its schema: %s", a.Ref)
	}
}
