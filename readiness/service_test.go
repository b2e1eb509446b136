package readiness_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/store"
)

type memRuns struct {
	mu   sync.Mutex
	runs map[string]store.ReadinessRun
	ups  int
}

func (m *memRuns) CreateRun(_ context.Context, r store.ReadinessRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runs == nil {
		m.runs = map[string]store.ReadinessRun{}
	}
	m.runs[r.ID] = r
	return nil
}

func (m *memRuns) UpdateRun(_ context.Context, r store.ReadinessRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.runs[r.ID]; !ok {
		return store.ErrNotFound
	}
	m.runs[r.ID] = r
	m.ups++
	return nil
}

func (m *memRuns) GetRun(_ context.Context, id string) (store.ReadinessRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.runs[id]
	if !ok {
		return r, store.ErrNotFound
	}
	return r, nil
}

// ListRuns lists newest first (by creation time, then ID), before f.Before.
func (m *memRuns) ListRuns(_ context.Context, f store.RunFilter) ([]store.ReadinessRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	all := make([]store.ReadinessRun, 0, len(m.runs))
	for _, r := range m.runs {
		all = append(all, r)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].CreatedAt.Equal(all[j].CreatedAt) {
			return all[i].CreatedAt.After(all[j].CreatedAt)
		}
		return all[i].ID > all[j].ID
	})
	if f.Before != "" {
		for i, r := range all {
			if r.ID == f.Before {
				all = all[i+1:]
				break
			}
		}
	}
	if len(all) > f.Limit {
		all = all[:f.Limit]
	}
	return all, nil
}

func newService(t *testing.T, target string, done chan store.ReadinessRun) (*readiness.Service, *memRuns) {
	t.Helper()
	st := &memRuns{}
	cfg := fastConfig("")
	cfg.Skip = []string{readiness.CatPerformance, readiness.CatRateLimit}
	svc, err := readiness.NewService(readiness.ServiceConfig{
		AllowedTargets: []string{target + "/"}, Store: st, Checker: cfg,
		OnDone: func(r store.ReadinessRun) { done <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func TestServiceRunsOnlyAllowedTargets(t *testing.T) {
	srv := httptest.NewServer(&testAPI{})
	defer srv.Close()
	done := make(chan store.ReadinessRun, 1)
	svc, st := newService(t, srv.URL, done)
	defer svc.Close()

	e := echo.New()
	e.POST("/api/readiness/runs", svc.HandleStart)
	e.GET("/api/readiness/runs/:id", svc.HandleGet)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}

	tests := []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{"a target outside the allow-list is forbidden", `{"target":"http://169.254.169.254"}`, 403, "allowed_targets"},
		{"a near miss of an allowed target is forbidden", `{"target":"` + srv.URL + `/admin"}`, 403, "allowed_targets"},
		{"a missing target names the field", `{}`, 400, "target"},
		{"a non-string target names the field", `{"target": 3}`, 400, "target"},
		{"a malformed body is a bad request", `{"target":`, 400, "body"},
		{"a non-http target names the field", `{"target":"file:///etc/passwd"}`, 400, "target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(http.MethodPost, "/api/readiness/runs", tt.body)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.detail) {
				t.Fatalf("status %d body %s; want %d mentioning %q", rec.Code, rec.Body.String(), tt.status, tt.detail)
			}
		})
	}
	if len(st.runs) != 0 {
		t.Fatalf("refused requests stored runs: %v", st.runs)
	}

	rec := do(http.MethodPost, "/api/readiness/runs", `{"target":"`+srv.URL+`"}`)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("allowed target: %d %s", rec.Code, rec.Body.String())
	}
	var run store.ReadinessRun
	if err := json.Unmarshal(rec.Body.Bytes(), &run); err != nil {
		t.Fatal(err)
	}
	if rec.Header().Get("Location") != "/api/readiness/runs/"+run.ID {
		t.Errorf("Location = %q", rec.Header().Get("Location"))
	}
	select {
	case fin := <-done:
		if fin.Status != store.RunDone || fin.Grade == "" || len(fin.Report) == 0 || fin.Progress != fin.Total || fin.Total != 10 {
			t.Errorf("finished run %+v", fin)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not finish")
	}
	got := do(http.MethodGet, "/api/readiness/runs/"+run.ID, "")
	if got.Code != 200 || !strings.Contains(got.Body.String(), `"status":"done"`) || !strings.Contains(got.Body.String(), `"observatory"`) {
		t.Errorf("GET run: %d %s", got.Code, clipStr(got.Body.String(), 300))
	}
	if nf := do(http.MethodGet, "/api/readiness/runs/nope", ""); nf.Code != 404 {
		t.Errorf("unknown run: %d", nf.Code)
	}
	if st.ups < 3 {
		t.Errorf("progress not persisted: %d updates", st.ups)
	}
}

func clipStr(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func TestServiceCloseCancelsRuns(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	done := make(chan store.ReadinessRun, 1)
	svc, _ := newService(t, srv.URL, done)
	run, err := svc.Start(t.Context(), srv.URL, "tester")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Start(t.Context(), "http://example.com", "tester"); !errors.Is(err, readiness.ErrTargetNotAllowed) {
		t.Errorf("start other target: %v", err)
	}
	svc.Close()
	fin := <-done
	if fin.ID != run.ID || fin.Status != store.RunFailed || fin.FinishedAt == nil {
		t.Errorf("after Close: %+v", fin)
	}
	if _, err := svc.Start(t.Context(), srv.URL, "tester"); !errors.Is(err, readiness.ErrServiceClosed) {
		t.Errorf("start after close: %v", err)
	}
}

func FuzzParseStartRequest(f *testing.F) {
	for _, s := range []string{`{"target":"http://x"}`, `{"target":1}`, `{"target":"http://x","extra":1}`, `[]`, `{"target":"http://x"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sr, err := readiness.ParseStartRequest(b)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if _, err := readiness.ParseTarget(sr.Target); err != nil {
			t.Fatalf("accepted target %q: %v", sr.Target, err)
		}
	})
}
