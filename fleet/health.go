package fleet

import (
	"context"
	"fmt"
	"time"
)

// healthFresh is how long the outcome of the latest query stands for the
// health of Prometheus; older than that, Health probes.
const healthFresh = 30 * time.Second

// Health is what /api/health reports as the fleet:prometheus component.
type Health struct {
	// OK is false when the latest query failed.
	OK bool
	// Detail says why, with how long ago: "last query 2s ago failed:
	// prometheus timeout: no answer within 800ms".
	Detail string
	// Took is the duration of the latest query.
	Took time.Duration
}

// Health reports the outcome of the latest query. When no query ran for
// 30 s it probes Prometheus with vector(1) first, so an idle replica still
// reports a Prometheus that went away.
func (c *Client) Health(ctx context.Context) Health {
	c.mu.Lock()
	last := c.last
	c.mu.Unlock()
	now := c.now()
	if last.at.IsZero() || now.Sub(last.at) > healthFresh {
		before := last.at
		_, err := c.Query(ctx, "vector(1)", time.Time{})
		c.mu.Lock()
		last = c.last
		c.mu.Unlock()
		if last.at.Equal(before) {
			// The health check's own deadline cut the probe short.
			return Health{Detail: fmt.Sprintf("probe unanswered within the health check's time: %v", err)}
		}
	}
	if last.at.IsZero() {
		return Health{Detail: "no query has completed yet"}
	}
	if last.err != nil {
		ago := max(now.Sub(last.at), 0).Round(time.Second)
		return Health{Detail: fmt.Sprintf("last query %s ago failed: %v", ago, last.err), Took: last.duration}
	}
	return Health{OK: true, Took: last.duration}
}
