// Command gen writes Vigil's Grafana dashboards as JSON files.
//
//	go run ./grafana/gen -out grafana/dashboards
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/vigilhq/vigil/grafana"
)

func main() {
	out := flag.String("out", "dashboards", "directory the dashboard JSON files are written to")
	flag.Parse()
	if err := grafana.WriteDashboards(*out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}
