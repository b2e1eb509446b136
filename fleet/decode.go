package fleet

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// decodeStrict decodes n into the struct v points to, key by key, so that
// an unknown key, a duplicate key or a value of the wrong type is one
// *ConfigError naming the key (yaml's own errors name Go types).
func decodeStrict(n *yaml.Node, v any) error {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return decodeValue(n, reflect.ValueOf(v).Elem(), "")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func decodeValue(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind == yaml.AliasNode {
		return &ConfigError{Key: orSection(path), Reason: "YAML aliases are not supported here"}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.SetZero()
		return nil
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			return &ConfigError{Key: orSection(path), Reason: err.Error()}
		}
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if err := decodeValue(n, nv.Elem(), path); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.String, reflect.Bool, reflect.Int:
		if n.Kind != yaml.ScalarNode {
			return &ConfigError{Key: orSection(path), Reason: "want " + kindName(v.Kind())}
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return &ConfigError{Key: orSection(path), Reason: fmt.Sprintf("want %s, got %q", kindName(v.Kind()), n.Value)}
		}
		return nil
	default:
		return &ConfigError{Key: orSection(path), Reason: "unsupported value"}
	}
}

func orSection(path string) string {
	if path == "" {
		return "fleet"
	}
	return path
}

func kindName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	default:
		return "a string"
	}
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return &ConfigError{Key: orSection(path), Reason: "want a mapping of keys"}
	}
	fields := map[string]int{}
	var known []string
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	slices.Sort(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return &ConfigError{Key: orSection(path), Reason: "keys must be strings"}
		}
		key := join(path, k.Value)
		idx, ok := fields[k.Value]
		if !ok {
			if !plainKeyRE.MatchString(k.Value) {
				key = join(path, strconv.Quote(k.Value))
			}
			return &ConfigError{Key: key, Reason: "unknown key (known: " + strings.Join(known, ", ") + ")"}
		}
		if seen[k.Value] {
			return &ConfigError{Key: key, Reason: "given twice"}
		}
		seen[k.Value] = true
		if err := decodeValue(val, v.Field(idx), key); err != nil {
			return err
		}
	}
	return nil
}
