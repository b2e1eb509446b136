package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Version is set at build time with -ldflags "-X github.com/vigilhq/vigil/internal/app.Version=...".
var Version = "0.1.0-dev"

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// command is one subcommand of the vigil binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":     {"run the Vigil server (the default)", serveMain},
		"health":    {"probe a running server's /health (for container health checks)", healthMain},
		"rules":     {"export the alerting rules for Prometheus, or check them", rulesMain},
		"report":    {"fetch a report (json, csv, markdown) from a running server", reportMain},
		"docs":      {"write the API documentation (openapi.json, Markdown, HTML)", docsMain},
		"readiness": {"check a running API's production readiness (12 categories, scored)", readinessMain},
		"keys":      {"list, create and revoke API keys (stored as hashes)", keysMain},
		"version": {"print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) int {
			fmt.Fprintln(stdout, "vigil", Version)
			return ExitOK
		}},
	}
}

// Main runs the vigil command line and returns the process exit code. It
// never calls os.Exit, so it is testable in-process.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			usage(stdout, cmds)
			return ExitOK
		}
		return serveMain(ctx, args, stdout, stderr)
	}
	if args[0] == "help" {
		usage(stdout, cmds)
		return ExitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vigil: unknown command %q (see vigil --help)\n", args[0])
		return ExitUsage
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "Vigil %s: an OpenTelemetry observability pipeline for echo APIs.\n\n", Version)
	fmt.Fprintln(w, "Usage: vigil [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nWith no command, vigil serves. Run 'vigil COMMAND --help' for a command's flags.")
}

// parseFlags parses args with fs. Help prints the usage to stdout and gives
// (true, ExitOK); a bad flag prints one line to stderr and gives ExitUsage.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (done bool, code int) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return true, ExitOK
	case err != nil:
		fmt.Fprintf(stderr, "vigil %s: %v (see vigil %s --help)\n", fs.Name(), err, fs.Name())
		return true, ExitUsage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "vigil %s: unexpected argument %q (see vigil %s --help)\n", fs.Name(), fs.Arg(0), fs.Name())
		return true, ExitUsage
	}
	return false, ExitOK
}

// envOr returns the environment variable's value, or def when unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// usageFunc prints a command's synopsis and flags.
func usageFunc(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n\nFlags:\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(w, "  --%s\n      %s", f.Name, f.Usage)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(w, " (default %q)", f.DefValue)
			}
			fmt.Fprintln(w)
		})
	}
}
