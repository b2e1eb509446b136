package configfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/configfile"
)

type limit struct {
	Route    string        `yaml:"route"`
	Requests int           `yaml:"requests"`
	Per      time.Duration `yaml:"per"`
	Strict   bool          `yaml:"strict,omitempty"`
}

type section struct {
	Name    string             `yaml:"name"`
	Ratio   float64            `yaml:"ratio"`
	Limits  []limit            `yaml:"limits"`
	Labels  map[string]string  `yaml:"labels"`
	Weights map[string]float64 `yaml:"weights"`
	Extra   *limit             `yaml:"extra"`
	Since   time.Time          `yaml:"since"`
	Free    any                `yaml:"free"`
	Hidden  string             `yaml:"-"`
	Size    uint16             `yaml:"size"`
	Plain   string
}

type file struct {
	Section section `yaml:"section"`
	Custom  custom  `yaml:"custom"`
}

// custom decodes its own node, as a package's section type does.
type custom struct{ Value int }

func (c *custom) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Value int `yaml:"value"`
	}
	if err := configfile.Decode(n, &raw); err != nil {
		return err
	}
	if raw.Value < 0 {
		return configfile.Errorf("value", "must be >= 0")
	}
	c.Value = raw.Value
	return nil
}

func decode(t *testing.T, src string) (file, error) {
	t.Helper()
	n, err := configfile.Parse([]byte(src))
	if err != nil {
		return file{}, err
	}
	var f file
	return f, configfile.Decode(n, &f)
}

func TestDecodeNamesTheKey(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"an unknown key lists the known ones", "section: {nmea: x}",
			"section.nmea: unknown key (known: extra, free, labels, limits, name, plain, ratio, since, size, weights)"},
		{"an unknown top-level key", "sectoin: {}", "sectoin: unknown key (known: custom, section)"},
		{"a string where an integer belongs", "section: {limits: [{route: /a, requests: many}]}", "section.limits[0].requests: must be an integer"},
		{"a word where a duration belongs", "section: {limits: [{route: /a, per: soon}]}", "section.limits[0].per: must be a duration such as 30s or 5m"},
		{"a word where a boolean belongs", "section: {limits: [{strict: maybe}]}", "section.limits[0].strict: must be true or false"},
		{"a word where a number belongs", "section: {ratio: half}", "section.ratio: must be a number"},
		{"a negative size", "section: {size: -1}", "section.size: must be a non-negative integer"},
		{"a mapping where a string belongs", "section: {name: {a: b}}", "section.name: must be a string"},
		{"a scalar where a list belongs", "section: {limits: 3}", "section.limits: must be a list"},
		{"a list where a mapping belongs", "section: [a]", "section: must be a mapping"},
		{"a list where a map belongs", "section: {labels: [a]}", "section.labels: must be a mapping"},
		{"a list as a map's value", "section: {weights: {a: [1]}}", "section.weights.a: must be a number"},
		{"a bad time", "section: {since: yesterday}", "section.since: must be a mapping"},
		{"a key given twice", "section:\n  name: a\n  name: b\n", "section.name: given twice (lines 2 and 3)"},
		{"a pointer's fields", "section: {extra: {route: 1, requests: x}}", "section.extra.requests: must be an integer"},
		{"a type's own errors land under its key", "custom: {value: -1}", "custom.value: must be >= 0"},
		{"a type's own strict decoding", "custom: {valeu: 1}", "custom.valeu: unknown key (known: value)"},
		{"a document that is a list", "- a\n- b\n", "must be a mapping"},
		{"a syntax error names its line", "section:\n  name: a\n  ratio\n", "line 3: could not find expected ':'"},
		{"two documents", "section: {}\n---\nsection: {}\n", "more than one YAML document"},
		{"a merge of a scalar", "section:\n  <<: 3\n", "section.<<: must be a mapping or a list of mappings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.yaml)
			require.Error(t, err)
			assert.Equal(t, tt.want, configfile.Message(err))
			for _, f := range configfile.Fields(err) {
				assert.NotContains(t, f.Error(), "!!", "no YAML tags")
				assert.NotContains(t, f.Error(), "unmarshal", "no library framing")
			}
		})
	}
}

func TestDecodeReportsEveryProblem(t *testing.T) {
	_, err := decode(t, "section: {ratio: x, limits: [{requests: y}, {per: z}]}\ncustom: {value: -2}\n")
	require.Error(t, err)
	assert.Equal(t, "section.ratio: must be a number; section.limits[0].requests: must be an integer; "+
		"section.limits[1].per: must be a duration such as 30s or 5m; custom.value: must be >= 0", configfile.Message(err))
}

func TestDecodeIsYAMLsDecodingWhenValid(t *testing.T) {
	src := `
defaults: &d {route: /a, requests: 3, per: 1m}
section:
  name: api
  ratio: 0.5
  limits:
    - *d
    - <<: *d
      requests: 7
  labels: {team: web}
  extra: ~
  since: 2026-01-02T03:04:05Z
  free: {anything: [1, 2]}
  plain: p
custom: {value: 4}
`
	// yaml/v3 decodes the same bytes into the same value (its strict mode
	// refuses the anchors' holder, so compare below it).
	n, err := configfile.Parse([]byte(src))
	require.NoError(t, err)
	var got struct {
		Defaults limit   `yaml:"defaults"`
		Section  section `yaml:"section"`
		Custom   custom  `yaml:"custom"`
	}
	require.NoError(t, configfile.Decode(n, &got))
	want := got
	want.Section = section{}
	require.NoError(t, yaml.Unmarshal([]byte(src), &want))
	assert.Equal(t, want, got)
	assert.Equal(t, 7, got.Section.Limits[1].Requests)
	assert.Equal(t, "/a", got.Section.Limits[1].Route, "merged from the anchor")
	assert.Equal(t, 4, got.Custom.Value)
}

func TestDecodeKeepsWhatTheNodeDoesNotSet(t *testing.T) {
	n, err := configfile.Parse([]byte("name: b\n"))
	require.NoError(t, err)
	s := section{Name: "a", Ratio: 0.3}
	require.NoError(t, configfile.Decode(n, &s))
	assert.Equal(t, section{Name: "b", Ratio: 0.3}, s)
	require.NoError(t, configfile.Decode(nil, &s), "no node: nothing to decode")
	assert.Error(t, configfile.Decode(n, s), "not a pointer")
}

func TestDecodeRefusesAliasBombs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("section: {free: *a8, limits: *a8}\n")
	_, err := decode(t, b.String())
	require.Error(t, err)
}

func TestErrorsRender(t *testing.T) {
	sentinel := errors.New("invalid configuration")
	err := configfile.Invalid(sentinel,
		configfile.Under("auth", errors.Join(configfile.Errorf("keys[0].role", "unknown role %q", "boss"), nil)),
		configfile.Under("slos", configfile.Errorf("[1].name", "required")),
		configfile.Under("links", errors.New("plain text\nover two lines")),
		nil)
	require.ErrorIs(t, err, sentinel)
	assert.Equal(t, `auth.keys[0].role: unknown role "boss"; slos[1].name: required; links: plain text over two lines`, configfile.Message(err))
	assert.Equal(t, "invalid configuration: "+configfile.Message(err), err.Error(), "the sentinel once, then the problems")
	assert.NoError(t, configfile.Invalid(sentinel, nil, nil))
	assert.NoError(t, configfile.Under("x", nil))

	wrapped := fmt.Errorf("context: %w", configfile.Errorf("a", "b"))
	assert.Equal(t, []*configfile.FieldError{{Reason: "context: a: b"}}, configfile.Fields(wrapped), "a wrapper's text is kept whole")
	two := fmt.Errorf("%w: %w", sentinel, configfile.Errorf("a", "b"))
	assert.Equal(t, "invalid configuration: a: b", configfile.Message(two), "a list that says more than its parts is one problem")
}

// FuzzDecode checks Decode against yaml/v3's strict decoding: what Decode
// accepts, yaml/v3 accepts too and decodes to the same value; what yaml/v3
// refuses, Decode refuses, and every problem is one clean line.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"section: {name: a, ratio: 0.5, limits: [{route: /a, requests: 3, per: 1m}]}",
		"section: {labels: {a: b}, weights: {x: 1.5}, extra: {route: /b}, since: 2026-01-01T00:00:00Z}",
		"section: {nmea: x}", "section: {limits: 3}", "section: [a]", "- a", "section:\n  name: a\n  name: b\n",
		"section: {size: -1}", "d: &d {route: /a}\nsection: {limits: [*d, {<<: *d, per: 1s}]}",
		"section: {free: {a: [1]}, plain: x, extra: ~}", "custom: {value: -1}", "section: {since: x}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, perr := configfile.Parse(data)
		var got file
		var err error
		if perr == nil {
			err = configfile.Decode(n, &got)
		} else {
			err = perr
		}
		var want file
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		yerr := dec.Decode(&want)
		if errors.Is(yerr, io.EOF) || len(bytes.TrimSpace(data)) == 0 {
			yerr = nil // an empty file (blanks only) is an empty configuration
		}
		if err != nil {
			msg := configfile.Message(err)
			if strings.Contains(msg, "\n") || msg == "" {
				t.Fatalf("problem not on one clean line: %q", msg)
			}
			return
		}
		if yerr != nil {
			t.Fatalf("Decode accepted what yaml/v3 refuses (%v): %q", yerr, data)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode gave %+v, yaml/v3 %+v", got, want)
		}
	})
}
