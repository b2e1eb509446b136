package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/instrumentation"
)

// routeMatcher selects the route chosen in the $route variable.
const routeMatcher = route + `="$route"`

// Endpoint drills down into one route chosen with the $route variable.
func Endpoint() *dashboard.DashboardBuilder {
	var p panels
	routeQuery := `label_values(` + reqCount + `{job=~"$job", instance=~"$instance"}, ` + route + `)`
	return newDashboard("vigil-endpoint", "Vigil / Endpoint",
		"One route in detail: traffic by method and status, errors, latency distribution with exemplars, payload sizes.", "red").
		WithVariable(dashboard.NewQueryVariableBuilder("route").
			Label("Route").
			Datasource(datasource()).
			Query(dashboard.StringOrMap{String: &routeQuery}).
			Definition(routeQuery).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc)).
		WithPanel(p.single("Request rate", "Requests per second on $route.", unitReqPerSec,
			q(sumRate("", reqCount, routeMatcher), "requests/s"))).
		WithPanel(p.single("Error ratio", "Share of 5xx responses on $route.", unitPercent01,
			q(ratio("", reqCount, serverError, routeMatcher), "5xx ratio"))).
		WithPanel(p.single("p95 latency", "95th percentile of the request duration on $route.", unitSeconds,
			q(quantile(0.95, "", reqDuration, routeMatcher), "p95"))).
		WithPanel(p.single("Mean latency", "Average request duration on $route.", unitSeconds,
			q(sumRate("", reqSum, routeMatcher)+" / "+sumRate("", reqCount, routeMatcher), "mean"))).
		WithPanel(p.series("Requests by method and status", "Request rate on $route per method and status code.", unitReqPerSec,
			q(sumRate(method+", "+status, reqCount, routeMatcher), "{{"+method+"}} {{"+status+"}}"))).
		WithPanel(p.series("Error ratio over time", "Share of 5xx responses on $route over time.", unitPercent01,
			q(ratio("", reqCount, serverError, routeMatcher), "5xx ratio"))).
		WithPanel(p.series("Latency quantiles", "p50, p95 and p99 of the request duration on $route; exemplars link to the traces of individual requests.", unitSeconds,
			q(quantile(0.50, "", reqDuration, routeMatcher), "p50").withExemplars(),
			q(quantile(0.95, "", reqDuration, routeMatcher), "p95").withExemplars(),
			q(quantile(0.99, "", reqDuration, routeMatcher), "p99").withExemplars())).
		WithPanel(p.series("Latency buckets", "Rate of requests per duration bucket (upper bound le) on $route.", unitReqPerSec,
			q(sumRate("le", reqDuration+"_bucket", routeMatcher), "≤ {{le}}s"))).
		WithPanel(p.series("Latency per instance", "95th percentile of the request duration on $route per instance.", unitSeconds,
			q(quantile(0.95, "instance", reqDuration, routeMatcher), "{{instance}}"))).
		WithPanel(p.series("Payload sizes", "Average request and response body size on $route.", unitBytes,
			q(sumRate("", instrumentation.PromRequestBodySize+"_sum", routeMatcher)+" / "+sumRate("", instrumentation.PromRequestBodySize+"_count", routeMatcher), "request"),
			q(sumRate("", instrumentation.PromResponseBodySize+"_sum", routeMatcher)+" / "+sumRate("", instrumentation.PromResponseBodySize+"_count", routeMatcher), "response")))
}
