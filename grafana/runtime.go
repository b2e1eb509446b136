package grafana

import "github.com/grafana/grafana-foundation-sdk/go/dashboard"

// Prometheus names of the runtime and host instruments recorded by the
// contrib runtime and host packages (semantic conventions) and by
// instrumentation's system metrics.
const (
	promGoroutines      = "go_goroutine_count"
	promGoMemoryUsed    = "go_memory_used_bytes"
	promGoGCGoal        = "go_memory_gc_goal_bytes"
	promGoAllocated     = "go_memory_allocated_bytes_total"
	promGoAllocations   = "go_memory_allocations_total"
	promProcessCPUTime  = "process_cpu_time_seconds_total"
	promProcessCPUUtil  = "process_cpu_utilization_ratio"
	promProcessMemory   = "process_memory_usage_bytes"
	promSystemCPUTime   = "system_cpu_time_seconds_total"
	promSystemMemUsage  = "system_memory_usage_bytes"
	promSystemMemUtil   = "system_memory_utilization_ratio"
	promSystemNetworkIO = "system_network_io_bytes_total"
	promFilesystemUsage = "system_filesystem_usage_bytes"
	promFilesystemUtil  = "system_filesystem_utilization_ratio"
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
