package apidocs

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

var htmlTemplate = template.Must(template.New("index").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="vigil apidocs">
<title>{{.Title}} {{.Version}}</title>
<style>
:root{--fg:#1d232b;--muted:#5b6675;--line:#dde3ea;--bg:#fff;--code:#f5f7fa;--accent:#2457c5}
*{box-sizing:border-box}
body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
nav{position:fixed;top:0;bottom:0;left:0;width:290px;overflow:auto;padding:20px;border-right:1px solid var(--line);background:#fafbfc;font-size:14px}
nav ul{list-style:none;padding-left:0;margin:0 0 12px}
nav ul ul{padding-left:10px;margin:4px 0}
nav a{color:var(--fg);text-decoration:none}
nav a:hover{color:var(--accent)}
main{margin-left:290px;padding:24px 40px;max-width:1100px}
h1{margin-top:0}
h2{border-bottom:1px solid var(--line);padding-bottom:4px;margin-top:40px}
section.op{border:1px solid var(--line);border-radius:6px;padding:4px 18px 12px;margin:18px 0}
.route{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:14px}
.method{display:inline-block;min-width:62px;text-align:center;border-radius:4px;padding:1px 6px;color:#fff;font-weight:600;font-size:12px;background:#6b7280}
.get{background:#2f7d4f}.post{background:#2457c5}.put{background:#a15c07}.patch{background:#7c3aed}.delete{background:#b42318}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:8px 0 14px;font-size:14px}
th,td{border:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f3f5f8}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px}
pre{background:var(--code);border:1px solid var(--line);border-radius:4px;padding:10px 12px;overflow:auto}
details{margin:6px 0}
summary{cursor:pointer;color:var(--accent)}
@media (max-width:800px){nav{position:static;width:auto;border-right:0}main{margin-left:0;padding:16px}}
</style>
</head>
<body>
<nav aria-label="Contents">
<p><strong>{{.Title}}</strong><br><span class="muted">version {{.Version}}</span></p>
<ul>
<li><a href="#authentication">Authentication</a></li>
<li><a href="#errors">Errors</a></li>
{{- range .Sections}}
<li><a href="#{{.Anchor}}">{{.Tag}}</a>
<ul>{{range .Ops}}<li><a href="#{{.Anchor}}"><code>{{.Method}}</code> {{.Path}}</a></li>{{end}}</ul>
</li>
{{- end}}
{{- if .Schemas}}
<li><a href="#schemas">Schemas</a></li>
{{- end}}
</ul>
</nav>
<main>
<h1>{{.Title}}</h1>
<p class="muted">Version {{.Version}} · base URL <code>{{.BaseURL}}</code></p>
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
<h2 id="authentication">Authentication</h2>
<p>Operations that name a role need an API key with that role, sent as <code>Authorization: Bearer &lt;key&gt;</code> or <code>X-API-Key: &lt;key&gt;</code>.
Roles: <code>admin</code>, <code>viewer</code>, <code>client</code>. The code samples read the key from <code>$VIGIL_TOKEN</code>.</p>
<h2 id="errors">Errors</h2>
<p>Every error is an RFC 9457 problem details object (<code>application/problem+json</code>); a 400 names the offending field in <code>detail</code>.</p>
{{template "fields" .Problem.Fields}}
{{- range .Sections}}
<h2 id="{{.Anchor}}">{{.Tag}}</h2>
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
{{- range .Ops}}
<section class="op" id="{{.Anchor}}">
<h3>{{.Summary}}</h3>
<p class="route"><span class="method {{lower .Method}}">{{.Method}}</span> {{.Path}}</p>
{{- if .Deprecated}}<p><strong>Deprecated.</strong></p>{{end}}
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
<p><strong>Authentication:</strong> {{if .Roles}}API key with role {{range $i, $r := .Roles}}{{if $i}} or {{end}}<code>{{$r}}</code>{{end}}{{else}}public{{end}}</p>
{{- if .Params}}
<table><caption class="muted">Parameters</caption><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>
{{- range .Params}}
<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{.Type}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td>{{.Description}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .BodyType}}
<p><strong>Request body</strong> (<code>{{.BodyType}}</code>): {{.BodySchema}}</p>
{{template "fields" .BodyFields}}
{{- end}}
<table><caption class="muted">Responses</caption><tr><th>status</th><th>content type</th><th>schema</th><th>description</th></tr>
{{- range .Responses}}
<tr><td>{{.Status}}</td><td>{{if .ContentType}}<code>{{.ContentType}}</code>{{end}}</td><td>{{.Schema}}</td><td>{{.Description}}</td></tr>
{{- end}}
</table>
{{- range .Samples}}
<details><summary>{{.Label}}</summary><pre><code class="language-{{.Lang}}">{{.Source}}</code></pre></details>
{{- end}}
</section>
{{- end}}
{{- end}}
{{- if .Schemas}}
<h2 id="schemas">Schemas</h2>
{{- range .Schemas}}
<h3 id="{{.Anchor}}">{{.Name}}</h3>
{{- if .Description}}<p>{{.Description}}</p>{{end}}
{{- if .Fields}}{{template "fields" .Fields}}{{else}}<p class="muted">No fixed fields.</p>{{end}}
{{- end}}
{{- end}}
</main>
</body>
</html>
{{define "fields"}}{{if .}}<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>
{{- range .}}
<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td>{{.Description}}</td></tr>
{{- end}}
</table>{{end}}{{end}}`))

// HTML renders doc as a self-contained static index.html: inline CSS, no
// scripts, no external assets, every outside string escaped. The output is
// deterministic.
func HTML(doc *openapi3.T) ([]byte, error) {
	v, err := newViewDoc(doc)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
