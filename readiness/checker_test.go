package readiness_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/vigilhq/vigil/readiness"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func fastConfig(url string) readiness.Config {
	return readiness.Config{
		BaseURL: url,
		Token:   goodToken,
		Timeout: 2 * time.Second,
		Perf:    readiness.PerfConfig{Warmup: 2, Requests: 40, Concurrency: 4},
		Burst:   readiness.BurstConfig{Max: 40, MaxDuration: 5 * time.Second},
	}
}

func runChecker(t *testing.T, cfg readiness.Config) *readiness.Report {
	t.Helper()
	c, err := readiness.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	rep, err := c.Run(t.Context())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func category(t *testing.T, rep *readiness.Report, id string) readiness.CategoryResult {
	t.Helper()
	for _, c := range rep.Categories {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("category %s missing", id)
	return readiness.CategoryResult{}
}

func TestGoodServerPassesEveryCategory(t *testing.T) {
	srv := httptest.NewServer(&testAPI{})
	defer srv.Close()
	rep := runChecker(t, fastConfig(srv.URL))
	for _, cat := range rep.Categories {
		for _, ch := range cat.Checks {
			if ch.Result == readiness.Fail || ch.Result == readiness.Warn {
				t.Errorf("%s: %s %s (%s): %s", cat.ID, ch.ID, ch.Result, ch.Severity, ch.Detail)
			}
		}
	}
	if rep.Grade != "A+" {
		t.Errorf("grade = %s (score %.1f), want A+", rep.Grade, rep.Score)
	}
	if rep.Observatory == nil || rep.Observatory.Score < 100 || rep.Observatory.Grade != "A+" {
		t.Errorf("observatory = %+v, want A+ ≥ 100", rep.Observatory)
	}
	if rep.Version != "1" || len(rep.Categories) != 12 {
		t.Errorf("version %q, %d categories", rep.Version, len(rep.Categories))
	}
	if err := readiness.Explained(rep); err != nil {
		t.Error(err)
	}
}

func TestGoodServerOverTLS(t *testing.T) {
	srv := httptest.NewTLSServer(&testAPI{})
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.HTTPClient = srv.Client()
	cfg.Skip = []string{readiness.CatPerformance, readiness.CatRateLimit}
	rep := runChecker(t, cfg)
	for _, ch := range category(t, rep, readiness.CatTLS).Checks {
		if ch.Result != readiness.Pass {
			t.Errorf("%s: %s: %s", ch.ID, ch.Result, ch.Detail)
		}
	}
	if rep.Observatory.Grade != "A+" {
		t.Errorf("observatory grade over TLS = %s (%d)", rep.Observatory.Grade, rep.Observatory.Score)
	}
}

func TestEachFlawFailsItsCategory(t *testing.T) {
	tests := []struct {
		name     string
		flaws    apiFlaws
		tls      bool
		category string
		probe    string // prefix of the failing check's id
	}{
		{"a server without health endpoints fails health", apiFlaws{noHealth: true}, false, readiness.CatHealth, "health.any"},
		{"a server with an untrusted certificate fails tls", apiFlaws{}, true, readiness.CatTLS, "tls.certificate"},
		{"a server without security headers fails headers", apiFlaws{noHeaders: true}, false, readiness.CatHeaders, "headers.content-security-policy"},
		{"a server reflecting Origin with credentials fails cors", apiFlaws{reflectCORS: true}, false, readiness.CatCORS, "cors.reflect"},
		{"a server setting a bare session cookie fails cookies", apiFlaws{leakyCookie: true}, false, readiness.CatCookies, "cookies.session_id"},
		{"a server serving protected data without a token fails authentication", apiFlaws{authBypass: true}, false, readiness.CatAuthentication, "authentication.api_alerts.no_token"},
		{"a server serving /.env fails exposure", apiFlaws{exposeEnv: true}, false, readiness.CatExposure, "exposure.env"},
		{"a server without limits fails ratelimit", apiFlaws{noRateLimit: true}, false, readiness.CatRateLimit, "ratelimit.burst"},
		{"a slow server fails performance", apiFlaws{slow: 30 * time.Millisecond}, false, readiness.CatPerformance, "performance.p95"},
		{"a server sending stack traces fails errors", apiFlaws{stackTraces: true}, false, readiness.CatErrors, "errors.stack_traces"},
		{"a server ignoring HTTP conventions fails conventions", apiFlaws{noConventions: true}, false, readiness.CatConventions, "conventions.method_not_allowed"},
		{"a server without OpenAPI and with broken metrics fails docs", apiFlaws{noDocs: true}, false, readiness.CatDocs, "docs_observability.openapi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			if tt.tls {
				srv = httptest.NewTLSServer(&testAPI{f: tt.flaws})
			} else {
				srv = httptest.NewServer(&testAPI{f: tt.flaws})
			}
			defer srv.Close()
			cfg := fastConfig(srv.URL)
			cfg.Perf.P95Max = 20 * time.Millisecond
			cfg.Perf.Requests = 20
			// Run the category under test (plus what it needs), keeping the table fast.
			for _, id := range readiness.Categories() {
				if id != tt.category {
					cfg.Skip = append(cfg.Skip, id)
				}
			}
			rep := runChecker(t, cfg)
			cat := category(t, rep, tt.category)
			found := false
			for _, ch := range cat.Checks {
				if ch.Result == readiness.Fail && strings.HasPrefix(ch.ID, tt.probe) {
					found = true
					if ch.Recommendation == "" || len(ch.Evidence) == 0 && tt.category != readiness.CatHeaders {
						t.Errorf("failed check %s lacks recommendation or evidence: %+v", ch.ID, ch)
					}
				}
			}
			if !found {
				for _, ch := range cat.Checks {
					t.Logf("%s %s %s", ch.ID, ch.Result, ch.Detail)
				}
				t.Fatalf("no failed check with prefix %q in %s", tt.probe, tt.category)
			}
			if cat.Score >= 100 {
				t.Errorf("category score %.1f, want < 100", cat.Score)
			}
		})
	}
}

func TestCriticalFindingCapsGrade(t *testing.T) {
	srv := httptest.NewServer(&testAPI{f: apiFlaws{reflectCORS: true}})
	defer srv.Close()
	cfg := fastConfig(srv.URL)
	cfg.Skip = []string{readiness.CatPerformance, readiness.CatRateLimit}
	rep := runChecker(t, cfg)
	if rep.Score > 55 || rep.Grade != "C" || rep.Capped == "" {
		t.Errorf("score %.1f grade %s capped %q; want ≤55, C, a reason", rep.Score, rep.Grade, rep.Capped)
	}
	if len(rep.Recommendations) == 0 || rep.Recommendations[0].Severity != readiness.SevCritical {
		t.Errorf("first recommendation = %+v, want the critical one", rep.Recommendations)
	}
}

// hostile servers must yield failed checks within bounded time.
func TestHostileTargetsFailFastWithoutHanging(t *testing.T) {
	slowLoris := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		f := w.(http.Flusher)
		for i := 0; i < 1000; i++ {
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			f.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	infinite := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		buf := make([]byte, 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	})
	loop := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path, http.StatusFound)
	})
	reset := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = conn.Close()
	})
	panicky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"openapi": 12, "paths": [}`))
	})
	tests := []struct {
		name    string
		handler http.Handler
	}{
		{"a slow loris that trickles bytes", slowLoris},
		{"an endless body", infinite},
		{"a redirect loop", loop},
		{"a server that resets connections", reset},
		{"a server answering garbage everywhere", panicky},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			cfg := readiness.Config{
				BaseURL: srv.URL, Timeout: 300 * time.Millisecond,
				Perf:  readiness.PerfConfig{Warmup: 1, Requests: 10, Concurrency: 5, MaxDuration: 2 * time.Second},
				Burst: readiness.BurstConfig{Max: 10, MaxDuration: 2 * time.Second},
			}
			start := time.Now()
			rep := runChecker(t, cfg)
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("run took %s", d)
			}
			if rep.Summary.Failed == 0 {
				t.Errorf("no failed check against %s", tt.name)
			}
			if rep.Grade == "A+" || rep.Grade == "A" {
				t.Errorf("hostile target graded %s", rep.Grade)
			}
		})
	}
}

func TestRunHonoursCancellation(t *testing.T) {
	srv := httptest.NewServer(&testAPI{f: apiFlaws{slow: 20 * time.Millisecond}})
	defer srv.Close()
	c, err := readiness.New(fastConfig(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.Run(ctx); err == nil {
		t.Fatal("Run after cancellation returned no error")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  readiness.Config
	}{
		{"an empty url is rejected", readiness.Config{}},
		{"an ftp url is rejected", readiness.Config{BaseURL: "ftp://x"}},
		{"an unknown skipped category is rejected", readiness.Config{BaseURL: "http://x", Skip: []string{"nope"}}},
		{"a burst over ten seconds is rejected", readiness.Config{BaseURL: "http://x", Burst: readiness.BurstConfig{MaxDuration: time.Minute}}},
		{"too many perf requests are rejected", readiness.Config{BaseURL: "http://x", Perf: readiness.PerfConfig{Requests: 1e6}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := readiness.New(tt.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
