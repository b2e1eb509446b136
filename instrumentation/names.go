package instrumentation

import "github.com/vigilhq/vigil/instrumentation/names"

// The instrument and attribute names of package names, re-exported for the
// users of this package (dashboards, rules and the engine import them).
const (
	MetricRequestDuration             = names.MetricRequestDuration
	MetricActiveRequests              = names.MetricActiveRequests
	MetricRequestBodySize             = names.MetricRequestBodySize
	MetricResponseBodySize            = names.MetricResponseBodySize
	PromRequestDuration               = names.PromRequestDuration
	PromActiveRequests                = names.PromActiveRequests
	PromRequestBodySize               = names.PromRequestBodySize
	PromResponseBodySize              = names.PromResponseBodySize
	MetricClientRequests              = names.MetricClientRequests
	PromClientRequests                = names.PromClientRequests
	MetricChatTokens                  = names.MetricChatTokens
	PromChatTokens                    = names.PromChatTokens
	MetricRateLimited                 = names.MetricRateLimited
	PromRateLimited                   = names.PromRateLimited
	MetricSecurityEvents              = names.MetricSecurityEvents
	PromSecurityEvents                = names.PromSecurityEvents
	MetricAlertsActive                = names.MetricAlertsActive
	PromAlertsActive                  = names.PromAlertsActive
	MetricExporterDropped             = names.MetricExporterDropped
	PromExporterDropped               = names.PromExporterDropped
	MetricSLOBudgetRemaining          = names.MetricSLOBudgetRemaining
	PromSLOBudgetRemaining            = names.PromSLOBudgetRemaining
	MetricSLOBurnRate                 = names.MetricSLOBurnRate
	PromSLOBurnRate                   = names.PromSLOBurnRate
	AttrMethod                        = names.AttrMethod
	AttrRoute                         = names.AttrRoute
	AttrStatusCode                    = names.AttrStatusCode
	AttrScheme                        = names.AttrScheme
	AttrErrorType                     = names.AttrErrorType
	AttrClient                        = names.AttrClient
	PromAttrMethod                    = names.PromAttrMethod
	PromAttrRoute                     = names.PromAttrRoute
	PromAttrStatusCode                = names.PromAttrStatusCode
	PromAttrClient                    = names.PromAttrClient
	MetricGoGoroutines                = names.MetricGoGoroutines
	PromGoGoroutines                  = names.PromGoGoroutines
	PromGoMemoryUsed                  = names.PromGoMemoryUsed
	PromGoMemoryAllocated             = names.PromGoMemoryAllocated
	PromGoMemoryAllocations           = names.PromGoMemoryAllocations
	PromGoMemoryGCGoal                = names.PromGoMemoryGCGoal
	PromGoProcessorLimit              = names.PromGoProcessorLimit
	PromGoConfigGOGC                  = names.PromGoConfigGOGC
	PromProcessCPUTime                = names.PromProcessCPUTime
	PromProcessCPUUtilization         = names.PromProcessCPUUtilization
	PromProcessMemoryUsage            = names.PromProcessMemoryUsage
	PromSystemCPUTime                 = names.PromSystemCPUTime
	PromSystemMemoryUsage             = names.PromSystemMemoryUsage
	PromSystemMemoryUtil              = names.PromSystemMemoryUtil
	PromSystemNetworkIO               = names.PromSystemNetworkIO
	PromSystemFilesystemUsage         = names.PromSystemFilesystemUsage
	PromSystemFilesystemUtil          = names.PromSystemFilesystemUtil
	PromTargetInfo                    = names.PromTargetInfo
	MetricProcessMemoryUsage          = names.MetricProcessMemoryUsage
	MetricProcessCPUUtilization       = names.MetricProcessCPUUtilization
	MetricSystemFilesystemUsage       = names.MetricSystemFilesystemUsage
	MetricSystemFilesystemUtilization = names.MetricSystemFilesystemUtilization
)
