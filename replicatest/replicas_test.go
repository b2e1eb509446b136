package replicatest_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/security"
	"github.com/vigilhq/vigil/server"
	"github.com/vigilhq/vigil/store"
)

// TestTwoReplicasBehaveAsOne starts two replicas at the same instant on an
// empty schema and checks, through one and then the other, everything they
// share. The subtests run in order on the same pair.
func TestTwoReplicasBehaveAsOne(t *testing.T) {
	c := newCluster(t)
	rs := c.start("a", "b")
	lead, rest := c.leader(rs...)
	follower := rest[0]

	t.Run("replicas started at the same instant migrate the empty schema once", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join("..", "store", "migrations", "postgres", "*.sql"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		var applied, tables int
		require.NoError(t, pgQuery(t, c.dsn, `SELECT count(*) FROM schema_migrations`, &applied))
		assert.Equal(t, len(files), applied, "every migration recorded once")
		// The DSN's search_path put the tables in the test's schema.
		require.NoError(t, pgQuery(t, c.dsn, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema = '`+c.schema+`' AND table_name IN ('alerts', 'leases', 'schema_migrations')`, &tables))
		assert.Equal(t, 3, tables)
		migrated := 0
		for _, r := range rs {
			migrated += strings.Count(r.Logs(), "store migrated")
		}
		assert.Equal(t, len(files), migrated, "each migration applied by exactly one replica")
	})

	t.Run("exactly one replica evaluates the rules", func(t *testing.T) {
		eventually(t, 5*time.Second, "the leader evaluates", func() bool { return lead.rule().Health == "ok" })
		// Two more intervals: the follower still has not evaluated once.
		last := lead.rule().LastEvaluation
		eventually(t, 5*time.Second, "two more leader evaluations", func() bool {
			return lead.rule().LastEvaluation.Sub(last) >= 2*interval
		})
		f := follower.rule()
		assert.Equal(t, "unknown", f.Health, "the follower evaluated: %+v", f)
		assert.True(t, f.LastEvaluation.IsZero())
	})

	t.Run("a budget of 10 per minute admits 10 in total across both replicas", func(t *testing.T) {
		ok := map[string]int{}
		limited := 0
		for i := range 20 {
			r := rs[i%2]
			code, body := r.do(http.MethodGet, "/api/public", "", nil, "X-API-Key", clientKey)
			switch code {
			case http.StatusOK:
				ok[r.name]++
			case http.StatusTooManyRequests:
				limited++
			default:
				t.Fatalf("request %d on %s: %d %s", i, r.name, code, body)
			}
		}
		assert.Equal(t, 10, ok["a"]+ok["b"], "admitted in total")
		assert.Equal(t, map[string]int{"a": 5, "b": 5}, ok, "the first ten, alternating, are admitted whichever replica serves")
		assert.Equal(t, 10, limited)
	})

	t.Run("security events recorded by either replica are read through both", func(t *testing.T) {
		ids := func(r *replica) []int64 {
			var page security.EventsPage
			r.getJSON("/admin/security/events?type="+security.EventRateLimitExceeded+"&limit=100", &page)
			var out []int64
			for _, e := range page.Events {
				if e.Client == c.clientName {
					out = append(out, e.ID)
				}
			}
			return out
		}
		eventually(t, 10*time.Second, "ten rate-limit events through a", func() bool { return len(ids(rs[0])) == 10 })
		assert.Equal(t, ids(rs[0]), ids(rs[1]))
	})

	fleet := func(fp string, start time.Time) alerting.WebhookPayload {
		return alerting.WebhookPayload{
			Version: "4", GroupKey: `{}:{alertname="FleetDown"}`, Status: "firing", Receiver: "vigil",
			GroupLabels:       map[string]string{"alertname": "FleetDown"},
			CommonLabels:      map[string]string{"alertname": "FleetDown", "severity": "critical", "job": "api"},
			CommonAnnotations: map[string]string{"summary": "a replica is down"},
			ExternalURL:       "http://alertmanager:9093",
			Alerts: []alerting.WebhookAlert{{
				Status: "firing", Labels: map[string]string{"alertname": "FleetDown", "severity": "critical", "job": "api"},
				Annotations: map[string]string{"summary": "a replica is down"}, StartsAt: start, Fingerprint: fp,
				GeneratorURL: "http://prometheus:9090/graph",
			}},
		}
	}
	withFP := func(r *replica, fp string) []store.Alert {
		var out []store.Alert
		for _, a := range r.alerts("?limit=1000") {
			if a.Fingerprint == fp {
				out = append(out, a)
			}
		}
		return out
	}
	var fleetID string

	t.Run("the same Alertmanager payload posted to both replicas is one alert", func(t *testing.T) {
		fp := "rt" + randomHex(7)
		p := fleet(fp, time.Now().UTC().Truncate(time.Second))
		var ids []string
		for _, r := range rs {
			code, body := r.do(http.MethodPost, "/api/alerts/webhook", adminToken, p)
			require.Equal(t, http.StatusOK, code, "%s: %s", r.name, body)
		}
		for _, r := range rs {
			got := withFP(r, fp)
			require.Len(t, got, 1, "alerts with fingerprint %s through %s", fp, r.name)
			ids = append(ids, got[0].ID)
			assert.Equal(t, store.SourceAlertmanager, got[0].Source)
		}
		assert.Equal(t, ids[0], ids[1])
		fleetID = ids[0]
	})

	t.Run("the same Alertmanager payload posted to both replicas at once is one alert", func(t *testing.T) {
		fp := "rt" + randomHex(7)
		p := fleet(fp, time.Now().UTC().Truncate(time.Second))
		var wg sync.WaitGroup
		codes := make([]int, len(rs))
		for i, r := range rs {
			wg.Go(func() { codes[i], _ = r.do(http.MethodPost, "/api/alerts/webhook", adminToken, p) })
		}
		wg.Wait()
		assert.Equal(t, []int{200, 200}, codes)
		for _, r := range rs {
			assert.Len(t, withFP(r, fp), 1, "through %s", r.name)
		}
	})

	t.Run("an alert acknowledged through one replica is acknowledged through the other", func(t *testing.T) {
		require.NotEmpty(t, fleetID)
		code, body := rs[0].do(http.MethodPost, "/api/alerts/"+fleetID+"/acknowledge", adminToken,
			server.AlertAction{By: "ana", Comment: "on it"})
		require.Equal(t, http.StatusOK, code, string(body))
		var a store.Alert
		rs[1].getJSON("/api/alerts/"+fleetID, &a)
		assert.Equal(t, "ana", a.AcknowledgedBy)
		require.NotNil(t, a.AcknowledgedAt)
		acked := rs[1].alerts("?state=acknowledged")
		require.Len(t, acked, 1)
		assert.Equal(t, fleetID, acked[0].ID)

		var kinds []string
		for _, e := range rs[1].history(fleetID) {
			kinds = append(kinds, e.Kind)
		}
		assert.Equal(t, []string{"firing", "acknowledged"}, kinds, "history read through the other replica")
	})

	t.Run("a silence created on the follower mutes the leader's notifications", func(t *testing.T) {
		var created store.Silence
		code, body := follower.do(http.MethodPost, "/api/silences", adminToken, server.SilenceRequest{
			Matchers: []store.Matcher{{Name: "alertname", Value: "HighErrorRate", IsEqual: true}},
			Duration: "1h", CreatedBy: "ana", Comment: "maintenance",
		})
		require.Equal(t, http.StatusCreated, code, string(body))
		require.NoError(t, json.Unmarshal(body, &created))
		var list server.SilenceList
		lead.getJSON("/api/silences", &list)
		require.Len(t, list.Silences, 1, "the leader reads the follower's silence")
		assert.Equal(t, created.ID, list.Silences[0].ID)

		tr := startTraffic(t)
		tr.set(true, rs...)
		var silenced []store.Alert
		eventually(t, 15*time.Second, "the rule alert fires, silenced", func() bool {
			silenced = follower.alerts("?state=silenced")
			return len(silenced) == 1
		})
		assert.Equal(t, "HighErrorRate", silenced[0].Labels["alertname"])
		assert.Equal(t, store.StateFiring, silenced[0].State)
		// The leader evaluates (and would notify) three more times.
		last := lead.rule().LastEvaluation
		eventually(t, 10*time.Second, "three more leader evaluations", func() bool {
			return lead.rule().LastEvaluation.Sub(last) >= 3*interval
		})
		tr.close()
		assert.Zero(t, c.hooks.Count("firing"), "a silenced alert was notified: %v", notifications(c.hooks))
	})
}

// TestLeaderKilledMidIncident kills the notifying leader with SIGKILL while
// an alert fires and checks that the survivor takes over within two
// evaluation intervals, neither resolves nor re-notifies the incident, and
// sends the resolved notification once the traffic heals: every alert's
// firing and resolved notification exactly once.
func TestLeaderKilledMidIncident(t *testing.T) {
	tests := []struct {
		name string
		// both: the faulty traffic reaches both replicas (a load balancer);
		// otherwise only the leader, so the survivor's own series are empty
		// when it takes over.
		both bool
	}{
		{"faulty traffic reaches both replicas", true},
		{"faulty traffic reached only the leader, so the survivor starts without data", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCluster(t)
			rs := c.start("a", "b")
			lead, rest := c.leader(rs...)
			survivor := rest[0]

			tr := startTraffic(t)
			if tt.both {
				tr.set(true, rs...)
			} else {
				tr.set(true, lead)
			}
			eventually(t, 20*time.Second, "the firing notification", func() bool { return c.hooks.Count("firing") == 1 })
			firing := survivor.alerts("?state=firing")
			require.Len(t, firing, 1, "the survivor reads the leader's alert")
			id := firing[0].ID
			// Mid-incident, but after the leader wrote its notification log:
			// the "notified" history event follows the log write.
			eventually(t, 5*time.Second, "the leader logs the firing notification", func() bool {
				for _, e := range survivor.history(id) {
					if e.Kind == "notified" && e.Details["status"] == store.StateFiring {
						return true
					}
				}
				return false
			})
			assert.Equal(t, "unknown", survivor.rule().Health, "the follower evaluated while the leader lived")

			killedAt := time.Now()
			lead.Kill()
			if tt.both {
				tr.set(true, survivor)
			} else {
				tr.set(true) // nobody sends anything for now
			}

			var took alerting.RuleStatus
			eventually(t, 5*time.Second, "the survivor evaluates", func() bool {
				took = survivor.rule()
				return took.LastEvaluation.After(killedAt)
			})
			takeover := took.LastEvaluation.Sub(killedAt)
			t.Logf("takeover: first evaluation by the survivor %s after kill -9", takeover)
			assert.LessOrEqual(t, takeover, 2*interval, "takeover within two evaluation intervals")
			assert.Equal(t, survivor.PID(), c.leaderPID())

			if !tt.both {
				// Another evaluation without a single request of its own:
				// no data is not "healed".
				eventually(t, 5*time.Second, "a second evaluation without data", func() bool {
					return survivor.rule().LastEvaluation.Sub(took.LastEvaluation) >= interval
				})
				still := survivor.alerts("?state=firing")
				require.Len(t, still, 1, "the survivor resolved the incident for lack of data")
				assert.Equal(t, id, still[0].ID)
				assert.Zero(t, c.hooks.Count("resolved"))
				tr.set(true, survivor)
			}

			// The fault goes on, now seen by the survivor alone.
			last := survivor.rule().LastEvaluation
			eventually(t, 10*time.Second, "three evaluations by the survivor", func() bool {
				return survivor.rule().LastEvaluation.Sub(last) >= 3*interval
			})
			still := survivor.alerts("?state=firing")
			require.Len(t, still, 1)
			assert.Equal(t, id, still[0].ID, "the same incident, not a new alert")
			assert.Equal(t, 1, c.hooks.Count("firing"), "the firing notification was sent again: %v", notifications(c.hooks))

			tr.set(false, survivor) // heal
			eventually(t, 30*time.Second, "the resolved notification", func() bool { return c.hooks.Count("resolved") >= 1 })
			last = survivor.rule().LastEvaluation
			eventually(t, 10*time.Second, "three more evaluations", func() bool {
				return survivor.rule().LastEvaluation.Sub(last) >= 3*interval
			})
			tr.close()

			counts := notifications(c.hooks)
			require.Len(t, counts, 1, "one incident: %v", counts)
			for fp, n := range counts {
				assert.Equal(t, map[string]int{"firing": 1, "resolved": 1}, n, "notifications of alert %s", fp)
			}
			// The leader's firing and the survivor's resolved notification
			// carry one startsAt, the one the store keeps.
			for _, p := range c.hooks.Payloads() {
				for _, a := range p.Alerts {
					assert.True(t, a.StartsAt.Equal(*firing[0].FiredAt), "%s notification: startsAt %s, stored %s",
						a.Status, a.StartsAt.Format(time.RFC3339Nano), firing[0].FiredAt.Format(time.RFC3339Nano))
				}
			}
			var kinds []string
			for _, e := range survivor.history(id) {
				if e.Kind == store.StateFiring || e.Kind == store.StateResolved {
					kinds = append(kinds, e.Kind)
				}
			}
			assert.Equal(t, []string{"firing", "resolved"}, kinds)
		})
	}
}
