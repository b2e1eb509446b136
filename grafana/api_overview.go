package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/httpapi"
)

// Shorthands for the HTTP server metrics and labels.
const (
	reqCount    = instrumentation.PromRequestDuration + "_count"
	reqSum      = instrumentation.PromRequestDuration + "_sum"
	reqDuration = instrumentation.PromRequestDuration
	route       = instrumentation.PromAttrRoute
	method      = instrumentation.PromAttrMethod
	status      = instrumentation.PromAttrStatusCode
	serverError = status + `=~"` + httpapi.ServerErrorPattern + `"`
	clientError = status + `=~"4.."`
)

// APIOverview is the RED and golden-signals dashboard for the whole API.
func APIOverview() *dashboard.DashboardBuilder {
	var p panels
	return newDashboard("vigil-api-overview", "Vigil / API overview",
		"Rate, errors and duration of every route, plus saturation: the four golden signals of the API.", "red").
		WithPanel(p.single("Request rate", "Requests per second over all routes.", unitReqPerSec,
			q(sumRate("", reqCount), "requests/s"))).
		WithPanel(p.single("Error ratio", "Share of requests answered with a 5xx status.", unitPercent01,
			q(ratio("", reqCount, serverError), "5xx ratio"))).
		WithPanel(p.single("p95 latency", "95th percentile of the request duration over all routes.", unitSeconds,
			q(quantile(0.95, "", reqDuration), "p95"))).
		WithPanel(p.single("In-flight requests", "Requests being served right now (saturation).", unitShort,
			q("sum("+selector(instrumentation.PromActiveRequests)+")", "in flight"))).
		WithPanel(p.series("Requests per route", "Request rate per route (the R of RED).", unitReqPerSec,
			q(sumRate(route, reqCount), "{{"+route+"}}"))).
		WithPanel(p.series("Error ratio per route", "Share of 5xx responses per route (the E of RED); routes without errors show 0.", unitPercent01,
			q(ratio(route, reqCount, serverError), "{{"+route+"}}"))).
		WithPanel(p.series("Latency quantiles", "p50, p95 and p99 of the request duration over all routes (the D of RED). Exemplars link to traces in Jaeger.", unitSeconds,
			q(quantile(0.50, "", reqDuration), "p50").withExemplars(),
			q(quantile(0.95, "", reqDuration), "p95").withExemplars(),
			q(quantile(0.99, "", reqDuration), "p99").withExemplars())).
		WithPanel(p.series("p95 latency per route", "95th percentile of the request duration per route.", unitSeconds,
			q(quantile(0.95, route, reqDuration), "{{"+route+"}}"))).
		WithPanel(p.series("Responses by status code", "Response rate per HTTP status code.", unitReqPerSec,
			q(sumRate(status, reqCount), "{{"+status+"}}"))).
		WithPanel(p.series("Client and server errors", "Rate of 4xx and 5xx responses.", unitReqPerSec,
			q(sumRate("", reqCount, clientError), "4xx"),
			q(sumRate("", reqCount, serverError), "5xx"))).
		WithPanel(p.series("In-flight requests per instance", "Concurrent requests per instance: saturation of each replica.", unitShort,
			q("sum by (instance) ("+selector(instrumentation.PromActiveRequests)+")", "{{instance}}"))).
		WithPanel(p.series("Mean response size", "Average response body size per route.", unitBytes,
			q(sumRate(route, instrumentation.PromResponseBodySize+"_sum")+" / "+sumRate(route, instrumentation.PromResponseBodySize+"_count"), "{{"+route+"}}")))
}
