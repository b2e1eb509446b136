package readiness

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/internal/atomicfile"
)

// CLIOptions are the parsed arguments of `vigil readiness`.
type CLIOptions struct {
	URL        string
	Output     string
	Formats    []string
	MinScore   float64
	Token      string
	Skip       []string
	Timeout    time.Duration
	RunTimeout time.Duration
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

var fileNames = map[string]string{FormatJSON: "readiness-report.json", FormatMarkdown: "readiness-report.md", FormatHTML: "readiness-report.html"}

// errHelp is returned by ParseArgs for -h.
var errHelp = flag.ErrHelp

func newFlagSet(o *CLIOptions, formats, skip *listFlag) *flag.FlagSet {
	fs := flag.NewFlagSet("readiness", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.URL, "url", "", "base URL of the API to check (required)")
	fs.StringVar(&o.Output, "output", "", "directory to write readiness-report.{json,md,html} into")
	fs.Var(formats, "format", "json|markdown|html (repeatable or comma list; default all three with --output, else markdown on stdout)")
	fs.Float64Var(&o.MinScore, "min-score", 0, "exit 1 when the score is below this (0..100)")
	fs.StringVar(&o.Token, "token", "", "bearer token for authenticated probes (never printed)")
	fs.Var(skip, "skip", "category to skip (repeatable or comma list): "+strings.Join(Categories(), ", "))
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Second, "timeout of every probe request")
	fs.DurationVar(&o.RunTimeout, "run-timeout", DefaultRunTimeout, "timeout of the whole run")
	return fs
}

// ParseArgs parses the arguments that follow `vigil readiness`. Errors are
// one line, suitable for exit code 2.
func ParseArgs(args []string) (CLIOptions, error) {
	var o CLIOptions
	var formats, skip listFlag
	fs := newFlagSet(&o, &formats, &skip)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, errHelp
		}
		return o, errors.New(strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.URL == "" {
		return o, errors.New("missing --url")
	}
	if _, err := ParseTarget(o.URL); err != nil {
		return o, fmt.Errorf("bad --url: %w", err)
	}
	for _, f := range formats {
		if _, ok := fileNames[f]; !ok {
			return o, fmt.Errorf("bad --format %q: want json, markdown or html", f)
		}
		if !slices.Contains(o.Formats, f) {
			o.Formats = append(o.Formats, f)
		}
	}
	if len(o.Formats) == 0 {
		if o.Output != "" {
			o.Formats = []string{FormatJSON, FormatMarkdown, FormatHTML}
		} else {
			o.Formats = []string{FormatMarkdown}
		}
	}
	if o.Output == "" && len(o.Formats) > 1 {
		return o, errors.New("several formats need --output")
	}
	if err := ValidateCategories(skip); err != nil {
		return o, fmt.Errorf("bad --skip: %w", err)
	}
	o.Skip = skip
	if o.MinScore < 0 || o.MinScore > 100 || o.MinScore != o.MinScore {
		return o, errors.New("bad --min-score: want 0..100")
	}
	if o.Timeout <= 0 || o.Timeout > 5*time.Minute {
		return o, errors.New("bad --timeout: want within (0, 5m]")
	}
	if o.RunTimeout <= 0 || o.RunTimeout > 30*time.Minute {
		return o, errors.New("bad --run-timeout: want within (0, 30m]")
	}
	return o, nil
}

// Main runs `vigil readiness` with the arguments after the subcommand:
// progress on stderr, reports to --output (or stdout). It returns 0 when
// the score reaches --min-score, 1 when it does not or the run failed (a
// target that cannot be reached, a run past --run-timeout: one line on
// stderr, no report, no score), 2 for usage errors. The run contacts only
// the --url's scheme, host and port (and, for https, port 80 of the host
// for the redirect check): a redirect anywhere else is refused.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := ParseArgs(args)
	if errors.Is(err, errHelp) {
		var f, s listFlag
		fs := newFlagSet(&CLIOptions{}, &f, &s)
		fs.SetOutput(stderr)
		fmt.Fprintln(stderr, "usage: vigil readiness --url URL [--output DIR] [--format json|markdown|html] [--min-score N] [--token KEY] [--skip CATEGORY]")
		fs.PrintDefaults()
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "vigil readiness: %v\n", err)
		return 2
	}
	cfg := Config{BaseURL: o.URL, Token: o.Token, Skip: o.Skip, Timeout: o.Timeout, RunTimeout: o.RunTimeout,
		Progress: func(ev ProgressEvent) {
			if ev.Done {
				fmt.Fprintf(stderr, "[%d/%d] %-18s %d checks, %d failed, %d not checked\n", ev.Index, ev.Total, ev.Category, ev.Checks, ev.Failed, ev.Errors)
			} else {
				fmt.Fprintf(stderr, "[%d/%d] %-18s running…\n", ev.Index, ev.Total, ev.Category)
			}
		}}
	c, err := New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "vigil readiness: %v\n", err)
		return 2
	}
	rep, err := c.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "vigil readiness: %s\n", oneLine(err))
		return 1
	}
	if o.Output == "" {
		if err := Render(stdout, rep, o.Formats[0]); err != nil {
			fmt.Fprintf(stderr, "vigil readiness: %v\n", err)
			return 1
		}
	} else {
		if err := os.MkdirAll(o.Output, 0o755); err != nil { //nolint:gosec // reports are shareable artifacts (secrets are redacted)
			fmt.Fprintf(stderr, "vigil readiness: create output: %v\n", err)
			return 1
		}
		for _, f := range o.Formats {
			path := filepath.Join(o.Output, fileNames[f])
			if err := writeReport(path, rep, f); err != nil {
				fmt.Fprintf(stderr, "vigil readiness: %v\n", err)
				return 1
			}
			fmt.Fprintf(stderr, "wrote %s\n", path)
		}
	}
	fmt.Fprintf(stderr, "score %.1f, grade %s (%d passed, %d warned, %d failed, %d not checked)\n", rep.Score, rep.Grade,
		rep.Summary.Passed, rep.Summary.Warned, rep.Summary.Failed, rep.Summary.Errors)
	if rep.Score < o.MinScore {
		fmt.Fprintf(stderr, "score %.1f is below --min-score %.1f\n", rep.Score, o.MinScore)
		return 1
	}
	return 0
}

// writeReport writes the report atomically (atomicfile: temp file, fsync,
// rename, directory fsync), readable by all: a shareable artifact, its
// secrets redacted.
func writeReport(path string, rep *Report, format string) error {
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return Render(w, rep, format) })
}
