package reporting_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vigilhq/vigil/reporting"
)

func TestParseInt(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want int
		ok   bool
	}{
		{"empty gives the default", "", 5, true},
		{"the lower bound is accepted", "1", 1, true},
		{"the upper bound is accepted", "1440", 1440, true},
		{"zero is refused", "0", 0, false},
		{"past the upper bound is refused", "1441", 0, false},
		{"a negative number is refused", "-3", 0, false},
		{"a plus sign is refused", "+3", 0, false},
		{"a fraction is refused", "1.5", 0, false},
		{"a word is refused", "ten", 0, false},
		{"an overflowing number is refused", "99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := reporting.ParseInt("minutes", tt.raw, 5, 1, 1440)
			if !tt.ok {
				require.ErrorIs(t, err, reporting.ErrInvalidParam)
				var pe *reporting.ParamError
				require.True(t, errors.As(err, &pe))
				assert.Equal(t, "minutes", pe.Name)
				assert.Contains(t, err.Error(), `"minutes"`)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseEnums(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) (string, error)
		raw   string
		want  string
		param string
	}{
		{"format defaults to json", reporting.ParseFormat, "", "json", ""},
		{"format md is markdown", reporting.ParseFormat, "md", "markdown", ""},
		{"format CSV ignores case", reporting.ParseFormat, "CSV", "csv", ""},
		{"format xml is refused", reporting.ParseFormat, "xml", "", "format"},
		{"kind error", reporting.ParseKind, "error", "error", ""},
		{"kind empty means both", reporting.ParseKind, "", "", ""},
		{"kind fast is refused", reporting.ParseKind, "fast", "", "kind"},
		{"route template", reporting.ParseRoute, "/api/users/:id", "/api/users/:id", ""},
		{"route without slash is refused", reporting.ParseRoute, "api", "", "route"},
		{"route with a space is refused", reporting.ParseRoute, "/a b", "", "route"},
		{"client name", reporting.ParseClient, "alice", "alice", ""},
		{"client with a newline is refused", reporting.ParseClient, "a\nb", "", "client"},
		{"an overlong client is refused", reporting.ParseClient, strings.Repeat("a", 129), "", "client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.raw)
			if tt.param != "" {
				var pe *reporting.ParamError
				require.True(t, errors.As(err, &pe), "%v", err)
				assert.Equal(t, tt.param, pe.Name)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseSLOs(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{"an empty section has no SLOs", "", ""},
		{"a full SLO", "- {name: a, route: /x, objective: 0.99, window: 7d, latency_threshold: 250ms}", ""},
		{"a missing name", "- {route: /x, objective: 0.99}", "name"},
		{"a route without slash", "- {name: a, route: x, objective: 0.99}", "route"},
		{"an objective of 1", "- {name: a, route: /x, objective: 1}", "objective"},
		{"an objective of 0", "- {name: a, route: /x, objective: 0}", "objective"},
		{"a window under an hour", "- {name: a, route: /x, objective: 0.9, window: 5m}", "window"},
		{"a window past the retention", "- {name: a, route: /x, objective: 0.9, window: 60d}", "retention"},
		{"a negative threshold", "- {name: a, route: /x, objective: 0.9, latency_threshold: -1s}", "not a valid duration"},
		{"a duplicate name", "- {name: a, route: /x, objective: 0.9}\n- {name: a, route: /y, objective: 0.9}", "duplicate"},
		{"an unknown key", "- {name: a, route: /x, objective: 0.9, budget: 3}", "budget"},
		{"a mapping instead of a list", "name: a", "slos: must be a list"},
		{"a route family", "- {name: a, family: api, objective: 0.999}", ""},
		{"an unknown family", "- {name: a, family: web, objective: 0.999}", "family: must be api or management"},
		{"a route and a family", "- {name: a, route: /x, family: api, objective: 0.999}", "route: give route or family, not both"},
		{"neither route nor family", "- {name: a, objective: 0.999}", "route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reporting.ParseSLOs([]byte(tt.yaml), 30*24*time.Hour)
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, reporting.ErrInvalidConfig)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"", "1", "1440", "0", "-1", "+5", "1e3", "0x10", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := reporting.ParseInt("minutes", raw, 5, 1, 1440)
		if err != nil {
			if !errors.Is(err, reporting.ErrInvalidParam) {
				t.Fatalf("error %v is not ErrInvalidParam", err)
			}
			return
		}
		if v < 1 || v > 1440 {
			t.Fatalf("%q gave %d outside [1, 1440]", raw, v)
		}
		if raw != "" && strconv.Itoa(v) != strings.TrimLeft(raw, "0") && raw != strconv.Itoa(v) {
			t.Fatalf("%q parsed as %d", raw, v)
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "json", "csv", "md", "error", "slow", "/api/users/:id", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if v, err := reporting.ParseFormat(raw); err == nil && v != "json" && v != "csv" && v != "markdown" {
			t.Fatalf("format %q gave %q", raw, v)
		}
		if v, err := reporting.ParseKind(raw); err == nil && v != raw {
			t.Fatalf("kind %q gave %q", raw, v)
		}
		if v, err := reporting.ParseRoute(raw); err == nil && v != "" && (v[0] != '/' || len(v) > 256) {
			t.Fatalf("route %q accepted", raw)
		}
		if v, err := reporting.ParseClient(raw); err == nil && (len(v) > 128 || strings.ContainsAny(v, "\r\n\x00")) {
			t.Fatalf("client %q accepted", raw)
		}
	})
}

func FuzzParseSLOs(f *testing.F) {
	f.Add("- {name: a, route: /x, objective: 0.99, window: 7d, latency_threshold: 250ms}")
	f.Add("[]")
	f.Add("- {name: a, route: /x, objective: 1e-300}")
	f.Add("- {name: a, family: management, objective: 0.99}")
	f.Fuzz(func(t *testing.T, doc string) {
		slos, err := reporting.ParseSLOs([]byte(doc), 30*24*time.Hour)
		if err != nil {
			return
		}
		for _, s := range slos {
			if !(s.Objective > 0 && s.Objective < 1) || s.Window.D() < time.Hour || s.Window.D() > 30*24*time.Hour ||
				(s.Family == "" && (s.Route == "" || s.Route[0] != '/')) || (s.Family != "" && s.Route != "") {
				t.Fatalf("accepted invalid SLO %+v", s)
			}
		}
	})
}
