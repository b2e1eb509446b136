package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/alerting/silence"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

func silencesServer(t *testing.T) *echo.Echo {
	t.Helper()
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sil, err := silence.New(silence.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	e, err := server.New(server.Config{})
	if err != nil {
		t.Fatal(err)
	}
	pass := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	(&server.AlertsAPI{Reader: st, Silences: sil}).Register(e, pass, pass)
	return e
}

func call(t *testing.T, e *echo.Echo, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestSilencesAPI(t *testing.T) {
	e := silencesServer(t)
	code, body := call(t, e, http.MethodPost, "/api/silences", `{"matchers":[{"name":"alertname","value":"HighErrorRate"}],"duration":"1h","createdBy":"ana","comment":"deploy"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created silence.Silence
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	if created.Status.State != "active" || !created.Matchers[0].IsEqual {
		t.Errorf("created %+v: a matcher without isEqual means equal, and the silence is active", created)
	}
	code, body = call(t, e, http.MethodGet, "/api/silences/"+created.ID, "")
	if code != 200 || !strings.Contains(body, `"status":{"state":"active"}`) {
		t.Errorf("get: %d %s", code, body)
	}
	if code, _ = call(t, e, http.MethodDelete, "/api/silences/"+created.ID, ""); code != http.StatusNoContent {
		t.Errorf("expire: %d", code)
	}
	list := func(q string) (int, []silence.Silence) {
		code, body := call(t, e, http.MethodGet, "/api/silences"+q, "")
		var l server.SilenceList
		_ = json.Unmarshal([]byte(body), &l)
		return code, l.Silences
	}
	if code, ss := list(""); code != 200 || len(ss) != 0 {
		t.Errorf("default list: %d %+v, want no expired silence", code, ss)
	}
	if code, ss := list("?state=expired"); code != 200 || len(ss) != 1 || ss[0].Status.State != "expired" {
		t.Errorf("expired list: %d %+v", code, ss)
	}
	if code, ss := list("?state=active,pending,expired"); code != 200 || len(ss) != 1 {
		t.Errorf("all states: %d %+v", code, ss)
	}
	if code, body = call(t, e, http.MethodGet, "/api/silences?state=firing", ""); code != 400 || !strings.Contains(body, `query parameter \"state\"`) {
		t.Errorf("bad state: %d %s", code, body)
	}
	if code, _ = call(t, e, http.MethodGet, "/api/silences/nope", ""); code != 404 {
		t.Errorf("unknown silence: %d", code)
	}
}

func TestSilenceWithTenThousandRegexMatchersIsRefused(t *testing.T) {
	e := silencesServer(t)
	var b strings.Builder
	b.WriteString(`{"duration":"1h","matchers":[`)
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"name":"alertname","value":"(a|b)*c.*","isRegex":true}`)
	}
	b.WriteString(`]}`)
	code, body := call(t, e, http.MethodPost, "/api/silences", b.String())
	if code != http.StatusBadRequest || !strings.Contains(body, "at most 64 matchers per silence") {
		t.Fatalf("%d %s", code, body)
	}
}

// FuzzSilenceBodies posts arbitrary bodies to POST /api/silences on a real
// store: the answer is 201 or a 4xx problem, never a 5xx.
func FuzzSilenceBodies(f *testing.F) {
	for _, seed := range []string{
		`{"matchers":[{"name":"alertname","value":"X"}],"duration":"1h"}`,
		`{"matchers":[{"name":"a","value":"(","isRegex":true}],"duration":"1h"}`,
		`{"matchers":[{"name":"a","value":"b","isEqual":false},{"name":"c","value":".+","isRegex":true}],"endsAt":"2999-01-01T00:00:00Z"}`,
		`{"matchers":[],"duration":"1h"}`, `{"matchers":[{"name":"1","value":""}],"duration":"-1h"}`, `{"matchers":null}`, `[]`,
	} {
		f.Add(seed)
	}
	st, err := store.OpenSQLite(context.Background(), filepath.Join(f.TempDir(), "vigil.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	sil, err := silence.New(silence.Config{Store: st})
	if err != nil {
		f.Fatal(err)
	}
	e, err := server.New(server.Config{})
	if err != nil {
		f.Fatal(err)
	}
	pass := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	(&server.AlertsAPI{Reader: st, Silences: sil}).Register(e, pass, pass)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/api/silences", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%q: status %d: %s", body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 && rec.Header().Get("Content-Type") != server.ContentTypeProblem {
			t.Fatalf("%q: %d without problem details", body, rec.Code)
		}
	})
}
