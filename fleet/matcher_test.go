package fleet_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/fleet"
)

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  string
	}{
		{name: "braces are optional", in: `job="vigil"`, want: []string{`job="vigil"`}},
		{name: "every operator", in: `{a="1", b!="2", c=~"3|4", d!~"5.*"}`, want: []string{`a="1"`, `b!="2"`, `c=~"3|4"`, `d!~"5.*"`}},
		{name: "spaces around operators and commas", in: ` { a = "1" ,b=~ "x" } `, want: []string{`a="1"`, `b=~"x"`}},
		{name: "escapes are read as Go reads them and written back", in: `{a="q\"uote\\"}`, want: []string{`a="q\"uote\\"`}},
		{name: "backquoted values", in: "{a=`x\\y`}", want: []string{`a="x\\y"`}},
		{name: "an empty selector has no matchers", in: `{}`, want: []string{}},
		{name: "an unquoted value is refused", in: `{a=b}`, wantErr: `label a: want a quoted value such as "vigil"`},
		{name: "a missing brace is refused", in: `{a="b"`, wantErr: "selector: missing closing }"},
		{name: "a missing comma is refused", in: `{a="b" c="d"}`, wantErr: `after a="b": want , between matchers`},
		{name: "an unterminated value is refused", in: `{a="b}`, wantErr: "label a: unterminated quoted value"},
		{name: "a name starting with a digit is refused", in: `{1a="b"}`, wantErr: `"1a=\"b\"": want a matcher such as job="vigil"`},
		{name: "a missing operator is refused", in: `{a}`, wantErr: "label a: want =, !=, =~ or !~ after the name"},
		{name: "single quotes are refused", in: `{a='b'}`, wantErr: `label a: want a quoted value such as "vigil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ms, err := fleet.ParseMatchers(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ms.Strings())
			again, err := fleet.ParseMatchers(ms.String())
			require.NoError(t, err, "the rendering parses")
			assert.Equal(t, ms, again, "rendering and parsing round-trip")
		})
	}
}
