package main

import (
	"slices"
	"testing"

	"github.com/vigilhq/vigil/bench"
)

func TestSelectedAddsTheBases(t *testing.T) {
	tests := map[string]struct {
		only string
		want []string
	}{
		"an echo v4 variant comes with bare echo": {"vigil", []string{"bare", "vigil"}},
		"an adapter comes with its own bare framework and bare echo": {
			"vigil-nethttp", []string{"bare", "bare-nethttp", "vigil-nethttp"},
		},
		"several variants keep the order of bench.Variants": {
			"vigil-echov5,vigil", []string{"bare", "vigil", "bare-echov5", "vigil-echov5"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, v := range selected(bench.Variants(), tt.only) {
				got = append(got, v.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("selected(%q) = %v, want %v", tt.only, got, tt.want)
			}
		})
	}
	if got := selected(bench.Variants(), ""); len(got) != len(bench.Variants()) {
		t.Errorf("no filter selected %d of %d variants", len(got), len(bench.Variants()))
	}
}
