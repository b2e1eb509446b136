package promlint

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// Dashboard is the part of a Grafana dashboard JSON model the rules read.
type Dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []Panel `json:"panels"`
	Templating struct {
		List []Variable `json:"list"`
	} `json:"templating"`
}

// Variable is a dashboard template variable.
type Variable struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Query      json.RawMessage `json:"query"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Refresh    int             `json:"refresh"`
}

// Panel is a dashboard panel.
type Panel struct {
	ID          int      `json:"id"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Datasource  *DataRef `json:"datasource"`
	Targets     []Target `json:"targets"`
	Panels      []Panel  `json:"panels"` // rows
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

// DataRef references a datasource.
type DataRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// Target is one panel query.
type Target struct {
	Expr       string   `json:"expr"`
	RefID      string   `json:"refId"`
	Datasource *DataRef `json:"datasource"`
}

// KnownUnits are the Grafana unit ids accepted on panels.
var KnownUnits = map[string]bool{
	"none": true, "short": true, "percent": true, "percentunit": true,
	"s": true, "ms": true, "µs": true, "ns": true, "dtdurations": true,
	"bytes": true, "decbytes": true, "bits": true, "Bps": true, "binBps": true, "bps": true,
	"reqps": true, "rps": true, "ops": true, "wps": true, "cps": true, "rpm": true,
	"hertz": true, "dateTimeAsIso": true, "bool": true,
}

// RateInterval is what `$__rate_interval` becomes before parsing; a range
// of exactly this length marks a query that used the variable.
const RateInterval = 59999 * time.Millisecond

var variable = regexp.MustCompile(`\$\{?(\w+)(?::\w+)?\}?`)

// Substitute replaces template variables: $__rate_interval by RateInterval,
// other $__ intervals by 1m, and dashboard variables from vars (missing
// ones become ".+").
func Substitute(expr string, vars map[string]string) string {
	return variable.ReplaceAllStringFunc(expr, func(m string) string {
		name := variable.FindStringSubmatch(m)[1]
		switch name {
		case "__rate_interval":
			return "59999ms"
		case "__interval", "__range":
			return "1m"
		}
		if v, ok := vars[name]; ok {
			return v
		}
		return ".+"
	})
}

// Lint returns every rule violation of one dashboard, each prefixed with
// where it was found.
func Lint(d Dashboard) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, d.UID+": "+fmt.Sprintf(format, args...)) }

	vars := map[string]Variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if ds, ok := vars["datasource"]; !ok || ds.Type != "datasource" || strings.Trim(string(ds.Query), `"`) != "prometheus" {
		bad("no prometheus datasource template variable named datasource")
	}
	for _, name := range []string{"job", "instance"} {
		v, ok := vars[name]
		switch {
		case !ok:
			bad("no %s template variable", name)
		case v.Type != "query" || !v.Multi || !v.IncludeAll || v.AllValue != ".+" || v.Refresh != 2:
			bad("%s variable must be a multi-value query variable including All with allValue .+ refreshed on time range change", name)
		}
	}

	titles := map[string]bool{}
	for _, p := range flatten(d.Panels) {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.Title == "" {
			bad("%s: no title", where)
		}
		if titles[p.Title] {
			bad("%s: duplicate panel title", where)
		}
		titles[p.Title] = true
		if p.Description == "" {
			bad("%s: no description", where)
		}
		if !KnownUnits[p.FieldConfig.Defaults.Unit] {
			bad("%s: unknown or missing unit %q", where, p.FieldConfig.Defaults.Unit)
		}
		if !usesVariable(p.Datasource) {
			bad("%s: datasource is not $datasource", where)
		}
		if len(p.Targets) == 0 {
			bad("%s: no targets", where)
		}
		for _, t := range p.Targets {
			if t.Datasource != nil && !usesVariable(t.Datasource) {
				bad("%s target %s: datasource is not $datasource", where, t.RefID)
			}
			for _, msg := range LintExpr(t.Expr) {
				bad("%s target %s: %s", where, t.RefID, msg)
			}
		}
	}
	return out
}

func usesVariable(r *DataRef) bool {
	return r != nil && (r.UID == "${datasource}" || r.UID == "$datasource")
}

func flatten(ps []Panel) []Panel {
	var out []Panel
	for _, p := range ps {
		if p.Type == "row" {
			out = append(out, flatten(p.Panels)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

var rateFuncs = map[string]bool{"rate": true, "irate": true, "increase": true}

// LintExpr parses a panel query (template variables substituted) and
// checks the rate-interval and counter rules.
func LintExpr(expr string) []string {
	if strings.TrimSpace(expr) == "" {
		return []string{"empty query"}
	}
	node, err := parser.NewParser(parser.Options{}).ParseExpr(Substitute(expr, nil))
	if err != nil {
		return []string{fmt.Sprintf("invalid PromQL %q: %v", expr, err)}
	}
	var out []string
	parser.Inspect(node, func(n parser.Node, path []parser.Node) error {
		switch n := n.(type) {
		case *parser.Call:
			if rateFuncs[n.Func.Name] {
				for _, a := range n.Args {
					if m, ok := a.(*parser.MatrixSelector); ok && m.Range != RateInterval {
						out = append(out, fmt.Sprintf("%s over %s, want [$__rate_interval]", n.Func.Name, m.Range))
					}
				}
			}
		case *parser.VectorSelector:
			if strings.HasSuffix(n.Name, "_total") && !insideRate(path) {
				out = append(out, fmt.Sprintf("counter %s used outside rate, irate or increase", n.Name))
			}
		}
		return nil
	})
	return out
}

// insideRate reports whether the last nodes of path are a matrix selector
// passed to rate, irate or increase.
func insideRate(path []parser.Node) bool {
	if len(path) < 2 {
		return false
	}
	if _, ok := path[len(path)-1].(*parser.MatrixSelector); !ok {
		return false
	}
	for i := len(path) - 2; i >= 0; i-- {
		switch n := path[i].(type) {
		case parser.Expressions:
			continue
		case *parser.Call:
			return rateFuncs[n.Func.Name]
		default:
			return false
		}
	}
	return false
}

// Unique reports duplicate dashboard uids and titles.
func Unique(ds []Dashboard) []string {
	var out []string
	uids, titles := map[string]bool{}, map[string]bool{}
	for _, d := range ds {
		if d.UID == "" || uids[d.UID] {
			out = append(out, fmt.Sprintf("dashboard uid %q empty or not unique", d.UID))
		}
		if d.Title == "" || titles[d.Title] {
			out = append(out, fmt.Sprintf("dashboard title %q empty or not unique", d.Title))
		}
		uids[d.UID], titles[d.Title] = true, true
	}
	return out
}
