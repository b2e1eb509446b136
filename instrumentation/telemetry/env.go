package telemetry

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalidEnv wraps every rejected value of an OTEL_* environment
// variable: Setup fails rather than ignore it.
var ErrInvalidEnv = errors.New("invalid environment variable")

// Exporter names of OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER and
// OTEL_LOGS_EXPORTER (the specification's "known values" Go has an
// exporter for).
const (
	ExporterOTLP       = "otlp"
	ExporterPrometheus = "prometheus" // metrics only: the /metrics endpoint
	ExporterConsole    = "console"    // stdout
	ExporterNone       = "none"
)

// OTLP protocols of OTEL_EXPORTER_OTLP_PROTOCOL and its per-signal
// variants. http/json, which the specification also names, has no Go
// exporter.
const (
	ProtocolHTTPProtobuf = "http/protobuf"
	ProtocolGRPC         = "grpc"
)

// signal is one telemetry signal's environment: which exporters it may
// name and the variables that choose them.
type signal struct {
	name      string // traces, metrics, logs: also the vigil.exporter.dropped attribute
	exporters []string
	// defaults are the exporters used when the variable is unset, before
	// the OTLP rule (otlp only when an endpoint is set).
	defaults []string
}

var (
	tracesSignal  = signal{name: "traces", exporters: []string{ExporterOTLP, ExporterConsole, ExporterNone}}
	metricsSignal = signal{name: "metrics", exporters: []string{ExporterOTLP, ExporterPrometheus, ExporterConsole, ExporterNone},
		defaults: []string{ExporterPrometheus}}
	logsSignal = signal{name: "logs", exporters: []string{ExporterOTLP, ExporterConsole, ExporterNone}}
	signals    = []signal{tracesSignal, metricsSignal, logsSignal}
)

func (s signal) upper() string       { return strings.ToUpper(s.name) }
func (s signal) exporterVar() string { return "OTEL_" + s.upper() + "_EXPORTER" }

// otlpVar names the per-signal variant of OTEL_EXPORTER_OTLP_<suffix>.
func (s signal) otlpVar(suffix string) string {
	return "OTEL_EXPORTER_OTLP_" + s.upper() + "_" + suffix
}

// selected returns the exporters the environment chooses for s, in the
// order given, without duplicates; none is an empty list.
//
// Unset or empty, the choice is Vigil's default: s.defaults, plus otlp
// when OTEL_EXPORTER_OTLP_ENDPOINT or the signal's own endpoint variable
// is set (the specification's default is otlp to localhost; Vigil sends
// nothing anywhere until an endpoint is named). Set, it is a
// comma-separated list as the specification allows, case-insensitive;
// none may not be combined with another exporter.
func (s signal) selected(getenv func(string) string) ([]string, error) {
	raw := getenv(s.exporterVar())
	if strings.TrimSpace(raw) == "" {
		out := slices.Clone(s.defaults)
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv(s.otlpVar("ENDPOINT")) != "" {
			out = append(out, ExporterOTLP)
		}
		return out, nil
	}
	names, err := parseExporterList(raw, s.exporters)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidEnv, s.exporterVar(), err)
	}
	return names, nil
}

// parseExporterList parses a comma-separated exporter list: each entry
// trimmed and lower-cased, empty entries skipped, duplicates dropped, every
// name one of known, and none alone.
func parseExporterList(raw string, known []string) ([]string, error) {
	var out []string
	for entry := range strings.SplitSeq(raw, ",") {
		name := strings.ToLower(strings.TrimSpace(entry))
		switch {
		case name == "":
			continue
		case !slices.Contains(known, name):
			return nil, fmt.Errorf("unknown exporter %q (want %s)", clipValue(name), strings.Join(known, ", "))
		case !slices.Contains(out, name):
			out = append(out, name)
		}
	}
	if slices.Contains(out, ExporterNone) {
		if len(out) > 1 {
			return nil, errors.New("none cannot be combined with another exporter")
		}
		return nil, nil
	}
	return out, nil
}

// protocol returns the OTLP protocol of s: its own variable, else
// fallback (OTEL_EXPORTER_OTLP_PROTOCOL's, else http/protobuf).
func (s signal) protocol(getenv func(string) string, fallback string) (string, error) {
	return protocolVar(getenv, s.otlpVar("PROTOCOL"), fallback)
}

// protocolVar reads one protocol variable; def when it is unset.
func protocolVar(getenv func(string) string, name, def string) (string, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	p, err := parseProtocol(v)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrInvalidEnv, name, err)
	}
	return p, nil
}

func parseProtocol(v string) (string, error) {
	switch p := strings.ToLower(v); p {
	case ProtocolHTTPProtobuf, ProtocolGRPC:
		return p, nil
	case "http/json":
		return "", fmt.Errorf("%w: http/json has no Go exporter (want http/protobuf or grpc)", ErrUnsupportedProtocol)
	default:
		return "", fmt.Errorf("%w: %q (want http/protobuf or grpc)", ErrUnsupportedProtocol, clipValue(v))
	}
}

// exporterEnv is the environment's choice of exporters for every signal.
type exporterEnv struct {
	traces, metrics, logs []string
	protocols             map[string]string // signal name → OTLP protocol
}

// readExporterEnv reads and checks every exporter-selection variable, the
// protocols of every signal included, whether or not an OTLP exporter
// uses them: a wrong value is an error wherever it is.
func readExporterEnv(getenv func(string) string) (exporterEnv, error) {
	env := exporterEnv{protocols: map[string]string{}}
	generic, err := protocolVar(getenv, "OTEL_EXPORTER_OTLP_PROTOCOL", ProtocolHTTPProtobuf)
	errs := []error{err}
	for _, s := range signals {
		names, err := s.selected(getenv)
		errs = append(errs, err)
		switch s.name {
		case tracesSignal.name:
			env.traces = names
		case metricsSignal.name:
			env.metrics = names
		case logsSignal.name:
			env.logs = names
		}
		p, err := s.protocol(getenv, generic)
		errs = append(errs, err)
		env.protocols[s.name] = p
	}
	return env, errors.Join(errs...)
}

// clipValue keeps a rejected value short in an error message.
func clipValue(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}
