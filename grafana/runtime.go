package grafana

import (
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/vigilhq/vigil/instrumentation"
)

// Prometheus names of the runtime and host instruments.
const (
	promGoroutines      = instrumentation.PromGoGoroutines
	promGoMemoryUsed    = instrumentation.PromGoMemoryUsed
	promGoGCGoal        = instrumentation.PromGoMemoryGCGoal
	promGoAllocated     = instrumentation.PromGoMemoryAllocated
	promGoAllocations   = instrumentation.PromGoMemoryAllocations
	promProcessCPUTime  = instrumentation.PromProcessCPUTime
	promProcessCPUUtil  = instrumentation.PromProcessCPUUtilization
	promProcessMemory   = instrumentation.PromProcessMemoryUsage
	promSystemCPUTime   = instrumentation.PromSystemCPUTime
	promSystemMemUtil   = instrumentation.PromSystemMemoryUtil
	promSystemNetworkIO = instrumentation.PromSystemNetworkIO
	promFilesystemUsage = instrumentation.PromSystemFilesystemUsage
	promFilesystemUtil  = instrumentation.PromSystemFilesystemUtil
)

// Runtime is the USE dashboard of the process and its host: utilization,
// saturation and errors of CPU, memory, the Go runtime, disk and network.
func Runtime() *dashboard.DashboardBuilder {
	var p panels
	return newDashboard("vigil-runtime-host", "Vigil / Runtime and host",
		"USE view of each instance: CPU, memory, goroutines, garbage collection, disk and network.", "use").
		WithPanel(p.single("Process CPU", "CPU used by the Vigil process as a share of all CPUs.", unitPercent01,
			q("max("+selector(promProcessCPUUtil)+")", "cpu"))).
		WithPanel(p.single("Resident memory", "Physical memory (RSS) of the Vigil process.", unitBytes,
			q("sum("+selector(promProcessMemory)+")", "rss"))).
		WithPanel(p.single("Goroutines", "Live goroutines.", unitShort,
			q("sum("+selector(promGoroutines)+")", "goroutines"))).
		WithPanel(p.single("Disk used", "Share of the data directory's filesystem in use.", unitPercent01,
			q("max("+selector(promFilesystemUtil)+")", "used"))).
		WithPanel(p.series("Process CPU time", "CPU seconds per second spent by the process, by mode.", unitShort,
			q("sum by (instance, cpu_mode) ("+rate(promProcessCPUTime)+")", "{{instance}} {{cpu_mode}}"))).
		WithPanel(p.series("Host CPU", "Host CPU seconds per second by mode, idle excluded.", unitShort,
			q("sum by (instance, cpu_mode) ("+rate(promSystemCPUTime, `cpu_mode!="idle"`)+")", "{{instance}} {{cpu_mode}}"))).
		WithPanel(p.series("Process memory", "Resident memory of the process and memory used by the Go runtime.", unitBytes,
			q("sum by (instance) ("+selector(promProcessMemory)+")", "{{instance}} rss"),
			q("sum by (instance, go_memory_type) ("+selector(promGoMemoryUsed)+")", "{{instance}} go {{go_memory_type}}"))).
		WithPanel(p.series("Host memory", "Share of host memory in use.", unitPercent01,
			q("max by (instance) ("+selector(promSystemMemUtil, `system_memory_state="used"`)+")", "{{instance}}"))).
		WithPanel(p.series("Goroutines per instance", "Live goroutines per instance; steady growth means a leak.", unitShort,
			q("sum by (instance) ("+selector(promGoroutines)+")", "{{instance}}"))).
		WithPanel(p.series("Heap allocation rate", "Bytes allocated on the heap per second, and the heap size that triggers the next GC.", unitBytesPerS,
			q("sum by (instance) ("+rate(promGoAllocated)+")", "{{instance}} allocated/s"))).
		WithPanel(p.series("GC goal", "Heap size the garbage collector aims for at the end of the next cycle.", unitBytes,
			q("sum by (instance) ("+selector(promGoGCGoal)+")", "{{instance}}"))).
		WithPanel(p.series("Allocations", "Heap objects allocated per second.", unitOpsPerSec,
			q("sum by (instance) ("+rate(promGoAllocations)+")", "{{instance}}"))).
		WithPanel(p.series("Disk usage", "Bytes used and free on the filesystem holding the data directory.", unitBytes,
			q("sum by (instance, system_filesystem_state) ("+selector(promFilesystemUsage)+")", "{{instance}} {{system_filesystem_state}}"))).
		WithPanel(p.series("Network I/O", "Host network bytes per second, by direction.", unitBytesPerS,
			q("sum by (instance, network_io_direction) ("+rate(promSystemNetworkIO)+")", "{{instance}} {{network_io_direction}}")))
}
