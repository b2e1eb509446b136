package readiness

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// Formats a report can be rendered in.
const (
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
	FormatHTML     = "html"
)

// Render writes r in format (json, markdown or html).
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatJSON:
		return RenderJSON(w, r)
	case FormatMarkdown:
		return RenderMarkdown(w, r)
	case FormatHTML:
		return RenderHTML(w, r)
	}
	return fmt.Errorf("unknown format %q", format)
}

// RenderJSON writes the stable JSON schema, indented.
func RenderJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("render json: %w", err)
	}
	return nil
}

var resultIcon = map[string]string{Pass: "✅ pass", Warn: "⚠️ warn", Fail: "❌ fail", Skip: "⏭️ skip", Error: "⛔ error"}

func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}

// RenderMarkdown writes a human-readable Markdown report.
func RenderMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Production readiness: %s\n\n", mdEscape(r.Target))
	fmt.Fprintf(&b, "**Score %.1f / 100 — grade %s**", r.Score, r.Grade)
	if r.Capped != "" {
		fmt.Fprintf(&b, " (%s)", mdEscape(r.Capped))
	}
	fmt.Fprintf(&b, "\n\nStarted %s, finished %s. Checks: %d passed, %d warned, %d failed, %d skipped, %d not checked (%d total).\n\n",
		r.StartedAt.Format("2006-01-02 15:04:05 MST"), r.FinishedAt.Format("2006-01-02 15:04:05 MST"),
		r.Summary.Passed, r.Summary.Warned, r.Summary.Failed, r.Summary.Skipped, r.Summary.Errors, r.Summary.Total)
	if r.Observatory != nil {
		fmt.Fprintf(&b, "HTTP Observatory score **%d**, grade **%s** (%d of %d tests passed).\n\n",
			r.Observatory.Score, r.Observatory.Grade, r.Observatory.TestsPassed, r.Observatory.TestsQuantity)
	}
	b.WriteString("| Category | Weight | Score |\n| --- | ---: | ---: |\n")
	for _, c := range r.Categories {
		score := fmt.Sprintf("%.1f", c.Score)
		if c.Skipped {
			score = "skipped"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s |\n", mdEscape(c.Name), c.Weight, score)
	}
	if len(r.Recommendations) > 0 {
		b.WriteString("\n## Recommendations\n\n")
		for _, rec := range r.Recommendations {
			fmt.Fprintf(&b, "- **%s** (%s, `%s`): %s\n", rec.Severity, rec.Result, rec.Check, mdEscape(rec.Text))
		}
	}
	for _, c := range r.Categories {
		fmt.Fprintf(&b, "\n## %s\n\n", mdEscape(c.Name))
		b.WriteString("| Check | Result | Severity | Detail |\n| --- | --- | --- | --- |\n")
		for _, ch := range c.Checks {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(ch.Title), resultIcon[ch.Result], ch.Severity, mdEscape(ch.Detail))
		}
		for _, ch := range c.Checks {
			if ch.Result != Warn && ch.Result != Fail && ch.Result != Error {
				continue
			}
			fmt.Fprintf(&b, "\n**%s** — %s\n", mdEscape(ch.Title), mdEscape(ch.Recommendation))
			for _, ev := range ch.Evidence {
				fmt.Fprintf(&b, "\n    %s %s → %s\n", ev.Method, ev.URL, evStatus(ev))
				for _, k := range sortedKeys(ev.Headers) {
					fmt.Fprintf(&b, "    %s: %s\n", k, ev.Headers[k])
				}
				if ev.BodyExcerpt != "" {
					fmt.Fprintf(&b, "    body: %s\n", ev.BodyExcerpt)
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("render markdown: %w", err)
	}
	return nil
}

func evStatus(ev Evidence) string {
	if ev.Error != "" {
		return "error: " + ev.Error
	}
	return fmt.Sprintf("%d", ev.Status)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"keys":   sortedKeys,
	"status": evStatus,
	"pct":    func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"time":   func(r *Report) string { return r.StartedAt.Format("2006-01-02 15:04:05 MST") },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Production readiness: {{.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.pass{color:#1a7f37}.warn{color:#9a6700}.fail{color:#cf222e}.skip{color:#666}.error{color:#8250df}
.grade{font-size:2rem;font-weight:bold}pre{background:#f6f8fa;padding:.5rem;white-space:pre-wrap;word-break:break-all}
</style></head><body>
<h1>Production readiness: {{.Target}}</h1>
<p><span class="grade">{{.Grade}}</span> score {{pct .Score}} / 100{{if .Capped}} ({{.Capped}}){{end}}</p>
<p>Started {{time .}}. {{.Summary.Passed}} passed, {{.Summary.Warned}} warned, {{.Summary.Failed}} failed, {{.Summary.Skipped}} skipped, {{.Summary.Errors}} not checked ({{.Summary.Total}} checks).</p>
{{with .Observatory}}<p>HTTP Observatory score <strong>{{.Score}}</strong>, grade <strong>{{.Grade}}</strong> ({{.TestsPassed}} of {{.TestsQuantity}} tests passed).</p>{{end}}
<table><tr><th>Category</th><th>Weight</th><th>Score</th></tr>
{{range .Categories}}<tr><td><a href="#{{.ID}}">{{.Name}}</a></td><td>{{.Weight}}</td><td>{{if .Skipped}}skipped{{else}}{{pct .Score}}{{end}}</td></tr>
{{end}}</table>
{{if .Recommendations}}<h2>Recommendations</h2><ul>
{{range .Recommendations}}<li><strong>{{.Severity}}</strong> <span class="{{.Result}}">{{.Result}}</span> <code>{{.Check}}</code>: {{.Text}}</li>
{{end}}</ul>{{end}}
{{range .Categories}}<h2 id="{{.ID}}">{{.Name}}</h2>
<table><tr><th>Check</th><th>Result</th><th>Severity</th><th>Detail</th></tr>
{{range .Checks}}<tr><td>{{.Title}}</td><td class="{{.Result}}">{{.Result}}</td><td>{{.Severity}}</td><td>{{.Detail}}{{if .Recommendation}}<br><em>{{.Recommendation}}</em>{{end}}
{{range .Evidence}}<pre>{{.Method}} {{.URL}} → {{status .}}
{{$h := .Headers}}{{range keys $h}}{{.}}: {{index $h .}}
{{end}}{{if .BodyExcerpt}}body: {{.BodyExcerpt}}{{end}}</pre>{{end}}</td></tr>
{{end}}</table>
{{end}}</body></html>
`))

// RenderHTML writes a self-contained HTML page (no external assets; all
// evidence escaped).
func RenderHTML(w io.Writer, r *Report) error {
	if err := htmlTmpl.Execute(w, r); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}
