package readiness_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilhq/vigil/readiness"
)

var update = flag.Bool("update", false, "rewrite golden files")

func fixtureReport() *readiness.Report {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &readiness.Report{
		Target: "http://127.0.0.1:8000", StartedAt: start, FinishedAt: start.Add(42 * time.Second),
		Observatory: readiness.ScoreObservatory(readiness.ObservatoryInput{
			Loopback: true, Redirection: "redirection-not-applicable-loopback",
			Header: map[string][]string{"Content-Security-Policy": {"default-src 'none'"}, "X-Content-Type-Options": {"nosniff"}},
		}),
	}
	for _, id := range readiness.Categories() {
		cat := readiness.CategoryResult{ID: id, Name: id, Weight: 8}
		cat.Checks = []readiness.Check{{ID: id + ".ok", Title: "Fine | really", Result: readiness.Pass, Severity: readiness.SevInfo, Detail: "all good"}}
		if id == readiness.CatCORS {
			cat.Checks = append(cat.Checks, readiness.Check{
				ID: "cors.reflect", Title: "Origin <evil>", Result: readiness.Fail, Severity: readiness.SevCritical,
				Detail: "reflected <script>alert(1)</script>", Recommendation: "Allow-list origins & never reflect.",
				Evidence: []readiness.Evidence{{Method: "GET", URL: "http://127.0.0.1:8000/?q=<x>", Status: 200,
					Headers:     map[string]string{"Access-Control-Allow-Origin": "https://evil.example", "Access-Control-Allow-Credentials": "true"},
					BodyExcerpt: `{"html":"<img src=x onerror=alert(1)>"}`}},
			})
		}
		if id == readiness.CatDocs {
			cat.Checks = append(cat.Checks, readiness.Check{ID: "docs.trace", Title: "traceparent", Result: readiness.Warn, Severity: readiness.SevLow,
				Detail: "no trace id", Recommendation: "Return X-Trace-Id.", Evidence: []readiness.Evidence{{Method: "GET", URL: "http://127.0.0.1:8000/health", Error: "timeout"}}})
		}
		if id == readiness.CatExposure {
			cat.Checks = append(cat.Checks, readiness.Check{ID: "exposure.env", Title: "GET /.env", Result: readiness.Error, Severity: readiness.SevInfo,
				Detail: "not checked: redirect to http://10.0.0.5/.env refused: not an allowed target", Recommendation: "List that target if it should be checked.",
				Evidence: []readiness.Evidence{{Method: "GET", URL: "http://127.0.0.1:8000/.env", Status: 307,
					Headers: map[string]string{"Location": "http://10.0.0.5/.env"}, Error: "redirect to http://10.0.0.5/.env refused: not an allowed target"}}})
		}
		if id == readiness.CatPerformance {
			cat.Checks = []readiness.Check{{ID: "performance.skipped", Title: "Category skipped", Result: readiness.Skip, Severity: readiness.SevInfo, Detail: "skipped by configuration"}}
		}
		r.Categories = append(r.Categories, cat)
	}
	r.Finalize()
	return r
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden; run go test -update and review the diff\n--- got ---\n%s", name, got)
	}
}

func TestRenderGolden(t *testing.T) {
	rep := fixtureReport()
	for _, tt := range []struct{ format, file string }{
		{readiness.FormatJSON, "report.golden.json"},
		{readiness.FormatMarkdown, "report.golden.md"},
		{readiness.FormatHTML, "report.golden.html"},
	} {
		t.Run("the "+tt.format+" rendering matches its golden file", func(t *testing.T) {
			var b bytes.Buffer
			if err := readiness.Render(&b, rep, tt.format); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b.Bytes())
		})
	}
}

func TestHTMLEscapesEvidenceAndIsSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := readiness.RenderHTML(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "http-equiv", `src="http`, `href="http`, "<link"} {
		if strings.Contains(s, bad) {
			t.Errorf("html contains %q", bad)
		}
	}
}

func TestReportScoringAndSchema(t *testing.T) {
	rep := fixtureReport()
	if rep.Grade != "C" || rep.Score != 55 || rep.Capped == "" {
		t.Errorf("critical failure: score %.1f grade %s capped %q", rep.Score, rep.Grade, rep.Capped)
	}
	if rep.Summary != (readiness.Summary{Passed: 11, Warned: 1, Failed: 1, Skipped: 1, Errors: 1, Total: 15}) {
		t.Errorf("summary %+v", rep.Summary)
	}
	for _, c := range rep.Categories {
		if c.ID == readiness.CatExposure && (c.Score != 100 || c.Skipped) {
			t.Errorf("an error check counted in the exposure score: %.1f skipped %t", c.Score, c.Skipped)
		}
	}
	var m map[string]any
	var b bytes.Buffer
	_ = readiness.RenderJSON(&b, rep)
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"version", "target", "started_at", "finished_at", "score", "grade", "observatory", "categories", "summary", "recommendations"} {
		if _, ok := m[k]; !ok {
			t.Errorf("json lacks %q", k)
		}
	}
}

func TestObservatoryScoring(t *testing.T) {
	tests := []struct {
		name  string
		in    readiness.ObservatoryInput
		score int
		grade string
	}{
		{"bare https response loses CSP, HSTS, XCTO and XFO penalties", readiness.ObservatoryInput{HTTPS: true, Header: map[string][]string{}, Redirection: "redirection-to-https"}, 30, "D"},
		{"a strict API policy earns every bonus", readiness.ObservatoryInput{HTTPS: true, Redirection: "redirection-to-https", Header: map[string][]string{
			"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"}, "Strict-Transport-Security": {"max-age=63072000"},
			"X-Content-Type-Options": {"nosniff"}, "Referrer-Policy": {"no-referrer"}, "Cross-Origin-Resource-Policy": {"same-origin"},
		}}, 130, "A+"},
		{"bonuses are withheld below 90", readiness.ObservatoryInput{HTTPS: true, Redirection: "redirection-to-https", Header: map[string][]string{
			"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"}, "Cross-Origin-Resource-Policy": {"same-origin"},
			"X-Content-Type-Options": {"nosniff"},
		}}, 80, "B+"},
		{"reflected origin with credentials costs 50", readiness.ObservatoryInput{HTTPS: true, Redirection: "redirection-to-https", CORSOrigin: "https://e", CORSHeader: map[string][]string{
			"Access-Control-Allow-Origin": {"https://e"}, "Access-Control-Allow-Credentials": {"true"}}, Header: map[string][]string{
			"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'"}, "Strict-Transport-Security": {"max-age=63072000"},
			"X-Content-Type-Options": {"nosniff"}}}, 50, "C"},
		{"unsafe-inline script and a session cookie without flags", readiness.ObservatoryInput{HTTPS: true, Redirection: "redirection-missing",
			CookieLines: []string{"SESSIONID=x"}, Header: map[string][]string{
				"Content-Security-Policy": {"script-src 'unsafe-inline'"}, "Strict-Transport-Security": {"max-age=300"}, "X-Frame-Options": {"DENY"}}},
			5, "F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := readiness.ScoreObservatory(tt.in)
			if o.Score != tt.score || o.Grade != tt.grade {
				for _, x := range o.Tests {
					t.Logf("%s %s %d", x.Name, x.Result, x.Modifier)
				}
				t.Errorf("score %d grade %s, want %d %s", o.Score, o.Grade, tt.score, tt.grade)
			}
		})
	}
}
