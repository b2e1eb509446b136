package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/series"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
	"github.com/vigilhq/vigil/store/storetest"
)

// backends open each store backend for a test.
var backends = map[string]func(t testing.TB) store.Store{
	"sqlite":   storetest.OpenSQLite,
	"postgres": storetest.OpenPostgres,
}

func newAlertsServer(t *testing.T, st store.Store) *echo.Echo {
	t.Helper()
	ser, err := series.New(series.Config{})
	require.NoError(t, err)
	eng, err := alerting.New(alerting.Config{EvaluationInterval: alerting.Duration(time.Second), Rules: []alerting.Rule{}},
		alerting.Deps{Store: st, Series: ser})
	require.NoError(t, err)
	e, _ := newServer(t, server.Config{})
	open := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	(&server.AlertsAPI{Actions: eng.Actions, Rules: eng.Evaluator, Webhook: eng.Ingester, Silences: eng.Silences, Reader: st}).
		Register(e, open, open)
	return e
}

const webhookBody = `{"version":"4","groupKey":"g","truncatedAlerts":0,"status":"firing","receiver":"vigil",
"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am:9093",
"alerts":[{"status":"firing","labels":{"alertname":"Down","instance":"INSTANCE"},"annotations":{},
"startsAt":"2026-03-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"c0ffee0123456789"}]}`

// TestInvalidTextIsA400OnEveryBackend: text PostgreSQL cannot store used
// to be a 500 there (and stored on SQLite); it is a 400 naming the field on
// both, and nothing is written.
func TestInvalidTextIsA400OnEveryBackend(t *testing.T) {
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			e := newAlertsServer(t, st)
			rec := do(e, "POST", "/api/alerts/webhook", strings.Replace(webhookBody, "INSTANCE", `a\u0000b`, 1), nil)
			require.Equal(t, 400, rec.Code, rec.Body.String())
			assert.Contains(t, decodeProblem(t, rec).Detail, "alerts[0].labels.instance: must not contain a NUL character")

			rec = do(e, "POST", "/api/alerts/webhook", strings.Replace(webhookBody, "INSTANCE", "a:8000", 1), nil)
			require.Equal(t, 200, rec.Code, rec.Body.String())
			var res server.WebhookResult
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
			require.Len(t, res.Alerts, 1)
			id := res.Alerts[0].ID

			cases := []struct{ action, body, field string }{
				{"acknowledge", `{"by":"ana\u0000","comment":"x"}`, `field "by": must not contain a NUL character`},
				{"resolve", `{"by":"ana","comment":"fixed\u0000"}`, `field "comment": must not contain a NUL character`},
			}
			for _, c := range cases {
				rec = do(e, "POST", "/api/alerts/"+id+"/"+c.action, c.body, nil)
				require.Equal(t, 400, rec.Code, "%s: %s", c.action, rec.Body.String())
				assert.Contains(t, decodeProblem(t, rec).Detail, c.field)
			}
			rec = do(e, "POST", "/api/silences", `{"matchers":[{"name":"alertname","value":"Down","isEqual":true}],"duration":"1h","createdBy":"ops\u0000"}`, nil)
			require.Equal(t, 400, rec.Code, rec.Body.String())
			assert.Contains(t, decodeProblem(t, rec).Detail, `field "createdBy"`)

			a, err := st.GetAlert(t.Context(), id)
			require.NoError(t, err)
			assert.Equal(t, store.StateFiring, a.State, "a refused resolve resolved nothing")
			assert.Nil(t, a.AcknowledgedAt)
			evs, err := st.ListAlertEvents(t.Context(), id)
			require.NoError(t, err)
			require.Len(t, evs, 1)
			assert.Equal(t, "firing", evs[0].Kind)
			ss, err := st.ListSilences(t.Context())
			require.NoError(t, err)
			assert.Empty(t, ss)

			// An ID that cannot exist is not found, not a server error.
			rec = do(e, "GET", "/api/alerts/a%00b", "", nil)
			assert.Equal(t, 404, rec.Code, rec.Body.String())
		})
	}
}
