package apidocs_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/apidocs"
)

// validatedServer is the fixture router behind the validator, with an error
// handler that exposes the HTTP error's status and detail.
func validatedServer(t testing.TB) *echo.Echo {
	t.Helper()
	e := testRouter()
	doc, err := apidocs.Build(testInfo(), e.Routes(), testRegistry())
	if err != nil {
		t.Fatal(err)
	}
	v := echo.New()
	v.HTTPErrorHandler = func(err error, c echo.Context) {
		var he *echo.HTTPError
		if !errors.As(err, &he) {
			he = echo.NewHTTPError(http.StatusInternalServerError, err.Error())
		}
		_ = c.JSON(he.Code, map[string]any{"status": he.Code, "detail": he.Message})
	}
	v.Use(apidocs.ValidateRequests(doc))
	v.POST("/api/chat", func(c echo.Context) error {
		raw, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.JSONBlob(http.StatusOK, raw) // echoes the body it was handed
	})
	v.GET("/api/alerts", func(c echo.Context) error { return c.JSON(http.StatusOK, []string{}) })
	v.POST("/api/alerts/:id/acknowledge", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	v.GET("/undocumented", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	return v
}

func TestValidateRequests(t *testing.T) {
	v := validatedServer(t)
	tests := map[string]struct {
		method, target, ct, body string
		code                     int
		detail                   string
	}{
		"a valid body reaches the handler unchanged": {
			method: "POST", target: "/api/chat", ct: "application/json", body: `{"message":"hi","model":"large"}`, code: 200,
		},
		"a missing required field is named": {
			method: "POST", target: "/api/chat", ct: "application/json", body: `{"model":"small"}`, code: 400,
			detail: `request body: property "message" is missing`,
		},
		"a field of the wrong type is named": {
			method: "POST", target: "/api/chat", ct: "application/json", body: `{"message":42}`, code: 400,
			detail: `request body: field "message": value must be a string`,
		},
		"a value outside the enum is named": {
			method: "POST", target: "/api/chat", ct: "application/json", body: `{"message":"hi","model":"huge"}`, code: 400,
			detail: `request body: field "model"`,
		},
		"malformed json is a 400": {
			method: "POST", target: "/api/chat", ct: "application/json", body: `{"message":`, code: 400,
			detail: `request body: invalid json`,
		},
		"an empty body is a 400": {
			method: "POST", target: "/api/chat", ct: "application/json", body: ``, code: 400,
			detail: `request body is required`,
		},
		"a non-json content type is a 415": {
			method: "POST", target: "/api/chat", ct: "text/plain", body: `hello`, code: 415,
			detail: `request body: content type must be application/json`,
		},
		"a query parameter out of range is named": {
			method: "GET", target: "/api/alerts?limit=0", code: 400,
			detail: `query parameter "limit"`,
		},
		"a query parameter outside its enum is named": {
			method: "GET", target: "/api/alerts?state=exploded", code: 400,
			detail: `query parameter "state"`,
		},
		"valid query parameters pass": {
			method: "GET", target: "/api/alerts?limit=10&state=firing", code: 200,
		},
		"a route with path params validates its body": {
			method: "POST", target: "/api/alerts/a1/acknowledge", ct: "application/json", body: `{"comment":"x"}`, code: 400,
			detail: `request body: property "by" is missing`,
		},
		"credentials are not checked by the validator": {
			method: "POST", target: "/api/alerts/a1/acknowledge", ct: "application/json", body: `{"by":"ops"}`, code: 204,
		},
		"undocumented routes pass through": {
			method: "GET", target: "/undocumented", code: 200,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.ct != "" {
				req.Header.Set("Content-Type", tc.ct)
			}
			rec := httptest.NewRecorder()
			v.ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Fatalf("code = %d, want %d; body %s", rec.Code, tc.code, rec.Body)
			}
			if tc.code == 200 && tc.method == "POST" && rec.Body.String() != tc.body {
				t.Errorf("handler saw %q, want %q", rec.Body, tc.body)
			}
			if tc.detail != "" {
				var p struct{ Detail string }
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(p.Detail, tc.detail) {
					t.Errorf("detail = %q, want prefix %q", p.Detail, tc.detail)
				}
				if len(p.Detail) > 200 {
					t.Errorf("detail too long (%d)", len(p.Detail))
				}
			}
		})
	}
}

func FuzzValidateRequests(f *testing.F) {
	v := validatedServer(f)
	for _, seed := range []string{
		`{"message":"hi"}`, `{"message":1}`, `{}`, `[]`, `null`, `"x"`, ``, `{"message":"a","model":"large","temperature":0.5}`,
		`{"message":"a","extra":{"deep":[1,2,{"x":null}]}}`, "\xff\xfe", `{"message":"\u0000"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/chat", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		v.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if rec.Body.String() != body {
				t.Fatalf("handler saw a different body")
			}
		case http.StatusBadRequest:
			var p struct{ Detail string }
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || !strings.HasPrefix(p.Detail, "request body") {
				t.Fatalf("400 without a request body detail: %s", rec.Body)
			}
		default:
			t.Fatalf("code %d for body %q: %s", rec.Code, body, rec.Body)
		}
	})
}
