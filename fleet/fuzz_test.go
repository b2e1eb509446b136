package fleet_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilhq/vigil/fleet"
)

// FuzzParseConfig: any section is a config or one *ConfigError naming a
// key, never a panic, and an accepted config is usable.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"", "prometheus: {url: http://p:9090}",
		"prometheus: {url: https://p, bearer_token_env: TOK, timeout: 2s, max_series: 10, extra_matchers: '{job=\"vigil\"}'}",
		"prometheus: {url: http://p, basic_auth: {username: u, password_env: PW}, tls_config: {insecure_skip_verify: true}}",
		"prometheus: {url: http://p, extra_matchers: {job=\"vigil\"}}",
		"prometheus: {url: http://p, extra_matchers: [a=\"b\", 'c=~\"d|e\"']}",
		"prometheus: &a {url: http://p}\nx: *a", "prometheus: [1, 2]", "- a", "prometheus: {url: http://p, url: http://q}",
	} {
		f.Add([]byte(s))
	}
	lookup := func(k string) (string, bool) {
		return map[string]string{"TOK": "t", "PW": "p"}[k], k == "TOK" || k == "PW"
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := fleet.ParseConfig(data, lookup)
		if err != nil {
			var ce *fleet.ConfigError
			if !errors.As(err, &ce) || ce.Key == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("not one line naming a key: %q", err)
			}
			return
		}
		if !cfg.Enabled() {
			return
		}
		if cfg.Prometheus.MaxSeries <= 0 {
			t.Fatalf("accepted max_series %d", cfg.Prometheus.MaxSeries)
		}
		for _, m := range cfg.Prometheus.ExtraMatchers {
			if _, err := fleet.ParseMatchers(m.String()); err != nil {
				t.Fatalf("accepted matcher %s does not parse back: %v", m, err)
			}
		}
	})
}

// FuzzParseMatchers: a parsed selector renders to one that parses to the
// same matchers.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{`{job="vigil"}`, `a!="b", c=~"d|e"`, "{a=`x`}", `{a="\u00e9\n"}`, `{a=~"("}`, `{}`, `{a="b"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := fleet.ParseMatchers(s)
		if err != nil {
			return
		}
		again, err := fleet.ParseMatchers(ms.String())
		if err != nil {
			t.Fatalf("%q rendered as %q does not parse: %v", s, ms.String(), err)
		}
		if again.String() != ms.String() {
			t.Fatalf("round trip %q → %q", ms.String(), again.String())
		}
	})
}

// FuzzQueryResponse feeds arbitrary answers of /api/v1/query to the
// client: a vector within max_series, or a classified *QueryError.
func FuzzQueryResponse(f *testing.F) {
	for _, s := range []string{
		vectorAnswer,
		`{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		`{"status":"error","errorType":"bad_data","error":"parse error"}`,
		`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]},{"metric":{"a":"b"},"value":[1,"NaN"]},{"metric":{"c":"d"},"value":[1,"+Inf"]}]}}`,
		`not json`, ``,
	} {
		f.Add(200, s)
		f.Add(422, s)
	}
	var answer atomic.Pointer[[2]any]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a := answer.Load()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a[0].(int))
		_, _ = w.Write([]byte(a[1].(string)))
	}))
	defer srv.Close()
	c, err := fleet.NewClient(fleet.PrometheusConfig{URL: srv.URL, Timeout: fleet.Duration(5 * time.Second), MaxSeries: 2}, fleet.Deps{})
	if err != nil {
		f.Fatal(err)
	}
	defer c.Close(f.Context())
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		answer.Store(&[2]any{status, body})
		v, err := c.Query(t.Context(), "x", time.Time{})
		if err != nil {
			if fleet.ReasonOf(err) == "" {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if len(v) > 2 {
			t.Fatalf("%d series passed max_series 2", len(v))
		}
	})
}
