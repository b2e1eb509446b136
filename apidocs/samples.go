package apidocs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/getkin/kin-openapi/openapi3"
)

// CodeSample is one entry of an operation's x-codeSamples extension.
type CodeSample struct {
	Lang   string `json:"lang"`
	Label  string `json:"label"`
	Source string `json:"source"`
}

// CodeSamplesKey is the operation extension holding the code samples.
const CodeSamplesKey = "x-codeSamples"

// TokenEnv is the environment variable the code samples read the API key from.
const TokenEnv = "VIGIL_TOKEN"

type sampleData struct {
	Method      string
	URL         string
	Auth        bool
	ContentType string
	HasBody     bool
	JSONBody    string // pretty JSON
	JSBody      string // pretty JSON indented for the fetch call
	ShellBody   string // JSONBody quoted for a POSIX shell
	PyBody      string // Python literal
	GoBody      string // Go string literal
	TokenEnv    string
}

var sampleTemplates = []struct {
	lang, label string
	tmpl        *template.Template
}{
	{"curl", "curl", template.Must(template.New("curl").Parse(
		`curl -sS -X {{.Method}} '{{.URL}}'{{if .Auth}} \
  -H "Authorization: Bearer ${{.TokenEnv}}"{{end}}{{if .HasBody}} \
  -H 'Content-Type: {{.ContentType}}' \
  -d {{.ShellBody}}{{end}}
`))},
	{"Python", "Python (requests)", template.Must(template.New("python").Parse(
		`{{if .Auth}}import os

{{end}}import requests

resp = requests.request(
    "{{.Method}}",
    "{{.URL}}",
{{- if .Auth}}
    headers={"Authorization": f"Bearer {os.environ['{{.TokenEnv}}']}"},
{{- end}}
{{- if .HasBody}}
    json={{.PyBody}},
{{- end}}
    timeout=10,
)
print(resp.status_code, resp.text)
`))},
	{"JavaScript", "JavaScript (fetch)", template.Must(template.New("js").Parse(
		`const resp = await fetch("{{.URL}}", {
  method: "{{.Method}}",
{{- if or .Auth .HasBody}}
  headers: {
{{- if .Auth}}
    Authorization: ` + "`Bearer ${process.env.{{.TokenEnv}}}`" + `,
{{- end}}
{{- if .HasBody}}
    "Content-Type": "{{.ContentType}}",
{{- end}}
  },
{{- end}}
{{- if .HasBody}}
  body: JSON.stringify({{.JSBody}}),
{{- end}}
});
console.log(resp.status, await resp.text());
`))},
	{"Go", "Go (net/http)", template.Must(template.New("go").Parse(
		`package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
{{- if .Auth}}
	"os"
{{- end}}
{{- if .HasBody}}
	"strings"
{{- end}}
)

func main() {
{{- if .HasBody}}
	body := strings.NewReader({{.GoBody}})
	req, err := http.NewRequest("{{.Method}}", "{{.URL}}", body)
{{- else}}
	req, err := http.NewRequest("{{.Method}}", "{{.URL}}", nil)
{{- end}}
	if err != nil {
		log.Fatal(err)
	}
{{- if .Auth}}
	req.Header.Set("Authorization", "Bearer "+os.Getenv("{{.TokenEnv}}"))
{{- end}}
{{- if .HasBody}}
	req.Header.Set("Content-Type", "{{.ContentType}}")
{{- end}}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status, string(out))
}
`))},
}

// addCodeSamples sets x-codeSamples on every operation of doc, and a request
// body example where the operation has none.
func addCodeSamples(doc *openapi3.T, reg *Registry) error {
	base := sampleBase(doc)
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, o := range item.Operations() {
			samples, err := codeSamples(base, method, path, o)
			if err != nil {
				return fmt.Errorf("code samples for %s %s: %w", method, path, err)
			}
			if o.Extensions == nil {
				o.Extensions = map[string]any{}
			}
			o.Extensions[CodeSamplesKey] = samples
		}
	}
	return nil
}

func codeSamples(base, method, path string, o *openapi3.Operation) ([]CodeSample, error) {
	d := sampleData{Method: method, TokenEnv: TokenEnv}
	d.Auth = o.Security != nil && len(*o.Security) > 0
	d.URL = base + sampleURL(path, o)
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		// The first content type, in sorted order, is the one sampled.
		if cts := sortedKeys(o.RequestBody.Value.Content); len(cts) > 0 {
			ct := cts[0]
			mt := o.RequestBody.Value.Content[ct]
			ex := mt.Example
			if ex == nil {
				ex = exampleFor(mt.Schema, 0)
				mt.Example = ex
			}
			raw, err := json.MarshalIndent(ex, "", "  ")
			if err != nil {
				return nil, err
			}
			d.HasBody = true
			jsRaw, _ := json.MarshalIndent(ex, "  ", "  ")
			d.JSBody = string(jsRaw)
			d.ContentType = ct
			d.JSONBody = string(raw)
			d.ShellBody = "'" + strings.ReplaceAll(d.JSONBody, "'", `'\''`) + "'"
			d.PyBody = pyLiteral(ex, "    ")
			if strings.Contains(d.JSONBody, "`") {
				d.GoBody = strconv.Quote(d.JSONBody)
			} else {
				d.GoBody = "`" + d.JSONBody + "`"
			}
		}
	}
	out := make([]CodeSample, 0, len(sampleTemplates))
	for _, st := range sampleTemplates {
		var b bytes.Buffer
		if err := st.tmpl.Execute(&b, d); err != nil {
			return nil, err
		}
		out = append(out, CodeSample{Lang: st.lang, Label: st.label, Source: b.String()})
	}
	return out, nil
}

// sampleBase is the absolute base URL code samples call: the first server,
// resolved against http://localhost:8000 when it is relative.
func sampleBase(doc *openapi3.T) string {
	if len(doc.Servers) == 0 || doc.Servers[0] == nil || doc.Servers[0].URL == "" {
		return defaultServer
	}
	u := doc.Servers[0].URL
	if strings.HasPrefix(u, "/") {
		u = defaultServer + u
	}
	return strings.TrimSuffix(u, "/")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sampleURL fills path parameters with examples and appends the required or
// exemplified query parameters.
func sampleURL(path string, o *openapi3.Operation) string {
	q := url.Values{}
	for _, pr := range o.Parameters {
		p := pr.Value
		if p == nil {
			continue
		}
		ex := p.Example
		if ex == nil && p.Schema != nil {
			if p.In == "path" || p.Required {
				ex = exampleFor(p.Schema, 0)
				if s, ok := ex.(string); ok && s == "string" && p.In == "path" {
					ex = "1"
				}
			}
		}
		if ex == nil {
			continue
		}
		v := fmt.Sprint(ex)
		switch p.In {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(v))
		case "query":
			q.Set(p.Name, v)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return path
}

// pyLiteral renders a JSON value as a Python literal.
func pyLiteral(v any, indent string) string {
	var b strings.Builder
	writePy(&b, v, indent, 2)
	return b.String()
}

func writePy(b *strings.Builder, v any, indent string, level int) {
	pad := strings.Repeat("    ", level)
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for _, k := range sortedKeys(x) {
			raw, _ := json.Marshal(k)
			b.WriteString(pad + string(raw) + ": ")
			writePy(b, x[k], indent, level+1)
			b.WriteString(",\n")
		}
		b.WriteString(strings.Repeat("    ", level-1) + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for _, e := range x {
			b.WriteString(pad)
			writePy(b, e, indent, level+1)
			b.WriteString(",\n")
		}
		b.WriteString(strings.Repeat("    ", level-1) + "]")
	default:
		// Normalise Go values (structs, typed slices) through JSON.
		raw, err := json.Marshal(x)
		if err != nil {
			b.WriteString("None")
			return
		}
		var generic any
		if json.Unmarshal(raw, &generic) == nil {
			switch generic.(type) {
			case map[string]any, []any, bool, nil:
				writePy(b, generic, indent, level)
				return
			}
		}
		b.Write(raw)
	}
}

// Samples returns the code samples of an operation, whether the document
// was built in memory or loaded from JSON.
func Samples(o *openapi3.Operation) []CodeSample {
	v, ok := o.Extensions[CodeSamplesKey]
	if !ok {
		return nil
	}
	if s, ok := v.([]CodeSample); ok {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out []CodeSample
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}
