package silence_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/vigilhq/vigil/store"
)

// BenchmarkApply1000Alerts1000Silences is one evaluation cycle's silence
// work with 1 000 active alerts and 1 000 active silences (half equality,
// half regular expressions, 3 matchers each) on a real SQLite store: read
// the silences, decide each alert. "steady" is a cycle where the active
// set is unchanged (the usual case); "changed" adds a silence every cycle,
// so every alert is matched against every silence again.
func BenchmarkApply1000Alerts1000Silences(b *testing.B) {
	for _, mode := range []string{"steady", "changed"} {
		b.Run(mode, func(b *testing.B) {
			now := t0
			s, st, _ := newSilences(b, &now)
			ctx := context.Background()
			for i := range 1000 {
				ms := []store.Matcher{eq("team", fmt.Sprintf("team-%d", i%50)), eq("env", "prod")}
				if i%2 == 0 {
					ms = append(ms, store.Matcher{Name: "route", Value: fmt.Sprintf("/api/v%d/.*", i), IsRegex: true, IsEqual: true})
				} else {
					ms = append(ms, store.Matcher{Name: "alertname", Value: fmt.Sprintf("Rule%d", i)})
					ms[2].IsEqual = true
				}
				if _, err := s.Create(ctx, store.Silence{Matchers: ms, EndsAt: t0.Add(24 * time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
			active := make([]store.Alert, 1000)
			for i := range active {
				env := "prod"
				if i%3 == 0 {
					env = "staging" // a third of the alerts match no silence
				}
				a := store.Alert{ID: fmt.Sprintf("alert-%d", i), State: store.StateFiring, ActiveAt: t0, LastEvalAt: t0, UpdatedAt: t0,
					Labels: map[string]string{"alertname": fmt.Sprintf("Rule%d", i), "team": fmt.Sprintf("team-%d", i%50),
						"env": env, "route": fmt.Sprintf("/api/v%d/items", i)}}
				if err := st.UpsertAlert(ctx, a); err != nil {
					b.Fatal(err)
				}
				active[i] = a
			}
			if err := s.Apply(ctx, active, now); err != nil { // marks the matching alerts once
				b.Fatal(err)
			}
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				if mode == "changed" {
					b.StopTimer()
					n++
					if _, err := s.Create(ctx, store.Silence{Matchers: []store.Matcher{eq("alertname", fmt.Sprintf("Other%d", n))},
						EndsAt: t0.Add(24 * time.Hour)}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				if err := s.Apply(ctx, active, now); err != nil {
					b.Fatal(err)
				}
			}
			silenced := 0
			for _, a := range active {
				if a.Silenced {
					silenced++
				}
			}
			if silenced == 0 || silenced == len(active) {
				b.Fatalf("%d of %d alerts silenced: the benchmark matches nothing or everything", silenced, len(active))
			}
			b.ReportMetric(float64(silenced), "silenced")
		})
	}
}
