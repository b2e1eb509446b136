package series

import (
	"testing"
	"time"

	"github.com/vigilhq/vigil/exporter"
)

func TestSeriesWithCollidingHashesStayApart(t *testing.T) {
	// 64-bit attribute hashes practically never collide; force it.
	tests := []struct {
		name   string
		remove []int // indexes of the colliding series removed, in order
	}{
		{"nothing removed", nil},
		{"the first (indexed) series removed", []int{0}},
		{"a later (overflow) series removed", []int{1}},
		{"all removed", []int{2, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{Now: func() time.Time { return time.Unix(1_700_000_000, 0) }})
			if err != nil {
				t.Fatal(err)
			}
			fam := &family{name: "m", kind: exporter.Counter, byHash: map[uint64]int32{}, postings: map[string]map[string][]int32{}}
			samples := make([]exporter.Sample, 3)
			srs := make([]*series, 3)
			for i := range samples {
				samples[i] = exporter.Sample{Name: "m", Kind: exporter.Counter, Attrs: []exporter.Attr{{Key: "k", Value: string(rune('a' + i))}}}
				if s.find(fam, &samples[i], 42) != nil {
					t.Fatalf("series %d found before it was created", i)
				}
				if srs[i] = s.create(fam, &samples[i], 42); srs[i] == nil {
					t.Fatalf("series %d not created", i)
				}
			}
			removed := map[int]bool{}
			for _, i := range tt.remove {
				s.remove(fam, srs[i])
				removed[i] = true
			}
			for i := range samples {
				got := s.find(fam, &samples[i], 42)
				switch {
				case removed[i] && got != nil:
					t.Errorf("removed series %d still found", i)
				case !removed[i] && got != srs[i]:
					t.Errorf("series %d: found %v, want its own series", i, got)
				}
			}
			if len(tt.remove) == 3 && (len(fam.byHash) != 0 || len(fam.dupHash) != 0) {
				t.Errorf("indexes not empty after removing everything: %v %v", fam.byHash, fam.dupHash)
			}
		})
	}
}
