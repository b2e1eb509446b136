package alerting

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigilhq/vigil/series"
)

// cachedQuerier answers repeated identical queries of one evaluation cycle
// once: rules often share metric, matchers and window (the error ratio and
// the burn rate of one route, the defaults' per-route rules). It lives for
// one cycle and is used by one goroutine. Results are shared: callers must
// not modify them.
type cachedQuerier struct {
	q      Querier
	buf    strings.Builder
	inc    map[string]float64
	incBy  map[string][]series.Group
	hist   map[string]series.Histogram
	histBy map[string][]series.Histogram
}

func newCachedQuerier(q Querier) *cachedQuerier {
	return &cachedQuerier{q: q, inc: map[string]float64{}, incBy: map[string][]series.Group{},
		hist: map[string]series.Histogram{}, histBy: map[string][]series.Histogram{}}
}

func (c *cachedQuerier) key(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) string {
	b := &c.buf
	b.Reset()
	b.WriteString(metric)
	for _, m := range ms {
		b.WriteByte(0)
		b.WriteString(m.Name)
		b.WriteByte(byte('0' + m.Type))
		b.WriteString(m.Value)
	}
	b.WriteByte(1)
	for _, k := range by {
		b.WriteString(k)
		b.WriteByte(0)
	}
	b.WriteByte(1)
	b.WriteString(strconv.FormatInt(int64(window), 36))
	b.WriteByte(1)
	b.WriteString(strconv.FormatInt(now.UnixNano(), 36))
	return b.String()
}

func (c *cachedQuerier) Increase(metric string, ms []series.Matcher, window time.Duration, now time.Time) float64 {
	k := c.key(metric, ms, nil, window, now)
	if v, ok := c.inc[k]; ok {
		return v
	}
	v := c.q.Increase(metric, ms, window, now)
	c.inc[k] = v
	return v
}

func (c *cachedQuerier) IncreaseBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Group {
	k := c.key(metric, ms, by, window, now)
	if v, ok := c.incBy[k]; ok {
		return v
	}
	v := c.q.IncreaseBy(metric, ms, by, window, now)
	c.incBy[k] = v
	return v
}

func (c *cachedQuerier) Histogram(metric string, ms []series.Matcher, window time.Duration, now time.Time) series.Histogram {
	k := c.key(metric, ms, nil, window, now)
	if v, ok := c.hist[k]; ok {
		return v
	}
	v := c.q.Histogram(metric, ms, window, now)
	c.hist[k] = v
	return v
}

func (c *cachedQuerier) HistogramBy(metric string, ms []series.Matcher, by []string, window time.Duration, now time.Time) []series.Histogram {
	k := c.key(metric, ms, by, window, now)
	if v, ok := c.histBy[k]; ok {
		return v
	}
	v := c.q.HistogramBy(metric, ms, by, window, now)
	c.histBy[k] = v
	return v
}

// Last and LastSeen are cheap (one value per series): not cached.
func (c *cachedQuerier) Last(metric string, ms []series.Matcher, now time.Time) (float64, time.Time, bool) {
	return c.q.Last(metric, ms, now)
}

func (c *cachedQuerier) LastSeen(metric string, ms []series.Matcher) time.Time {
	return c.q.LastSeen(metric, ms)
}
