package apidocs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
)

// schemaGen turns Go values into schemas whose named struct types become
// components/schemas entries.
type schemaGen struct {
	gen     *openapi3gen.Generator
	schemas openapi3.Schemas
	names   map[string]reflect.Type
	byType  map[reflect.Type]string
}

var invalidComponentChars = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

func newSchemaGen(schemas openapi3.Schemas) *schemaGen {
	g := &schemaGen{
		schemas: schemas,
		names:   make(map[string]reflect.Type),
		byType:  make(map[reflect.Type]string),
	}
	g.gen = openapi3gen.NewGenerator(
		openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{
			ExportComponentSchemas: true,
			ExportTopLevelSchema:   true,
		}),
		openapi3gen.CreateTypeNameGenerator(g.typeName),
		openapi3gen.SchemaCustomizer(customizeSchema),
	)
	return g
}

// typeName names a component after its Go type, qualifying it with the
// package name when two packages export types of the same name.
func (g *schemaGen) typeName(t reflect.Type) string {
	if n, ok := g.byType[t]; ok {
		return n
	}
	name := invalidComponentChars.ReplaceAllString(t.Name(), "_")
	if prev, ok := g.names[name]; ok && prev != t {
		pkg := t.PkgPath()
		if i := strings.LastIndex(pkg, "/"); i >= 0 {
			pkg = pkg[i+1:]
		}
		name = invalidComponentChars.ReplaceAllString(pkg, "_") + "." + name
	}
	g.names[name] = t
	g.byType[t] = name
	return name
}

// schemaFor returns the schema of v, a Go value or a reflect.Type.
func (g *schemaGen) schemaFor(v any) (*openapi3.SchemaRef, error) {
	t, ok := v.(reflect.Type)
	if !ok {
		t = reflect.TypeOf(v)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Slice, reflect.Map, reflect.Array:
	default:
		if t.Kind() == reflect.Interface || t.Kind() == reflect.Func || t.Kind() == reflect.Chan {
			return nil, fmt.Errorf("%w: cannot describe %s as json", ErrInvalidOperation, t)
		}
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return openapi3.NewSchemaRef("", openapi3.NewSchema()), nil
	}
	ref, err := g.gen.NewSchemaRefForValue(reflect.New(t).Elem().Interface(), g.schemas)
	if err != nil {
		return nil, fmt.Errorf("schema for %s: %w", t, err)
	}
	if ref == nil {
		return nil, fmt.Errorf("%w: no schema for %s", ErrInvalidOperation, t)
	}
	return ref, nil
}

// customizeSchema applies struct tags: `validate:"required"` or
// `openapi:"required"` on a field marks it required in its parent object;
// `doc:"..."`, `enum:"a,b"` and `example:"..."` describe a field.
func customizeSchema(_ string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	if t.Kind() == reflect.Struct && t != reflect.TypeFor[time.Time]() {
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous {
				continue
			}
			name, ok := jsonName(f)
			if !ok {
				continue
			}
			if hasOption(f.Tag.Get("validate"), "required") || hasOption(f.Tag.Get("openapi"), "required") {
				if !slices.Contains(s.Required, name) {
					s.Required = append(s.Required, name)
				}
			}
		}
		return nil
	}
	if d := tag.Get("doc"); d != "" {
		s.Description = d
	}
	if e := tag.Get("enum"); e != "" {
		for _, v := range strings.Split(e, ",") {
			s.Enum = append(s.Enum, parseTagValue(strings.TrimSpace(v), s))
		}
	}
	if ex, ok := tag.Lookup("example"); ok {
		s.Example = parseTagValue(ex, s)
	}
	return nil
}

func parseTagValue(v string, s *openapi3.Schema) any {
	if s.Type != nil && (s.Type.Is("integer") || s.Type.Is("number") || s.Type.Is("boolean")) {
		var out any
		if json.Unmarshal([]byte(v), &out) == nil {
			return out
		}
	}
	return v
}

func jsonName(f reflect.StructField) (string, bool) {
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return "", false
	}
	if name == "" {
		name = f.Name
	}
	return name, true
}

func hasOption(tag, opt string) bool {
	for _, o := range strings.Split(tag, ",") {
		if strings.TrimSpace(o) == opt {
			return true
		}
	}
	return false
}

// exampleFor builds an example value that satisfies the (resolved) schema.
func exampleFor(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example
	}
	if s.Default != nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	for _, alts := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(alts) > 0 {
			return exampleFor(alts[0], depth+1)
		}
	}
	switch {
	case s.Type == nil:
		if len(s.Properties) > 0 {
			return objectExample(s, depth)
		}
		return map[string]any{}
	case s.Type.Is("object"):
		return objectExample(s, depth)
	case s.Type.Is("array"):
		item := exampleFor(s.Items, depth+1)
		if item == nil {
			return []any{}
		}
		return []any{item}
	case s.Type.Is("string"):
		return stringExample(s)
	case s.Type.Is("integer"):
		return int64(numberExample(s))
	case s.Type.Is("number"):
		return numberExample(s)
	case s.Type.Is("boolean"):
		return true
	}
	return nil
}

func objectExample(s *openapi3.Schema, depth int) map[string]any {
	out := make(map[string]any, len(s.Properties))
	for name, p := range s.Properties {
		if p.Value != nil && p.Value.ReadOnly {
			continue
		}
		if v := exampleFor(p, depth+1); v != nil {
			out[name] = v
		}
	}
	return out
}

func stringExample(s *openapi3.Schema) string {
	var v string
	switch s.Format {
	case "date-time":
		v = "2026-01-02T15:04:05Z"
	case "date":
		v = "2026-01-02"
	case "email":
		v = "user@example.com"
	case "uri", "url":
		v = "https://example.com"
	case "uuid":
		v = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "byte":
		v = "aGVsbG8="
	case "duration":
		v = "5m"
	default:
		v = "string"
	}
	for uint64(len(v)) < s.MinLength {
		v += "x"
	}
	if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
		v = v[:*s.MaxLength]
	}
	return v
}

func numberExample(s *openapi3.Schema) float64 {
	v := 1.0
	if s.Min != nil && v < *s.Min {
		v = *s.Min
	}
	if s.Max != nil && v > *s.Max {
		v = *s.Max
	}
	return v
}
