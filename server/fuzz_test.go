package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigilhq/vigil/server"
)

// FuzzReferenceBodies posts arbitrary bodies to the reference API's JSON
// routes: the answer is a success or a 4xx problem, never a 5xx.
func FuzzReferenceBodies(f *testing.F) {
	for _, seed := range []string{
		`{"message":"hello"}`, `{"message":""}`, `{"message":3}`, `{"mesage":"x"}`, `{`, `[]`, `null`,
		`{"username":"learner","password":"correct-horse-battery-staple"}`, `{"username":"a"}`, `{"message":"a"}{"x":1}`,
	} {
		f.Add("/api/chat", seed)
		f.Add("/api/login", seed)
	}
	e, err := server.New(server.Config{BodyLimit: 4096})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, path, body string) {
		if path != "/api/chat" && path != "/api/login" {
			path = "/api/chat"
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != server.ContentTypeProblem {
			t.Fatalf("%s %q: %d without problem details", path, body, rec.Code)
		}
	})
}
