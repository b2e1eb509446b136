package instrumentation_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vigilhq/vigil/instrumentation"
)

func TestRuntimeAndHostMetricNames(t *testing.T) {
	tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
		instrumentation.WithDiskPath(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })

	for _, name := range []string{
		instrumentation.PromGoGoroutines, instrumentation.PromGoMemoryUsed, instrumentation.PromGoMemoryAllocated,
		instrumentation.PromGoMemoryAllocations, instrumentation.PromGoMemoryGCGoal, instrumentation.PromGoProcessorLimit,
		instrumentation.PromGoConfigGOGC, instrumentation.PromProcessCPUTime, instrumentation.PromProcessCPUUtilization,
		instrumentation.PromProcessMemoryUsage, instrumentation.PromSystemCPUTime, instrumentation.PromSystemMemoryUsage,
		instrumentation.PromSystemMemoryUtil, instrumentation.PromSystemNetworkIO, instrumentation.PromSystemFilesystemUsage,
		instrumentation.PromSystemFilesystemUtil, instrumentation.PromTargetInfo,
	} {
		n, err := testutil.GatherAndCount(tel.Registry(), name)
		if err != nil || n == 0 {
			t.Errorf("%s: %d series (err %v)", name, n, err)
		}
	}
	// RSS of a running Go test binary is well above zero.
	mfs, err := tel.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == instrumentation.PromProcessMemoryUsage {
			if v := mf.GetMetric()[0].GetGauge().GetValue(); v < 1<<20 {
				t.Errorf("process RSS = %v bytes, want at least 1 MiB", v)
			}
		}
	}
}

func TestWithoutRuntimeAndHostMetrics(t *testing.T) {
	tel, err := instrumentation.Setup(context.Background(), instrumentation.WithoutGlobalProviders(),
		instrumentation.WithoutRuntimeMetrics(), instrumentation.WithoutHostMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	for _, name := range []string{instrumentation.PromGoGoroutines, instrumentation.PromProcessMemoryUsage, instrumentation.PromSystemCPUTime} {
		if n, _ := testutil.GatherAndCount(tel.Registry(), name); n != 0 {
			t.Errorf("%s present with runtime and host metrics off", name)
		}
	}
}
