package reporting

import (
	"context"
	"math"
	"time"

	"github.com/vigilhq/vigil/series"
)

// snapshotWindow is the window of an api_metrics stream message.
const snapshotWindow = time.Minute

// snapshotTTL is how long a fleet snapshot is reused: every stream
// connection asks each interval, Prometheus is asked once.
const snapshotTTL = time.Second

// APISnapshot is the data of an api_metrics stream message: the last
// minute. In fleet mode it counts the fleet; when Prometheus fails it
// falls back to this replica's own figures, with Scope replica and
// FleetError saying why.
type APISnapshot struct {
	Scope         Scope    `json:"scope"`
	FleetError    string   `json:"fleet_error,omitempty"`
	WindowSeconds float64  `json:"window_seconds"`
	Requests      float64  `json:"requests"`
	Errors        float64  `json:"errors"`
	ErrorRate     float64  `json:"error_rate"`
	Throughput    float64  `json:"throughput_rps"`
	P95Seconds    *float64 `json:"p95_seconds"`
}

// APISnapshot is the stream's api_metrics data, in the default scope.
func (s *Service) APISnapshot(ctx context.Context) APISnapshot {
	sc, _ := s.in("") // the default scope always exists
	if sc.scope != ScopeFleet {
		snap, _ := s.apiSnapshot(ctx, sc, s.now())
		return snap
	}
	now := s.now()
	s.snapMu.Lock()
	if !s.snapAt.IsZero() && now.Sub(s.snapAt) >= 0 && now.Sub(s.snapAt) < snapshotTTL {
		snap := s.snap
		s.snapMu.Unlock()
		return snap
	}
	s.snapMu.Unlock()
	snap, err := s.apiSnapshot(ctx, sc, now)
	if ctx.Err() != nil {
		return snap // the connection went away mid-query: nothing to keep
	}
	if err != nil {
		s.logger.Debug("stream snapshot: fleet scope failed, answering for this replica", "error", err)
		snap, _ = s.apiSnapshot(ctx, scoped{src: replicaSource{s.ser}, scope: ScopeReplica}, now)
		snap.FleetError = fleetErrorText(err)
	}
	s.snapMu.Lock()
	s.snap, s.snapAt = snap, now
	s.snapMu.Unlock()
	return snap
}

func (s *Service) apiSnapshot(ctx context.Context, sc scoped, now time.Time) (APISnapshot, error) {
	total, err := sc.increase(ctx, nil, snapshotWindow, now)
	if err != nil {
		return APISnapshot{}, err
	}
	errs, err := sc.increase(ctx, errorMatchers, snapshotWindow, now)
	if err != nil {
		return APISnapshot{}, err
	}
	out := APISnapshot{Scope: sc.scope, WindowSeconds: snapshotWindow.Seconds(), Requests: total, Errors: errs, Throughput: total / snapshotWindow.Seconds()}
	if total > 0 {
		out.ErrorRate = errs / total
		h, err := sc.histogram(ctx, nil, snapshotWindow, now)
		if err != nil {
			return APISnapshot{}, err
		}
		if q := series.Quantile(0.95, h); !math.IsNaN(q) {
			out.P95Seconds = &q
		}
	}
	return out, nil
}
