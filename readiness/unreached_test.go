package readiness_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/store"
)

// closedPort returns a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// TestCLIUnreachableTargetHasNoScore is issue 15 item 6: against a port
// where nothing listened, `vigil readiness` exited 0 with "score 34.4, grade
// D" and 17 passed checks. Now: exit 1, one line, no report, no score.
func TestCLIUnreachableTargetHasNoScore(t *testing.T) {
	var out, errb bytes.Buffer
	code := readiness.Main(t.Context(), []string{"--url", closedPort(t), "--timeout", "2s"}, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "vigil readiness: target unreachable: ") || !strings.Contains(last, "connection refused") {
		t.Errorf("last stderr line %q", last)
	}
	if len(lines) != 1 {
		t.Errorf("stderr is not one line: %q", errb.String())
	}
	for _, s := range []string{"score", "grade"} {
		if strings.Contains(errb.String()+out.String(), s) {
			t.Errorf("output mentions %s: %q %q", s, out.String(), errb.String())
		}
	}
	if out.Len() != 0 {
		t.Errorf("a report was written: %q", out.String())
	}
}

func TestAPIUnreachableTargetFailsTheRun(t *testing.T) {
	target := closedPort(t)
	done := make(chan store.ReadinessRun, 1)
	svc, st := newService(t, target, done)
	defer svc.Close()
	run, err := svc.Start(t.Context(), target, "tester")
	if err != nil {
		t.Fatal(err)
	}
	var fin store.ReadinessRun
	select {
	case fin = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("run did not finish")
	}
	if fin.ID != run.ID || fin.Status != store.RunFailed || !strings.Contains(fin.Error, "target unreachable") || len(fin.Report) != 0 {
		t.Fatalf("run %+v", fin)
	}
	e := echo.New()
	e.GET("/api/readiness/runs/:id", svc.HandleGet)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/readiness/runs/"+run.ID, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"score", "grade", "report"} {
		if _, ok := body[k]; ok {
			t.Errorf("a failed run has %q: %s", k, rec.Body.String())
		}
	}
	if body["status"] != "failed" || !strings.Contains(body["error"].(string), "connection refused") {
		t.Errorf("run %s", rec.Body.String())
	}
	_ = st
}

// TestNoAnswerIsNeverAPass audits every probe: against a target whose base
// URL answers and whose every other path drops the connection, no check
// passes on a request that got no answer, and those that could not judge
// are errors that do not count.
func TestNoAnswerIsNeverAPass(t *testing.T) {
	good := &testAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodGet {
			good.ServeHTTP(w, r)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.Timeout = time.Second
	rep := runChecker(t, cfg)
	errorsSeen := 0
	for _, c := range rep.Categories {
		for _, ch := range c.Checks {
			if ch.Result == readiness.Error {
				errorsSeen++
			}
			if ch.Result != readiness.Pass {
				continue
			}
			for _, ev := range ch.Evidence {
				if ev.Status == 0 && ev.Error != "" && ch.ID != "tls.http_redirect" {
					t.Errorf("%s passed on a request without an answer: %s", ch.ID, ev.Error)
				}
			}
			for _, bad := range []string{"not reachable", "refused:", "TRACE refused"} {
				if strings.Contains(ch.Detail, bad) {
					t.Errorf("%s passed with %q", ch.ID, ch.Detail)
				}
			}
		}
	}
	if errorsSeen == 0 || rep.Summary.Errors != errorsSeen {
		t.Errorf("%d error checks, summary %+v", errorsSeen, rep.Summary)
	}
	for _, id := range []string{"exposure.env", "exposure.git_config", "conventions.trace_disabled"} {
		if ch := findCheck(rep, id); ch == nil || ch.Result != readiness.Error {
			t.Errorf("%s = %+v, want error", id, ch)
		}
	}
}

func findCheck(rep *readiness.Report, id string) *readiness.Check {
	for _, c := range rep.Categories {
		for i := range c.Checks {
			if c.Checks[i].ID == id {
				return &c.Checks[i]
			}
		}
	}
	return nil
}

// TestRunDeadline is issue 21 item 9(c): a target that never answers held a
// run slot for 305 s. The run stops at Config.RunTimeout, as a timeout,
// and frees its slot.
func TestRunDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // takes the connection, never answers
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	cfg := fastConfig(srv.URL)
	cfg.Timeout, cfg.RunTimeout = time.Second, 3*time.Second
	c, err := readiness.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Run(t.Context())
	if !errors.Is(err, readiness.ErrRunTimeout) || !strings.Contains(err.Error(), "timed out after 3s") {
		t.Fatalf("Run = %v, want a run timeout", err)
	}
	if d := time.Since(start); d > 30*time.Second { // generous: the deadline is 3 s
		t.Errorf("the run took %s", d)
	}

	done := make(chan store.ReadinessRun, 1)
	st := &memRuns{}
	sc := fastConfig("")
	sc.Timeout, sc.RunTimeout = time.Second, 2*time.Second
	svc, err := readiness.NewService(readiness.ServiceConfig{AllowedTargets: []string{srv.URL}, Store: st, Checker: sc, MaxConcurrent: 1,
		OnDone: func(r store.ReadinessRun) { done <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.Start(t.Context(), srv.URL, "tester"); err != nil {
		t.Fatal(err)
	}
	fin := <-done
	if fin.Status != store.RunFailed || !strings.Contains(fin.Error, "readiness run timed out after 2s") {
		t.Fatalf("run %s: %q", fin.Status, fin.Error)
	}
	if _, err = svc.Start(t.Context(), srv.URL, "tester"); err != nil {
		t.Fatalf("the slot was not freed: %v", err)
	}
}

func TestFileConfigValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg  readiness.FileConfig
		want string
	}{
		"a bad target names its index":    {readiness.FileConfig{AllowedTargets: []string{"http://a", "ftp://b"}}, "readiness.allowed_targets[1]"},
		"a negative run timeout is named": {readiness.FileConfig{RunTimeout: -time.Second}, "readiness.run_timeout"},
		"a run timeout over 30m is named": {readiness.FileConfig{RunTimeout: time.Hour}, "readiness.run_timeout"},
		"a sub-second run timeout":        {readiness.FileConfig{RunTimeout: time.Millisecond}, "readiness.run_timeout"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
		})
	}
	if err := (readiness.FileConfig{AllowedTargets: []string{"http://127.0.0.1:8000"}, RunTimeout: time.Minute}).Validate(); err != nil {
		t.Fatal(err)
	}
}
