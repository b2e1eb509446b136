package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/vigilhq/vigil/alerting"
	"github.com/vigilhq/vigil/reporting"
)

// rulesMain implements `vigil rules export|check`: the rules of the config
// (or the defaults) as Prometheus alerting rules, or just validated.
func rulesMain(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "export" && args[0] != "check") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "Usage: vigil rules export|check [--config FILE]\n\n"+
				"  export  print the alerting rules as a Prometheus rule file (prometheus/rules/alerts.yml)\n"+
				"  check   validate the config's alerting section")
			return ExitOK
		}
		fmt.Fprintln(stderr, "vigil rules: want a subcommand: export or check (see vigil rules --help)")
		return ExitUsage
	}
	sub := args[0]
	fs := flag.NewFlagSet("rules "+sub, flag.ContinueOnError)
	path := fs.String("config", envOr("VIGIL_CONFIG", ""), "YAML config file; default: the built-in rules (env VIGIL_CONFIG)")
	fs.Usage = usageFunc(fs, "vigil rules "+sub+" [--config FILE]")
	if done, code := parseFlags(fs, args[1:], stdout, stderr); done {
		return code
	}
	cfg, err := LoadConfig(*path)
	if err != nil {
		fmt.Fprintf(stderr, "vigil rules %s: %s\n", sub, oneLine(err))
		return ExitError
	}
	if sub == "check" {
		fmt.Fprintf(stdout, "%d rules, %d receivers: ok\n", len(cfg.Alerting.Rules), len(cfg.Alerting.Receivers))
		return ExitOK
	}
	// With fleet mode's extra matchers the exported rules select what the
	// fleet-mode leader queries.
	out, err := alerting.PrometheusRulesFor(cfg.Alerting, alerting.PromQL{Matchers: cfg.Fleet.Prometheus.ExtraMatchers.Strings()})
	if err != nil {
		fmt.Fprintf(stderr, "vigil rules export: %s\n", oneLine(err))
		return ExitError
	}
	if _, err := stdout.Write(out); err != nil {
		fmt.Fprintf(stderr, "vigil rules export: %v\n", err)
		return ExitError
	}
	return ExitOK
}

func reportMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return reporting.Main(ctx, args, stdout, stderr)
}
