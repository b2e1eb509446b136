package readiness_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/vigilhq/vigil/internal/httpapi"
	"github.com/vigilhq/vigil/readiness"
	"github.com/vigilhq/vigil/store"
)

// TestHandleListPagesNewestFirst is issue 15 item 13: GET
// /api/readiness/runs was in the README and answered 405.
func TestHandleListPagesNewestFirst(t *testing.T) {
	st := &memRuns{}
	base := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	for i := range 5 {
		r := store.ReadinessRun{ID: fmt.Sprintf("%032x", i+1), Target: "http://127.0.0.1:8000", Status: store.RunDone,
			Score: 90, Grade: "A", Report: json.RawMessage(`{"big":"report"}`), CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if i == 4 {
			r.Status, r.Score, r.Grade, r.Error = store.RunFailed, 0, "", "target unreachable: refused"
		}
		if err := st.CreateRun(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := readiness.NewService(readiness.ServiceConfig{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	e := echo.New()
	e.GET("/api/readiness/runs", svc.HandleList)
	get := func(q string) (*httptest.ResponseRecorder, readiness.RunsPage) {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/readiness/runs"+q, nil))
		var p readiness.RunsPage
		if rec.Code == http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
		}
		return rec, p
	}
	rec, page := get("?limit=2")
	if rec.Code != http.StatusOK || len(page.Runs) != 2 || page.Runs[0].ID != fmt.Sprintf("%032x", 5) {
		t.Fatalf("first page: %d %s", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "big") {
		t.Error("the list carries reports")
	}
	if page.Runs[0].Score != nil || page.Runs[0].Grade != "" || page.Runs[0].Error == "" {
		t.Errorf("a failed run has a score or no error: %+v", page.Runs[0])
	}
	if page.Runs[1].Score == nil || *page.Runs[1].Score != 90 || page.Runs[1].Link != "/api/readiness/runs/"+page.Runs[1].ID {
		t.Errorf("a done run: %+v", page.Runs[1])
	}
	var ids []string
	for q := "?limit=2"; ; {
		_, p := get(q)
		for _, r := range p.Runs {
			ids = append(ids, r.ID)
		}
		if p.NextBefore == "" {
			break
		}
		q = "?limit=2&before=" + p.NextBefore
	}
	if len(ids) != 5 || ids[4] != fmt.Sprintf("%032x", 1) {
		t.Errorf("paging visited %v", ids)
	}
	_, all := get("")
	if len(all.Runs) != 5 || all.NextBefore != "" {
		t.Errorf("default page: %d runs, next %q", len(all.Runs), all.NextBefore)
	}
	for q, param := range map[string]string{"?limit=0": "limit", "?limit=101": "limit", "?limit=x": "limit",
		"?before=nope!": "before", "?before=" + strings.Repeat("a", 32): "before"} {
		rec, _ := get(q)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), param) {
			t.Errorf("%s: %d %s", q, rec.Code, rec.Body.String())
		}
	}
}

func FuzzParseRunsQuery(f *testing.F) {
	f.Add("20", "00ff")
	f.Add("-1", "x")
	f.Add("", strings.Repeat("a", 65))
	f.Fuzz(func(t *testing.T, limit, before string) {
		q := map[string]string{"limit": limit, "before": before}
		fl, err := readiness.ParseRunsQuery(func(k string) string { return q[k] })
		if err != nil {
			pe, ok := errors.AsType[*httpapi.ParamError](err)
			if !ok {
				t.Fatalf("error %q is no parameter error", err)
			}
			if _, ok := q[pe.Name]; !ok {
				t.Fatalf("error %q names no parameter", err)
			}
			return
		}
		if fl.Limit < 1 || fl.Limit > readiness.MaxRunsLimit || len(fl.Before) > 64 {
			t.Fatalf("accepted %+v", fl)
		}
	})
}
