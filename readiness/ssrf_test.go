package readiness_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/store"
)

// ssrfPair is issue 21 item 1's setup: an allowed target that redirects
// part of its paths to a server off the list, which counts every request
// it receives and answers with a secret that must never reach a report.
type ssrfPair struct {
	allowed, forbidden *httptest.Server
	hits               atomic.Int64
	methods            sync.Map
}

const forbiddenSecret = "INTERNAL-METADATA-SECRET-4242"

func newSSRFPair(t *testing.T) *ssrfPair {
	t.Helper()
	p := &ssrfPair{}
	p.forbidden = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		p.methods.Store(r.Method, true)
		w.Header().Set("X-Internal", forbiddenSecret)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"secret": %q, "status": "pass"}`, forbiddenSecret)
	}))
	t.Cleanup(p.forbidden.Close)
	good := &testAPI{}
	p.allowed = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The base URL and health answer; everything else is sent away,
		// with 307 so that POST and DELETE would be replayed there.
		switch r.URL.Path {
		case "/", "/health", "/ready", "/api/health":
			good.ServeHTTP(w, r)
			return
		}
		to := p.forbidden.URL + r.URL.Path
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/"):
			// also through a name: DNS must not make it allowed
			to = strings.Replace(to, "127.0.0.1", "localhost", 1)
		}
		code := http.StatusFound
		if r.Method != http.MethodGet {
			code = http.StatusTemporaryRedirect
		}
		http.Redirect(w, r, to, code)
	}))
	t.Cleanup(p.allowed.Close)
	return p
}

// assertNoLeak checks the forbidden server got nothing and the report
// holds nothing of it, and that the refusals are reported.
func (p *ssrfPair) assertNoLeak(t *testing.T, report []byte) {
	t.Helper()
	if n := p.hits.Load(); n != 0 {
		var ms []string
		p.methods.Range(func(k, _ any) bool { ms = append(ms, k.(string)); return true })
		t.Errorf("the server off the allow-list received %d requests (%v)", n, ms)
	}
	if bytes.Contains(report, []byte(forbiddenSecret)) {
		t.Error("the report holds the forbidden server's answer")
	}
	var rep readiness.Report
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	refused := 0
	for _, c := range rep.Categories {
		for _, ch := range c.Checks {
			if strings.Contains(ch.Detail, "refused: not an allowed target") {
				refused++
				if ch.Result != readiness.Error {
					t.Errorf("%s: a refused redirect is %s, want error", ch.ID, ch.Result)
				}
			}
		}
	}
	if refused == 0 {
		t.Error("no check reports the refused redirects")
	}
	if rep.Summary.Errors == 0 {
		t.Errorf("summary %+v counts no error", rep.Summary)
	}
}

// TestCLIRefusesRedirectsOffTheTarget: `vigil readiness --url` contacts
// only the target: 302s and 307s (POST, DELETE) to another port of the same
// host, or to a name resolving to it, are refused and reported.
func TestCLIRefusesRedirectsOffTheTarget(t *testing.T) {
	p := newSSRFPair(t)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := readiness.Main(t.Context(), []string{"--url", p.allowed.URL, "--output", dir, "--format", "json",
		"--timeout", "2s"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "readiness-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	p.assertNoLeak(t, b)
}

// TestAPIRefusesRedirectsOffTheAllowList: the same through POST
// /api/readiness/runs, whose allow-list holds only the first server; the
// stored report (GET /api/readiness/runs/:id) holds nothing of the second.
func TestAPIRefusesRedirectsOffTheAllowList(t *testing.T) {
	p := newSSRFPair(t)
	done := make(chan store.ReadinessRun, 1)
	st := &memRuns{}
	cfg := fastConfig("")
	cfg.Skip = []string{readiness.CatPerformance}
	svc, err := readiness.NewService(readiness.ServiceConfig{AllowedTargets: []string{p.allowed.URL}, Store: st, Checker: cfg,
		OnDone: func(r store.ReadinessRun) { done <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	e := echo.New()
	e.POST("/api/readiness/runs", svc.HandleStart)
	e.GET("/api/readiness/runs/:id", svc.HandleGet)
	req := httptest.NewRequest(http.MethodPost, "/api/readiness/runs", strings.NewReader(`{"target":"`+p.allowed.URL+`"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("start: %d %s", rec.Code, rec.Body.String())
	}
	var fin store.ReadinessRun
	select {
	case fin = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("run did not finish")
	}
	if fin.Status != store.RunDone {
		t.Fatalf("run %s: %s", fin.Status, fin.Error)
	}
	get := httptest.NewRecorder()
	e.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/api/readiness/runs/"+fin.ID, nil))
	if bytes.Contains(get.Body.Bytes(), []byte(forbiddenSecret)) {
		t.Error("GET /api/readiness/runs/:id holds the forbidden server's answer")
	}
	p.assertNoLeak(t, fin.Report)
}

// TestAllowedTargetsMayBeRedirectedTo: a hop to another allowed target is
// followed.
func TestAllowedTargetsMayBeRedirectedTo(t *testing.T) {
	good := httptest.NewServer(&testAPI{})
	defer good.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, good.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer front.Close()
	cfg := fastConfig(front.URL)
	cfg.AllowedTargets = []string{good.URL}
	cfg.Skip = []string{readiness.CatPerformance, readiness.CatRateLimit}
	rep := runChecker(t, cfg)
	if rep.Summary.Errors != 0 {
		for _, c := range rep.Categories {
			for _, ch := range c.Checks {
				if ch.Result == readiness.Error {
					t.Errorf("%s: %s", ch.ID, ch.Detail)
				}
			}
		}
	}
}
