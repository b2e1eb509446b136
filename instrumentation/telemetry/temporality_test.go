package telemetry

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// fakeProducer returns the cumulative point it is given.
type fakeProducer struct {
	dp metricdata.HistogramDataPoint[float64]
}

func (f *fakeProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	return []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{{Name: "h",
		Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.HistogramDataPoint[float64]{f.dp}}}}}}, nil
}

func TestDeltaProducer(t *testing.T) {
	start := time.Unix(1000, 0)
	attrs := attribute.NewSet(attribute.String("http.route", "/x"))
	base := &fakeProducer{}
	p := newTemporalProducer(base, metricdata.DeltaTemporality)
	step := func(at time.Time, counts []uint64, sum float64, exemplarAt time.Time) []metricdata.HistogramDataPoint[float64] {
		t.Helper()
		var n uint64
		for _, c := range counts {
			n += c
		}
		base.dp = metricdata.HistogramDataPoint[float64]{Attributes: attrs, StartTime: start, Time: at,
			Bounds: []float64{1}, BucketCounts: counts, Count: n, Sum: sum,
			Min: metricdata.NewExtrema(0.5), Max: metricdata.NewExtrema(3.0),
			Exemplars: []metricdata.Exemplar[float64]{{Time: exemplarAt, Value: 1}}}
		sms, err := p.Produce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(sms) == 0 {
			return nil
		}
		h := sms[0].Metrics[0].Data.(metricdata.Histogram[float64])
		if h.Temporality != metricdata.DeltaTemporality {
			t.Fatalf("temporality %v", h.Temporality)
		}
		return h.DataPoints
	}

	t1, t2, t3 := start.Add(10*time.Second), start.Add(20*time.Second), start.Add(30*time.Second)
	first := step(t1, []uint64{2, 1}, 4, t1.Add(-time.Second))
	if len(first) != 1 || first[0].Count != 3 || first[0].StartTime != start || !valid(first[0].Min) || len(first[0].Exemplars) != 1 {
		t.Fatalf("first interval: %+v, want the cumulative point as is", first)
	}
	second := step(t2, []uint64{2, 4}, 13, t2.Add(-time.Second))
	if len(second) != 1 {
		t.Fatalf("second interval: %d points", len(second))
	}
	d := second[0]
	if d.Count != 3 || d.BucketCounts[0] != 0 || d.BucketCounts[1] != 3 || d.Sum != 9 || d.StartTime != t1 || d.Time != t2 {
		t.Errorf("second interval: %+v, want 3 measurements (0, 3) summing 9 over (t1, t2]", d)
	}
	if valid(d.Min) || valid(d.Max) {
		t.Error("a later interval's extrema are unknown and must be left out")
	}
	if len(d.Exemplars) != 1 {
		t.Errorf("exemplars %v, want the interval's one", d.Exemplars)
	}
	if quiet := step(t3, []uint64{2, 4}, 13, t2.Add(-time.Second)); len(quiet) != 0 {
		t.Errorf("an interval without measurements reported %+v", quiet)
	}
}

func TestCumulativeProducerIsUnchanged(t *testing.T) {
	base := &fakeProducer{}
	if p := newTemporalProducer(base, metricdata.CumulativeTemporality); p != base {
		t.Error("a cumulative reader must get the producer itself")
	}
}

func valid(e metricdata.Extrema[float64]) bool { _, ok := e.Value(); return ok }
