package reporting

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Content types of the report formats.
const (
	ContentTypeCSV      = "text/csv; charset=utf-8; header=present"
	ContentTypeMarkdown = "text/markdown; charset=utf-8"
	ContentTypeJSON     = "application/json"
)

// CSVHeader is the header row of WriteCSV. Every row is one value in long
// format: the section (report, summary, endpoint, error, usage_summary,
// usage, usage_endpoint, alert, slo), the row's id (trace ID, client, alert
// ID or SLO name), route and method where they apply, the field name and its
// value (empty for null; times in RFC 3339; numbers in plain decimal).
var CSVHeader = []string{"section", "id", "route", "method", "field", "value"}

type kv struct {
	k string
	v string
}

func fnum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
func fint(v int64) string   { return strconv.FormatInt(v, 10) }
func ftime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func fptr(v *float64) string {
	if v == nil {
		return ""
	}
	return fnum(*v)
}

func latencyFields(l Latency) []kv {
	return []kv{
		{"requests", fint(l.Requests)}, {"errors", fint(l.Errors)}, {"error_rate", fnum(l.ErrorRate)},
		{"throughput_rps", fnum(l.ThroughputRPS)}, {"p50_ms", fptr(l.P50Ms)}, {"p95_ms", fptr(l.P95Ms)},
		{"p99_ms", fptr(l.P99Ms)}, {"mean_ms", fptr(l.MeanMs)}, {"max_ms", fptr(l.MaxMs)},
	}
}

func countFields(c Counts) []kv {
	return []kv{{"requests", fint(c.Requests)}, {"errors", fint(c.Errors)}, {"rate_limited", fint(c.RateLimited)}, {"tokens", fint(c.Tokens)}}
}

func sloFields(s SLOStatus) []kv {
	f := []kv{
		{"objective", fnum(s.Objective)}, {"window", s.Window.String()}, {"status", s.Status},
		{"availability", fptr(s.Availability.Value)}, {"availability_good", fint(s.Availability.Good)},
		{"availability_total", fint(s.Availability.Total)}, {"error_budget_remaining", fptr(s.ErrorBudgetRemaining)},
		{"burn_rate_1h", fptr(s.BurnRate1h)},
	}
	if s.Family != "" {
		f = append(f, kv{"family", s.Family})
	}
	if s.Latency != nil {
		f = append(f, kv{"latency_threshold", s.LatencyThreshold.String()}, kv{"effective_threshold_ms", fptr(s.EffectiveThresholdMs)},
			kv{"latency", fptr(s.Latency.Value)}, kv{"latency_good", fint(s.Latency.Good)}, kv{"latency_total", fint(s.Latency.Total)},
			kv{"latency_budget_remaining", fptr(s.LatencyBudgetRemain)}, kv{"latency_burn_rate_1h", fptr(s.LatencyBurnRate1h)})
	}
	return f
}

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteCSV writes r as RFC 4180 CSV (CRLF line ends) in the long format
// described at CSVHeader.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	rows := [][]string{CSVHeader}
	add := func(section, id, route, method string, fields []kv) {
		for _, f := range fields {
			rows = append(rows, []string{section, id, route, method, f.k, f.v})
		}
	}
	add("report", "", "", "", []kv{{"scope", string(r.Scope)}, {"generated_at", ftime(r.GeneratedAt)}, {"window_minutes", strconv.Itoa(r.WindowMinutes)},
		{"since", ftime(r.Since)}, {"until", ftime(r.Until)}})
	add("summary", "", "", "", latencyFields(r.Summary))
	for _, e := range r.Endpoints {
		add("endpoint", "", e.Route, e.Method, latencyFields(e.Latency))
	}
	for _, e := range r.TopErrors {
		add("error", e.TraceID, e.Route, e.Method, []kv{{"status", strconv.Itoa(e.Status)}, {"duration_ms", fnum(e.DurationMs)},
			{"end", ftime(e.End)}, {"error_type", e.ErrorType}, {"error_message", e.ErrorMessage}})
	}
	u := r.Usage
	us := []kv{{"resolution", u.Resolution}, {"source", u.Source}, {"client_count", strconv.Itoa(u.ClientCount)},
		{"endpoint_count", strconv.Itoa(u.EndpointCount)}}
	us = append(us, countFields(u.Totals)...)
	if u.Peak != nil {
		us = append(us, kv{"peak_start", ftime(u.Peak.Start)}, kv{"peak_requests", fint(u.Peak.Requests)})
	}
	add("usage_summary", "", "", "", us)
	for _, c := range u.Clients {
		add("usage", c.Client, "", "", countFields(c.Counts))
		for _, e := range c.Endpoints {
			add("usage_endpoint", c.Client, e.Route, e.Method, countFields(e.Counts))
		}
	}
	for _, a := range r.Alerts {
		add("alert", a.ID, "", "", []kv{{"rule", a.Rule}, {"severity", a.Severity}, {"state", a.State}, {"since", ftime(a.Since)},
			{"value", fnum(a.Value)}, {"trace_id", a.TraceID}, {"summary", a.Summary}})
	}
	for _, s := range r.SLOs {
		add("slo", s.Name, s.Route, "", sloFields(s))
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// mdCell escapes a Markdown table cell.
func mdCell(s string) string {
	s = strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	if s == "" {
		return "–"
	}
	return s
}

func mdTable(w *strings.Builder, head []string, rows [][]string) {
	w.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		w.WriteString(" --- |")
	}
	w.WriteString("\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdCell(c)
		}
		w.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if len(rows) == 0 {
		w.WriteString("\n_None._\n")
	}
	w.WriteString("\n")
}

func fms(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func fpct(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + " %" }

func fpctp(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v*100, 'f', 3, 64) + " %"
}

// WriteMarkdown writes r as a Markdown document.
func WriteMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Vigil report\n\nWindow: last %d minutes (%s – %s), generated %s.\n\n",
		r.WindowMinutes, ftime(r.Since), ftime(r.Until), ftime(r.GeneratedAt))
	fmt.Fprintf(&b, "Scope: %s.\n\n", scopeLine(r.Scope))
	b.WriteString("## Summary\n\n")
	s := r.Summary
	mdTable(&b, []string{"requests", "errors", "error rate", "throughput (req/s)", "p50 ms", "p95 ms", "p99 ms", "mean ms", "max ms"},
		[][]string{{fint(s.Requests), fint(s.Errors), fpct(s.ErrorRate), strconv.FormatFloat(s.ThroughputRPS, 'f', 3, 64),
			fms(s.P50Ms), fms(s.P95Ms), fms(s.P99Ms), fms(s.MeanMs), fms(s.MaxMs)}})
	b.WriteString("## Endpoints\n\n")
	var rows [][]string
	for _, e := range r.Endpoints {
		rows = append(rows, []string{"`" + e.Method + " " + e.Route + "`", fint(e.Requests), fint(e.Errors), fpct(e.ErrorRate),
			fms(e.P50Ms), fms(e.P95Ms), fms(e.P99Ms), fms(e.MeanMs)})
	}
	mdTable(&b, []string{"endpoint", "requests", "errors", "error rate", "p50 ms", "p95 ms", "p99 ms", "mean ms"}, rows)
	b.WriteString("## Top errors\n\n")
	rows = nil
	for _, e := range r.TopErrors {
		rows = append(rows, []string{ftime(e.End), "`" + e.Method + " " + e.Route + "`", strconv.Itoa(e.Status),
			strconv.FormatFloat(e.DurationMs, 'f', 1, 64), e.ErrorType, e.ErrorMessage, "`" + e.TraceID + "`"})
	}
	mdTable(&b, []string{"time", "endpoint", "status", "duration ms", "error type", "message", "trace ID"}, rows)
	u := r.Usage
	fmt.Fprintf(&b, "## Usage by client\n\n%d clients, %d requests, %d errors, %d rate-limited, %d tokens (%s resolution, from %s).",
		u.ClientCount, u.Totals.Requests, u.Totals.Errors, u.Totals.RateLimited, u.Totals.Tokens, u.Resolution, u.Source)
	if u.Peak != nil {
		fmt.Fprintf(&b, " Peak %s: %d requests at %s.", u.Resolution, u.Peak.Requests, ftime(u.Peak.Start))
	}
	b.WriteString("\n\n")
	rows = nil
	for _, c := range u.Clients {
		rows = append(rows, []string{c.Client, fint(c.Requests), fint(c.Errors), fint(c.RateLimited), fint(c.Tokens)})
	}
	mdTable(&b, []string{"client", "requests", "errors", "rate-limited", "tokens"}, rows)
	b.WriteString("## Firing alerts\n\n")
	rows = nil
	for _, a := range r.Alerts {
		rows = append(rows, []string{a.Rule, a.Severity, ftime(a.Since), fnum(a.Value), a.Summary, a.TraceID})
	}
	mdTable(&b, []string{"rule", "severity", "since", "value", "summary", "trace ID"}, rows)
	b.WriteString("## SLOs\n\n")
	rows = nil
	for _, o := range r.SLOs {
		lat := ""
		if o.Latency != nil {
			lat = fpctp(o.Latency.Value) + " ≤ " + o.LatencyThreshold.String()
		}
		route := "`" + o.Route + "`"
		if o.Family != "" {
			route = "route family " + o.Family
		}
		rows = append(rows, []string{o.Name, route, fpctp(&o.Objective), o.Window.String(),
			fpctp(o.Availability.Value), lat, fpctp(o.ErrorBudgetRemaining), fptr2(o.BurnRate1h), o.Status})
	}
	mdTable(&b, []string{"SLO", "route", "objective", "window", "availability", "latency", "budget left", "burn rate (1h)", "status"}, rows)
	_, err := io.WriteString(w, b.String())
	return err
}

// scopeLine says in words whose requests a report counts.
func scopeLine(sc Scope) string {
	if sc == ScopeFleet {
		return "fleet (every replica, from Prometheus); top errors are this replica's failing spans and every replica's sampled failing requests (exemplars)"
	}
	return "replica (the requests this replica served)"
}

func fptr2(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 2, 64)
}
