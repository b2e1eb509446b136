package app

import (
	"fmt"
	"os"
	"time"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/series"
)

// evalInterval is the alerting evaluation interval, which is also the export
// interval of the engine's metric reader: VIGIL_EVAL_INTERVAL overrides the
// config file.
func evalInterval(cfg alerting.Config) (time.Duration, error) {
	d := time.Duration(cfg.EvaluationInterval)
	if v := os.Getenv("VIGIL_EVAL_INTERVAL"); v != "" {
		pd, err := alerting.ParseDuration(v)
		if err != nil || pd <= 0 {
			return 0, fmt.Errorf("invalid configuration: VIGIL_EVAL_INTERVAL=%q: want a positive duration such as 5s", v)
		}
		d = time.Duration(pd)
	}
	if d <= 0 {
		d = 5 * time.Second
	}
	return d, nil
}

// traceFinder points alerts at the newest failing or slow request on a route.
type traceFinder struct{ s *series.Store }

func (t traceFinder) LatestTraceID(route string) (string, bool) {
	r, ok := t.s.LatestTrace(route)
	return r.TraceID, ok
}

// seriesConfig sizes the windowed store for the evaluation interval: steps
// no longer than the interval (so a short rule window sees fresh data), 360
// fine steps, then 5-minute steps up to 24 h.
func seriesConfig(interval time.Duration) series.Config {
	step := 100 * time.Millisecond
	for _, s := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second,
		2 * time.Second, 5 * time.Second, 10 * time.Second} {
		if s <= interval {
			step = s
		}
	}
	return series.Config{Step: step, FineRetention: 360 * step}
}
