package apidocs

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The view model shared by the Markdown and HTML renderers: the document
// flattened into deterministic, already-ordered sections.

type viewDoc struct {
	Title, Version, Description, BaseURL string
	Sections                             []viewSection
	Schemas                              []viewSchema
	Problem                              viewSchema
}

type viewSection struct {
	Tag, Description, Anchor string
	Ops                      []viewOp
}

type viewOp struct {
	Anchor, Method, Path, Summary, Description string
	Roles                                      []string
	Deprecated                                 bool
	Params                                     []viewParam
	BodyType, BodySchema                       string
	BodyFields                                 []viewField
	Responses                                  []viewResponse
	Samples                                    []viewSample
}

type viewParam struct {
	Name, In, Type, Description string
	Required                    bool
}

type viewField struct {
	Name, Type, Description string
	Required                bool
}

type viewResponse struct{ Status, ContentType, Schema, Description string }

type viewSample struct{ Lang, Label, Fence, Source string }

type viewSchema struct {
	Name, Anchor, Description string
	Fields                    []viewField
}

func newViewDoc(doc *openapi3.T) (*viewDoc, error) {
	if doc == nil || doc.Info == nil {
		return nil, fmt.Errorf("%w: missing info", ErrInvalidDocument)
	}
	docPaths := doc.Paths
	if docPaths == nil {
		docPaths = openapi3.NewPaths()
	}
	v := &viewDoc{
		Title:       doc.Info.Title,
		Version:     doc.Info.Version,
		Description: doc.Info.Description,
		BaseURL:     sampleBase(doc),
	}
	sections := map[string]*viewSection{}
	var order []string
	for _, t := range doc.Tags {
		if t == nil {
			continue
		}
		sections[t.Name] = &viewSection{Tag: t.Name, Description: t.Description, Anchor: "tag-" + slug(t.Name)}
		order = append(order, t.Name)
	}
	var extra []string
	paths := docPaths.InMatchingOrder()
	sort.Strings(paths)
	for _, p := range paths {
		item := docPaths.Value(p)
		methods := make([]string, 0, 8)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool { return methodRank(methods[i]) < methodRank(methods[j]) })
		for _, m := range methods {
			o := item.GetOperation(m)
			tag := untaggedTag
			if len(o.Tags) > 0 {
				tag = o.Tags[0]
			}
			s, ok := sections[tag]
			if !ok {
				s = &viewSection{Tag: tag, Anchor: "tag-" + slug(tag)}
				sections[tag] = s
				extra = append(extra, tag)
			}
			s.Ops = append(s.Ops, newViewOp(m, p, o))
		}
	}
	sort.Strings(extra)
	for _, name := range append(order, extra...) {
		if s := sections[name]; len(s.Ops) > 0 {
			v.Sections = append(v.Sections, *s)
		}
	}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.Schemas) {
			s := newViewSchema(name, doc.Components.Schemas[name])
			if name == ProblemSchema {
				v.Problem = s
				continue
			}
			v.Schemas = append(v.Schemas, s)
		}
	}
	return v, nil
}

func newViewOp(method, path string, o *openapi3.Operation) viewOp {
	op := viewOp{
		Method:      method,
		Path:        path,
		Summary:     o.Summary,
		Description: o.Description,
		Deprecated:  o.Deprecated,
		Anchor:      "op-" + slug(o.OperationID),
	}
	if op.Summary == "" {
		op.Summary = method + " " + path
	}
	if o.OperationID == "" {
		op.Anchor = "op-" + slug(method+"-"+path)
	}
	if roles, ok := o.Extensions["x-roles"].([]any); ok {
		for _, r := range roles {
			op.Roles = append(op.Roles, fmt.Sprint(r))
		}
	} else if roles, ok := o.Extensions["x-roles"].([]string); ok {
		op.Roles = roles
	}
	for _, pr := range o.Parameters {
		if p := pr.Value; p != nil {
			op.Params = append(op.Params, viewParam{Name: p.Name, In: p.In, Type: typeString(p.Schema), Description: p.Description, Required: p.Required})
		}
	}
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		if cts := sortedKeys(o.RequestBody.Value.Content); len(cts) > 0 {
			mt := o.RequestBody.Value.Content[cts[0]]
			op.BodyType = cts[0]
			op.BodySchema = typeString(mt.Schema)
			op.BodyFields = fields(mt.Schema)
		}
	}
	if o.Responses != nil {
		codes := sortedKeys(o.Responses.Map())
		for _, code := range codes {
			rr := o.Responses.Value(code)
			if rr == nil || rr.Value == nil {
				continue
			}
			resp := viewResponse{Status: code}
			if rr.Value.Description != nil {
				resp.Description = *rr.Value.Description
			}
			if cts := sortedKeys(rr.Value.Content); len(cts) > 0 {
				resp.ContentType = cts[0]
				resp.Schema = typeString(rr.Value.Content[cts[0]].Schema)
			}
			op.Responses = append(op.Responses, resp)
		}
	}
	for _, s := range Samples(o) {
		op.Samples = append(op.Samples, viewSample{Lang: fenceLang(s.Lang), Label: s.Label, Fence: fence(s.Source), Source: s.Source})
	}
	return op
}

func newViewSchema(name string, ref *openapi3.SchemaRef) viewSchema {
	s := viewSchema{Name: name, Anchor: "schema-" + slug(name)}
	if ref != nil && ref.Value != nil {
		s.Description = ref.Value.Description
	}
	s.Fields = fields(ref)
	return s
}

func fields(ref *openapi3.SchemaRef) []viewField {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if s.Type != nil && s.Type.Is("array") {
		return nil
	}
	var out []viewField
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		f := viewField{Name: name, Type: typeString(p)}
		if p.Value != nil {
			f.Description = p.Value.Description
		}
		for _, r := range s.Required {
			if r == name {
				f.Required = true
			}
		}
		out = append(out, f)
	}
	return out
}

// typeString summarises a schema: a component name, "array of X",
// "string (date-time)", "string: a | b".
func typeString(ref *openapi3.SchemaRef) string { return typeStringDepth(ref, 0) }

func typeStringDepth(ref *openapi3.SchemaRef, depth int) string {
	if depth > 8 {
		return "..."
	}
	if ref == nil {
		return ""
	}
	if ref.Ref != "" {
		return strings.TrimPrefix(ref.Ref, "#/components/schemas/")
	}
	s := ref.Value
	if s == nil {
		return ""
	}
	if s.Type == nil {
		return "any"
	}
	t := strings.Join(*s.Type, "|")
	switch {
	case s.Type.Is("array"):
		return "array of " + typeStringDepth(s.Items, depth+1)
	case s.Type.Is("object") && s.AdditionalProperties.Schema != nil && len(s.Properties) == 0:
		return "map of " + typeStringDepth(s.AdditionalProperties.Schema, depth+1)
	}
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	if len(s.Enum) > 0 {
		vals := make([]string, 0, len(s.Enum))
		for _, e := range s.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		t += ": " + strings.Join(vals, " | ")
	}
	var bounds []string
	if s.Min != nil {
		bounds = append(bounds, "min "+strconv.FormatFloat(*s.Min, 'f', -1, 64))
	}
	if s.Max != nil {
		bounds = append(bounds, "max "+strconv.FormatFloat(*s.Max, 'f', -1, 64))
	}
	if s.Default != nil {
		bounds = append(bounds, "default "+fmt.Sprint(s.Default))
	}
	if len(bounds) > 0 {
		t += " (" + strings.Join(bounds, ", ") + ")"
	}
	return t
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

func fenceLang(lang string) string {
	switch lang {
	case "curl":
		return "sh"
	case "Python":
		return "python"
	case "JavaScript":
		return "javascript"
	case "Go":
		return "go"
	}
	return strings.ToLower(lang)
}

// fence returns a backtick fence longer than any backtick run in src.
func fence(src string) string {
	longest, run := 0, 0
	for _, r := range src {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return strings.Repeat("`", max(3, longest+1))
}
