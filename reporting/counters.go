package reporting

import (
	"net/http"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/internal/httpapi"
)

// Outcomes of vigil.client.requests.
const (
	OutcomeOK          = "ok"
	OutcomeClientError = "client_error"
	OutcomeRateLimited = "rate_limited"
	OutcomeError       = "error"
)

func outcomeOf(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return OutcomeRateLimited
	case httpapi.IsServerError(status):
		return OutcomeError
	case status >= 400:
		return OutcomeClientError
	default:
		return OutcomeOK
	}
}

// usageCounters exports usage to Prometheus: requests per client, route and
// outcome, and chat tokens per client and type. Clients are API key names or
// "anonymous" and routes are matched templates, so the label sets stay
// bounded; their attribute sets are built once and reused.
type usageCounters struct {
	requests metric.Int64Counter
	tokens   metric.Int64Counter
	sets     sync.Map // counterKey → metric.MeasurementOption
}

type counterKey struct{ client, route, method, outcome, tokenType string }

func newUsageCounters(mp metric.MeterProvider) (*usageCounters, error) {
	m := mp.Meter(instrumentation.ScopeName)
	req, err := m.Int64Counter(instrumentation.MetricClientRequests,
		metric.WithUnit("{request}"), metric.WithDescription("Requests by client, route and outcome."))
	if err != nil {
		return nil, err
	}
	tok, err := m.Int64Counter(instrumentation.MetricChatTokens,
		metric.WithUnit("{token}"), metric.WithDescription("Chat tokens used, by client and type (prompt, completion)."))
	if err != nil {
		return nil, err
	}
	return &usageCounters{requests: req, tokens: tok}, nil
}

func (u *usageCounters) attrs(k counterKey) metric.MeasurementOption {
	if v, ok := u.sets.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	kv := []attribute.KeyValue{attribute.String(instrumentation.AttrClient, k.client)}
	if k.tokenType != "" {
		kv = append(kv, attribute.String("token.type", k.tokenType))
	} else {
		kv = append(kv, attribute.String(instrumentation.AttrRoute, k.route),
			attribute.String(instrumentation.AttrMethod, k.method), attribute.String("outcome", k.outcome))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kv...))
	v, _ := u.sets.LoadOrStore(k, opt)
	return v.(metric.MeasurementOption)
}
