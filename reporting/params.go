package reporting

import (
	"strings"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// Parameter limits.
const (
	DefaultMinutes    = 5
	MaxMinutes        = 1440      // metrics, traces: the series keep 24 h
	MaxUsageMinutes   = 30 * 1440 // usage: the rollups keep 30 days by default
	DefaultReportMins = 60
	MaxLastHours      = 24
	DefaultTraceLimit = 50
	MaxTraceLimit     = 1000
)

// Report formats.
const (
	FormatJSON     = "json"
	FormatCSV      = "csv"
	FormatMarkdown = "markdown"
)

// Trace kinds accepted by ParseKind ("" means both).
const (
	KindError = "error"
	KindSlow  = "slow"
)

// ParseInt parses the integer query parameter name from raw: "" gives def,
// anything outside [lo, hi] or not a plain decimal integer is a *ParamError
// (httpapi.Int).
func ParseInt(name, raw string, def, lo, hi int) (int, error) {
	return httpapi.Int(name, raw, def, lo, hi)
}

// ParseFormat parses the format parameter: json (the default), csv,
// markdown (or md).
func ParseFormat(raw string) (string, error) {
	switch strings.ToLower(raw) {
	case "", FormatJSON:
		return FormatJSON, nil
	case FormatCSV:
		return FormatCSV, nil
	case FormatMarkdown, "md":
		return FormatMarkdown, nil
	}
	return "", &ParamError{Name: "format", Reason: "must be json, csv or markdown"}
}

// ParseKind parses the kind parameter of /api/traces: error, slow or empty.
func ParseKind(raw string) (string, error) {
	return httpapi.OneOf("kind", raw, "", KindError, KindSlow)
}

// ParseRoute checks a route filter: empty, or a route template starting with
// "/" of at most 256 printable characters.
func ParseRoute(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	if len(raw) > 256 || raw[0] != '/' {
		return "", &ParamError{Name: "route", Reason: "must be a route template such as /api/users/:id"}
	}
	for _, r := range raw {
		if r < 0x21 || r == 0x7f {
			return "", &ParamError{Name: "route", Reason: "must be a route template such as /api/users/:id"}
		}
	}
	return raw, nil
}

// ParseClient checks a client filter: empty or a key name of at most 128
// printable characters.
func ParseClient(raw string) (string, error) {
	if len(raw) > 128 {
		return "", &ParamError{Name: "client", Reason: "must be at most 128 characters"}
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "", &ParamError{Name: "client", Reason: "must not contain control characters"}
		}
	}
	return raw, nil
}
