package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"

	"github.com/vigilhq/vigil/internal/redact"
)

// The OpenTelemetry SDK parses most OTEL_* variables itself (endpoints,
// headers, timeouts, certificates, the sampler, the temporality
// preference) and, on a value it cannot use, reports it to its internal
// logger or error handler and goes on without it. Setup must fail instead,
// without parsing those variables a second time: while it builds the
// providers and exporters it listens to those two channels and turns each
// report of a rejected value into an error naming the variable.
//
// Both channels are process-wide. The first Setup installs a forwarder on
// each (otel.SetLogger, otel.SetErrorHandler); outside a Setup, SDK errors
// and warnings go to the logger of the latest Setup that installed global
// providers, with the redaction rules applied (a header value the SDK
// could not decode is in its report), or to the standard log package as
// the SDK's own default does.

// diag is the state of the forwarder.
var diag struct {
	once sync.Once
	// mu makes captures one at a time, so a report is Setup's own.
	mu      sync.Mutex
	capture atomic.Pointer[diagCapture]
	logger  atomic.Pointer[slog.Logger]
}

type diagCapture struct {
	mu    sync.Mutex
	sig   signal // the signal whose exporter is being built, or zero
	found []error
}

func installDiag() {
	diag.once.Do(func() {
		otel.SetLogger(logr.New(diagSink{}))
		otel.SetErrorHandler(otel.ErrorHandlerFunc(diagHandle))
	})
}

// captureConfigErrors runs build while listening for the SDK's reports of
// rejected environment values, and returns build's error joined with one
// error per report. sig names the signal whose OTEL_EXPORTER_OTLP_<SIGNAL>_*
// variables a generic report is about (zero when none is).
func captureConfigErrors(sig signal, build func() error) error {
	installDiag()
	diag.mu.Lock()
	defer diag.mu.Unlock()
	c := &diagCapture{sig: sig}
	diag.capture.Store(c)
	err := build()
	diag.capture.Store(nil)
	c.mu.Lock()
	defer c.mu.Unlock()
	return errors.Join(append([]error{err}, c.found...)...)
}

// report records a config error in the running capture; false when none
// runs or the report is not about a rejected value.
func report(msg string, err error) bool {
	c := diag.capture.Load()
	if c == nil {
		return false
	}
	e := configError(c.sig, msg, err)
	if e == nil {
		return false
	}
	c.mu.Lock()
	c.found = append(c.found, e)
	c.mu.Unlock()
	return true
}

// The reports of rejected values, by message (otlptrace, otlpmetric
// internal/envconfig and otlpconfig), and the variable suffix each is
// about.
var sdkReports = map[string]string{
	"parse url":                      "ENDPOINT",
	"otlptrace: parse endpoint url":  "ENDPOINT",
	"otlpmetric: parse endpoint url": "ENDPOINT",
	"otlplog: parse endpoint url":    "ENDPOINT",
	"parse headers":                  "HEADERS",
	"escape header value":            "HEADERS",
	"parse duration":                 "TIMEOUT",
	"read tls ca cert file":          "CERTIFICATE",
	"create tls cert pool":           "CERTIFICATE",
	"read tls client cert":           "CLIENT_CERTIFICATE",
	"read tls client key":            "CLIENT_KEY",
	"create tls client key pair":     "CLIENT_CERTIFICATE",
}

var (
	// otlplog and the trace SDK name the variable in an error of their own.
	namedRe = regexp.MustCompile(`^invalid (OTEL_[A-Z_]+) value `)
	// otlpmetric warns "OTEL_X is set to an invalid value, ignoring.".
	warnRe = regexp.MustCompile(`^(OTEL_[A-Z_]+) is set to an invalid value`)
)

// configError turns one SDK report into an error naming the variable, or
// nil when the report is not about a rejected environment value. Values
// are never quoted: a header value is a credential.
func configError(sig signal, msg string, err error) error {
	text := msg
	if err != nil {
		text = err.Error()
	}
	switch {
	case sdkReports[msg] != "":
		suffix := sdkReports[msg]
		detail := msg
		switch {
		case suffix == "HEADERS":
			detail = headersWant
		case err != nil:
			detail += ": " + redact.String(err.Error())
		}
		return fmt.Errorf("%w: %s: %s", ErrInvalidEnv, setVars(sig, suffix), detail)
	case namedRe.MatchString(text):
		name := namedRe.FindStringSubmatch(text)[1]
		detail := "rejected by the OpenTelemetry SDK"
		if _, cause, ok := strings.Cut(text, ": "); ok {
			detail = redact.String(cause)
		}
		if strings.HasSuffix(name, "HEADERS") {
			detail = headersWant
		}
		return fmt.Errorf("%w: %s: %s", ErrInvalidEnv, name, detail)
	case warnRe.MatchString(text):
		return fmt.Errorf("%w: %s: not one the SDK accepts", ErrInvalidEnv, warnRe.FindStringSubmatch(text)[1])
	case strings.HasPrefix(text, "failed to load TLS: "):
		return fmt.Errorf("%w: %s: %s", ErrInvalidEnv, setVars(sig, "CERTIFICATE"), redact.String(strings.TrimPrefix(text, "failed to load TLS: ")))
	case strings.HasPrefix(text, "unsupported sampler: "):
		return fmt.Errorf("%w: OTEL_TRACES_SAMPLER: %s (want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio)",
			ErrInvalidEnv, clipValue(text))
	case strings.HasPrefix(text, "parsing sampler argument: "), strings.HasPrefix(text, "invalid trace ID ratio: "):
		return fmt.Errorf("%w: OTEL_TRACES_SAMPLER_ARG: %s (want a ratio from 0 to 1)", ErrInvalidEnv, clipValue(text))
	}
	return nil
}

// headersWant is the whole message about a rejected headers variable: its
// value is a credential, and so is any part the SDK would quote.
const headersWant = "want comma-separated key=value pairs, values URL-encoded"

// setVars names the variables of a generic report: the set ones among
// OTEL_EXPORTER_OTLP_<suffix> and the signal's own variant.
func setVars(sig signal, suffix string) string {
	names := []string{"OTEL_EXPORTER_OTLP_" + suffix}
	if sig.name != "" {
		names = append(names, sig.otlpVar(suffix))
	}
	var set []string
	for _, n := range names {
		if os.Getenv(n) != "" {
			set = append(set, n)
		}
	}
	if len(set) == 0 {
		set = names
	}
	return strings.Join(set, " or ")
}

// secretReportKeys are the keys of SDK reports whose value is what the
// user gave (a header pair, a URL, a value): never forwarded.
var secretReportKeys = map[string]bool{"input": true, "value": true, "url": true, "key": true}

// diagHandle is the SDK's error handler.
func diagHandle(err error) {
	if err == nil || report("", err) {
		return
	}
	if l := diag.logger.Load(); l != nil {
		l.LogAttrs(context.Background(), slog.LevelError, "opentelemetry sdk error", slog.String("error", redact.String(err.Error())))
		return
	}
	// The SDK's own default.
	fmt.Fprintln(os.Stderr, "opentelemetry:", redact.String(err.Error()))
}

// diagSink is the SDK's internal logger: errors and warnings (V(1)) only,
// as the SDK's default logger.
type diagSink struct{}

func (diagSink) Init(logr.RuntimeInfo)  {}
func (diagSink) Enabled(level int) bool { return level <= 1 }

func (s diagSink) Info(_ int, msg string, kv ...any) {
	if report(msg, nil) {
		return
	}
	s.forward(slog.LevelWarn, msg, nil, kv)
}

func (s diagSink) Error(err error, msg string, kv ...any) {
	if report(msg, err) {
		return
	}
	s.forward(slog.LevelError, msg, err, kv)
}

// forward logs a report that is not Setup's. Its values may be anything
// the SDK was given (a header pair, a URL): the redaction rules apply.
func (diagSink) forward(level slog.Level, msg string, err error, kv []any) {
	attrs := []slog.Attr{}
	if err != nil {
		attrs = append(attrs, slog.String("error", redact.String(err.Error())))
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v := redact.String(fmt.Sprint(kv[i+1]))
		if secretReportKeys[k] {
			v = redact.Placeholder
		}
		attrs = append(attrs, redact.Attr(slog.String("sdk."+k, v)))
	}
	if l := diag.logger.Load(); l != nil {
		l.LogAttrs(context.Background(), level, "opentelemetry sdk: "+msg, attrs...)
		return
	}
	if level >= slog.LevelError {
		fmt.Fprintln(os.Stderr, "opentelemetry:", msg, redact.String(fmt.Sprint(attrs)))
	}
}

func (s diagSink) WithValues(...any) logr.LogSink { return s }
func (s diagSink) WithName(string) logr.LogSink   { return s }
