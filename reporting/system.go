package reporting

import (
	"time"

	"github.com/vigilhq/vigil/instrumentation"
	"github.com/vigilhq/vigil/series"
)

// Host and runtime instruments of the contrib host and runtime packages
// (OTel names), next to instrumentation's own process and filesystem gauges.
const (
	metricSystemMemoryUtilization = "system.memory.utilization"
	metricSystemNetworkIO         = "system.network.io"
	metricGoroutines              = instrumentation.MetricGoGoroutines
	attrNetworkDirection          = "network.io.direction"
	attrMemoryState               = "system.memory.state"
)

// maxSystemPoints bounds the points of each system series.
const maxSystemPoints = 360

// Point is one time-stamped value.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// SystemSeries is one system metric over the window. Gauges give their
// value per step, network series bytes per second over the step (from the
// step after the first read on: the host counts bytes since boot).
type SystemSeries struct {
	Name    string   `json:"name"`
	Metric  string   `json:"metric"`
	Unit    string   `json:"unit"`
	Current *float64 `json:"current"`
	Points  []Point  `json:"points"`
}

// SystemSummary is the body of GET /api/metrics/system. Scope is always
// replica: CPU, memory, disk and network are those of the answering
// process and host, in fleet mode too.
type SystemSummary struct {
	Scope       Scope          `json:"scope"`
	LastHours   int            `json:"last_hours"`
	StepSeconds float64        `json:"step_seconds"`
	Until       time.Time      `json:"until"`
	Series      []SystemSeries `json:"series"`
}

// systemDef is one series of the summary. Every def selects exactly one
// series of its metric: a gauge split by state (memory used|free) is not
// summed across states, since the states of a utilization add up to 1.
type systemDef struct {
	name, metric, unit string
	ms                 []series.Matcher
	rate               bool // counter: bytes per second over the step
	// sinceBoot: the counter counts since the host booted (the host
	// package's network bytes), so its first sample is not traffic of its
	// step and is left out.
	sinceBoot bool
}

var systemDefs = []systemDef{
	{name: "cpu", metric: instrumentation.MetricProcessCPUUtilization, unit: "1"},
	{name: "memory", metric: instrumentation.MetricProcessMemoryUsage, unit: "By"},
	{name: "system_memory", metric: metricSystemMemoryUtilization, unit: "1",
		ms: []series.Matcher{{Name: attrMemoryState, Value: "used"}}},
	{name: "disk", metric: instrumentation.MetricSystemFilesystemUtilization, unit: "1"},
	{name: "network_receive", metric: metricSystemNetworkIO, unit: "By/s", rate: true, sinceBoot: true,
		ms: []series.Matcher{{Name: attrNetworkDirection, Value: "receive"}}},
	{name: "network_transmit", metric: metricSystemNetworkIO, unit: "By/s", rate: true, sinceBoot: true,
		ms: []series.Matcher{{Name: attrNetworkDirection, Value: "transmit"}}},
	{name: "goroutines", metric: metricGoroutines, unit: "{goroutine}"},
}

// System returns the system series of the last hours at a step keeping at
// most maxSystemPoints points per series (10 s for 1 h, 4 min for 24 h),
// with current values (latest gauge, or the last step's rate).
func (s *Service) System(hours int) SystemSummary {
	now := s.now()
	window := time.Duration(hours) * time.Hour
	step := window / maxSystemPoints
	step = max(step, 10*time.Second).Truncate(10 * time.Second)
	out := SystemSummary{Scope: ScopeReplica, LastHours: hours, StepSeconds: step.Seconds(), Until: now, Series: make([]SystemSeries, 0, len(systemDefs))}
	for _, d := range systemDefs {
		ss := SystemSeries{Name: d.name, Metric: d.metric, Unit: d.unit, Points: []Point{}}
		pts := s.ser.Range(d.metric, d.ms, window, step, now)
		var first time.Time
		if d.sinceBoot {
			first = s.ser.FirstSample(d.metric, d.ms)
		}
		for _, p := range pts {
			if !first.IsZero() && p.T.Add(-step).Before(first) {
				continue // the step of the first sample, and older ones without data
			}
			v := p.V
			if d.rate {
				v /= step.Seconds()
			}
			ss.Points = append(ss.Points, Point{T: p.T, V: v})
		}
		if d.rate {
			if len(ss.Points) > 0 {
				v := ss.Points[len(ss.Points)-1].V
				ss.Current = &v
			}
		} else if v, _, ok := s.ser.Last(d.metric, d.ms, now); ok {
			ss.Current = &v
		}
		out.Series = append(out.Series, ss)
	}
	return out
}
