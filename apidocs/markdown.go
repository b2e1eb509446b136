package apidocs

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Markdown renders doc as API_DOCUMENTATION.md: title, authentication,
// errors, one section per tag with every operation's parameters, request
// and response schemas and code samples, then the schemas. The output is
// deterministic.
func Markdown(doc *openapi3.T) ([]byte, error) {
	v, err := newViewDoc(doc)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("# %s\n\n", v.Title)
	w("Version %s. Base URL `%s`.\n\n", v.Version, v.BaseURL)
	if v.Description != "" {
		w("%s\n\n", mdProse(v.Description))
	}
	w("This reference is generated from the routes the server serves; the machine-readable\n")
	w("document is at `%s` and the interactive documentation at `%s`.\n\n", SpecPath, DocsPath)

	w("## Contents\n\n")
	w("- [Authentication](#authentication)\n- [Errors](#errors)\n")
	for _, s := range v.Sections {
		w("- [%s](#%s)\n", mdText(s.Tag), s.Anchor)
		for _, op := range s.Ops {
			w("  - [`%s %s`](#%s) %s\n", op.Method, op.Path, op.Anchor, mdText(op.Summary))
		}
	}
	if len(v.Schemas) > 0 {
		w("- [Schemas](#schemas)\n")
	}
	w("\n")

	w("<a id=\"authentication\"></a>\n\n## Authentication\n\n")
	w("Operations that name a role need an API key with that role, sent as\n")
	w("`Authorization: Bearer <key>` or as `%s: <key>`. Roles: `admin` (acknowledge,\n", APIKeyHeader)
	w("resolve, silences, readiness, security events), `viewer` (read the management API),\n")
	w("`client` (the reference API; usage is attributed to the key). The code samples read\n")
	w("the key from the environment variable `%s`. Operations marked public need no key.\n\n", TokenEnv)

	w("<a id=\"errors\"></a>\n\n## Errors\n\n")
	w("Every error is an RFC 9457 problem details object, content type `%s`.\n", ProblemContentType)
	w("A 400 names the offending field in `detail`.\n\n")
	writeFields(&b, v.Problem.Fields)

	for _, s := range v.Sections {
		w("<a id=\"%s\"></a>\n\n## %s\n\n", s.Anchor, mdText(s.Tag))
		if s.Description != "" {
			w("%s\n\n", mdProse(s.Description))
		}
		for _, op := range s.Ops {
			writeMarkdownOp(&b, op)
		}
	}

	if len(v.Schemas) > 0 {
		w("<a id=\"schemas\"></a>\n\n## Schemas\n\n")
		for _, s := range v.Schemas {
			w("<a id=\"%s\"></a>\n\n### %s\n\n", s.Anchor, mdText(s.Name))
			if s.Description != "" {
				w("%s\n\n", mdProse(s.Description))
			}
			if len(s.Fields) == 0 {
				w("No fixed fields.\n\n")
				continue
			}
			writeFields(&b, s.Fields)
		}
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n'), nil
}

func writeMarkdownOp(b *bytes.Buffer, op viewOp) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("<a id=\"%s\"></a>\n\n### %s\n\n", op.Anchor, mdText(op.Summary))
	w("`%s %s`\n\n", op.Method, op.Path)
	if op.Deprecated {
		w("**Deprecated.**\n\n")
	}
	if op.Description != "" {
		w("%s\n\n", mdProse(op.Description))
	}
	if len(op.Roles) > 0 {
		w("**Authentication:** API key with role %s.\n\n", "`"+strings.Join(op.Roles, "` or `")+"`")
	} else {
		w("**Authentication:** public.\n\n")
	}
	if len(op.Params) > 0 {
		w("**Parameters**\n\n| name | in | type | required | description |\n| --- | --- | --- | --- | --- |\n")
		for _, p := range op.Params {
			w("| `%s` | %s | %s | %s | %s |\n", p.Name, p.In, cell(p.Type), yesNo(p.Required), cell(p.Description))
		}
		w("\n")
	}
	if op.BodyType != "" {
		w("**Request body** (`%s`): %s\n\n", op.BodyType, cell(op.BodySchema))
		writeFields(b, op.BodyFields)
	}
	if len(op.Responses) > 0 {
		w("**Responses**\n\n| status | content type | schema | description |\n| --- | --- | --- | --- |\n")
		for _, r := range op.Responses {
			w("| %s | %s | %s | %s |\n", r.Status, code(r.ContentType), cell(r.Schema), cell(r.Description))
		}
		w("\n")
	}
	for _, s := range op.Samples {
		w("**%s**\n\n%s%s\n%s\n%s\n\n", s.Label, s.Fence, s.Lang, strings.TrimRight(s.Source, "\n"), s.Fence)
	}
}

func writeFields(b *bytes.Buffer, fields []viewField) {
	if len(fields) == 0 {
		return
	}
	fmt.Fprintf(b, "| field | type | required | description |\n| --- | --- | --- | --- |\n")
	for _, f := range fields {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.Name, cell(f.Type), yesNo(f.Required), cell(f.Description))
	}
	b.WriteString("\n")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	return mdText(s)
}

// mdText keeps outside text from opening HTML or link syntax.
func mdText(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`).Replace(s)
}

// mdProse keeps Markdown formatting of descriptions but not raw HTML.
func mdProse(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(s)
}
