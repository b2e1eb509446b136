package configfile

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Parse reads one YAML document. It returns its root node, or nil for a
// document that is empty (or only comments). A syntax error is one line
// naming the line ("line 3: did not find expected key").
func Parse(data []byte) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, &FieldError{Reason: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &FieldError{Reason: "more than one YAML document"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// maxVisits bounds the nodes one check visits, aliases followed: a
// document of nested aliases ("billion laughs") is refused, not expanded.
const maxVisits = 1 << 20

// Decode checks n against v's type (v is a non-nil pointer) and, when
// every key is known and every value fits, decodes n into v with yaml/v3.
// Problems are FieldErrors with paths relative to n; a nil n leaves v as
// it is.
func Decode(n *yaml.Node, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("configfile: Decode needs a non-nil pointer")
	}
	if n == nil {
		return nil
	}
	c := &checker{}
	c.check(n, rv.Type().Elem(), "")
	if len(c.errs) > 0 {
		return errors.Join(c.errs...)
	}
	if err := n.Decode(v); err != nil {
		if fs := Fields(err); len(fs) > 0 && hasPath(fs) {
			return err // from a type's own UnmarshalYAML
		}
		return &FieldError{Reason: cleanYAMLError(err)}
	}
	return nil
}

func hasPath(fs []*FieldError) bool {
	return slices.ContainsFunc(fs, func(f *FieldError) bool { return f.Path != "" })
}

// cleanYAMLError is the text of a yaml/v3 error without its "yaml: " and
// "unmarshal errors:" framing, on one line.
func cleanYAMLError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:")
	return strings.Join(strings.Fields(s), " ")
}

type checker struct {
	errs   []error
	visits int
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, Errorf(path, format, args...))
}

var (
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	nodeType        = reflect.TypeFor[yaml.Node]()
	durationType    = reflect.TypeFor[time.Duration]()
)

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isMerge is yaml/v3's test for a merge key ("<<").
func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && (n.Tag == "" || n.Tag == "!" || n.ShortTag() == "!!merge")
}

// check records every problem of decoding n into a value of type t.
func (c *checker) check(n *yaml.Node, t reflect.Type, path string) {
	c.visits++
	if c.visits > maxVisits {
		if c.visits == maxVisits+1 {
			c.fail(path, "too many aliases")
		}
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			c.check(n.Content[0], t, path)
		}
		return
	case yaml.AliasNode:
		if n.Alias != nil {
			c.check(n.Alias, t, path)
		}
		return
	}
	if t == nodeType || t.Kind() == reflect.Interface {
		return // anything goes
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := reflect.New(t).Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			c.unmarshalerError(path, err)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if !isNull(n) {
			c.check(n, t.Elem(), path)
		}
	case reflect.Struct:
		if n.Kind == yaml.ScalarNode && !isNull(n) {
			c.scalar(n, t, path) // a struct yaml decodes from a scalar, such as time.Time
			return
		}
		c.mapping(n, path, func(key *yaml.Node, val *yaml.Node, p string) {
			f, ok := structFields(t)[key.Value]
			if !ok {
				c.fail(p, "unknown key (known: %s)", strings.Join(Keys(t), ", "))
				return
			}
			c.check(val, f.Type, p)
		})
	case reflect.Map:
		c.mapping(n, path, func(key *yaml.Node, val *yaml.Node, p string) {
			if err := key.Decode(reflect.New(t.Key()).Interface()); err != nil {
				c.fail(p, "%s", reason(t.Key()))
				return
			}
			c.check(val, t.Elem(), p)
		})
	case reflect.Slice, reflect.Array:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			if t.Elem().Kind() == reflect.Uint8 && n.Kind == yaml.ScalarNode {
				c.scalar(n, t, path) // []byte from !!binary or a string
				return
			}
			c.fail(path, "must be a list")
			return
		}
		for i, item := range n.Content {
			c.check(item, t.Elem(), Index(path, i))
		}
	default:
		c.scalar(n, t, path)
	}
}

// mapping checks that n is a mapping (or null) and hands each key and
// value to each, merge keys resolved; a key given twice is a problem.
func (c *checker) mapping(n *yaml.Node, path string, each func(key, val *yaml.Node, p string)) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		c.fail(path, "must be a mapping")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if isMerge(key) {
			c.merge(val, path, each)
			continue
		}
		if key.Kind != yaml.ScalarNode {
			c.fail(path, "keys must be plain names")
			continue
		}
		p := Join(path, key.Value)
		if line, dup := seen[key.Value]; dup {
			c.fail(p, "given twice (lines %d and %d)", line, key.Line)
			continue
		}
		seen[key.Value] = key.Line
		each(key, val, p)
	}
}

// merge checks the value of a merge key: a mapping, or a list of them.
func (c *checker) merge(val *yaml.Node, path string, each func(key, val *yaml.Node, p string)) {
	for val.Kind == yaml.AliasNode && val.Alias != nil {
		val = val.Alias
	}
	switch val.Kind {
	case yaml.MappingNode:
		c.mapping(val, path, each)
	case yaml.SequenceNode:
		for _, m := range val.Content {
			for m.Kind == yaml.AliasNode && m.Alias != nil {
				m = m.Alias
			}
			if m.Kind != yaml.MappingNode {
				c.fail(Join(path, "<<"), "must be a mapping or a list of mappings")
				continue
			}
			c.mapping(m, path, each)
		}
	default:
		c.fail(Join(path, "<<"), "must be a mapping or a list of mappings")
	}
}

// scalar checks that n decodes into a t, as yaml/v3 decodes it.
func (c *checker) scalar(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.ScalarNode {
		c.fail(path, "%s", reason(t))
		return
	}
	if err := n.Decode(reflect.New(t).Interface()); err != nil {
		c.fail(path, "%s", reason(t))
	}
}

// unmarshalerError places the error of a type's own UnmarshalYAML at path.
func (c *checker) unmarshalerError(path string, err error) {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		c.fail(path, "invalid value")
		return
	}
	c.errs = append(c.errs, Under(path, err))
}

// reason says what a value of type t must look like, in the user's words.
func reason(t reflect.Type) string {
	if t == durationType {
		return "must be a duration such as 30s or 5m"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "must be an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "must be a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "must be a number"
	case reflect.String:
		return "must be a string"
	case reflect.Struct, reflect.Map:
		return "must be a mapping"
	case reflect.Slice, reflect.Array:
		return "must be a list"
	}
	return "invalid value"
}

// field is one key of a struct as yaml/v3 names it.
type field struct {
	Type reflect.Type
}

// structFields maps yaml/v3's key names of t (the yaml tag's name, else the
// lowercased field name; "-" and unexported fields left out) to fields.
func structFields(t reflect.Type) map[string]field {
	out := map[string]field{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range structFields(ft) {
				out[k] = v
			}
			continue
		}
		if f.PkgPath != "" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = field{Type: f.Type}
	}
	return out
}

// Keys lists the keys a mapping decoded into the struct type t may have,
// sorted.
func Keys(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for k := range structFields(t) {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}
