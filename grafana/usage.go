package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/instrumentation"
)

const client = instrumentation.PromAttrClient

// Usage shows who uses the API: requests and tokens per client, and which
// clients hit their rate limits.
func Usage() *dashboard.DashboardBuilder {
	var p panels
	return newDashboard("vigil-usage", "Vigil / Usage",
		"API usage by client: requests, outcomes, chat tokens and rate limiting.", "usage").
		WithPanel(p.single("Client requests", "Requests per second attributed to an API client.", unitReqPerSec,
			q(sumRate("", instrumentation.PromClientRequests), "requests/s"))).
		WithPanel(p.single("Rate limited", "Requests per second rejected by the rate limiter (429).", unitReqPerSec,
			q(sumRate("", instrumentation.PromRateLimited), "limited/s"))).
		WithPanel(p.single("Tokens", "Chat tokens (prompt and completion) per second.", unitOpsPerSec,
			q(sumRate("", instrumentation.PromChatTokens), "tokens/s"))).
		WithPanel(p.single("Clients", "Clients that sent requests in the selected range.", unitShort,
			q("count(count by ("+client+") ("+rate(instrumentation.PromClientRequests)+"))", "clients"))).
		WithPanel(p.series("Requests by client", "Request rate per API client.", unitReqPerSec,
			q(sumRate(client, instrumentation.PromClientRequests), "{{"+client+"}}"))).
		WithPanel(p.series("Requests by client and route", "Request rate per client and route.", unitReqPerSec,
			q(sumRate(client+", "+route, instrumentation.PromClientRequests), "{{"+client+"}} {{"+route+"}}"))).
		WithPanel(p.series("Outcomes by client", "Request rate per client and outcome.", unitReqPerSec,
			q(sumRate(client+", outcome", instrumentation.PromClientRequests), "{{"+client+"}} {{outcome}}"))).
		WithPanel(p.series("Rate-limited requests by client", "Requests per second rejected by the rate limiter, per client and route.", unitReqPerSec,
			q(sumRate(client+", "+route, instrumentation.PromRateLimited), "{{"+client+"}} {{"+route+"}}"))).
		WithPanel(p.series("Tokens by client", "Chat tokens per second per client and token type.", unitOpsPerSec,
			q(sumRate(client+", token_type", instrumentation.PromChatTokens), "{{"+client+"}} {{token_type}}")))
}
