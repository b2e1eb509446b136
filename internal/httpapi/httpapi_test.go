package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/httpapi"
)

type action struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
	Count   int    `json:"count"`
}

func context(method, body, ctype string, limit int64) (echo.Context, *httptest.ResponseRecorder) {
	req := httptest.NewRequest(method, "/", strings.NewReader(body))
	if ctype != "" {
		req.Header.Set(echo.HeaderContentType, ctype)
	}
	rec := httptest.NewRecorder()
	if limit > 0 {
		req.Body = http.MaxBytesReader(rec, req.Body, limit)
	}
	return echo.New().NewContext(req, rec), rec
}

func problem(t *testing.T, err error) (int, string) {
	t.Helper()
	he, ok := errors.AsType[*echo.HTTPError](err)
	require.True(t, ok, "an HTTP problem: %v", err)
	return he.Code, he.Message.(string)
}

func TestDecodeJSONNamesWhatIsWrong(t *testing.T) {
	tests := []struct {
		name, body, ctype string
		limit             int64
		code              int
		detail            string
	}{
		{"a field of the wrong type is named", `{"by":5}`, "application/json", 0, 400, `request body: field "by" must be string`},
		{"an unknown field is named", `{"by":"a","bye":1}`, "application/json", 0, 400, `request body: unknown field "bye"`},
		{"malformed JSON gives the offset", `{"by":}`, "application/json", 0, 400, "request body: malformed JSON at offset 7"},
		{"a cut-off body", `{"by":"a"`, "application/json", 0, 400, "request body: malformed JSON (unexpected end)"},
		{"an empty body", ``, "application/json", 0, 400, "request body: empty, expected a JSON object"},
		{"a list is not an object", `[]`, "application/json", 0, 400, "request body: must be a JSON object, not array"},
		{"two objects", `{"by":"a"}{"by":"b"}`, "application/json", 0, 400, "request body: must hold a single JSON object"},
		{"a stray brace after the object", `{"by":"a"}}`, "application/json", 0, 400, "request body: must hold a single JSON object"},
		{"another media type", `by=a`, "application/x-www-form-urlencoded", 0, 415, "content type must be application/json"},
		{"past the server's limit", `{"by":"` + strings.Repeat("x", 100) + `"}`, "application/json", 32, 413, "request body exceeds 32 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := context(http.MethodPost, tt.body, tt.ctype, tt.limit)
			var a action
			code, detail := problem(t, httpapi.DecodeJSON(c, &a))
			assert.Equal(t, tt.code, code)
			assert.Equal(t, tt.detail, detail)
		})
	}
	t.Run("one object decodes, with or without a content type", func(t *testing.T) {
		for _, ct := range []string{"application/json; charset=utf-8", ""} {
			c, _ := context(http.MethodPost, `{"by":"ana","count":2}`, ct, 0)
			var a action
			require.NoError(t, httpapi.DecodeJSON(c, &a))
			assert.Equal(t, action{By: "ana", Count: 2}, a)
		}
	})
	t.Run("an empty body can be told apart", func(t *testing.T) {
		c, _ := context(http.MethodPost, "", "application/json", 0)
		assert.ErrorIs(t, httpapi.DecodeJSON(c, &action{}), httpapi.ErrEmptyBody)
		c, _ = context(http.MethodPost, "{", "application/json", 0)
		assert.NotErrorIs(t, httpapi.DecodeJSON(c, &action{}), httpapi.ErrEmptyBody)
	})
}

func TestReadBodyAndMediaType(t *testing.T) {
	c, _ := context(http.MethodPost, "0123456789", "text/plain", 0)
	b, err := httpapi.ReadBody(c, 10)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(b))

	c, _ = context(http.MethodPost, "0123456789x", "text/plain", 0)
	_, err = httpapi.ReadBody(c, 10)
	code, detail := problem(t, err)
	assert.Equal(t, 413, code)
	assert.Equal(t, "request body exceeds 10 bytes", detail)

	c, _ = context(http.MethodPost, strings.Repeat("x", 50), "text/plain", 20)
	_, err = httpapi.ReadBody(c, 100)
	code, detail = problem(t, err)
	assert.Equal(t, 413, code, "the server's limit comes first")
	assert.Equal(t, "request body exceeds 20 bytes", detail)

	c, _ = context(http.MethodPost, "", "application/json; charset=utf-8", 0)
	assert.NoError(t, httpapi.RequireMediaType(c.Request(), "application/json"))
	for _, ct := range []string{"", "text/json", "application/jsonx", ";;"} {
		c, _ = context(http.MethodPost, "", ct, 0)
		code, detail := problem(t, httpapi.RequireMediaType(c.Request(), "application/json"))
		assert.Equal(t, 415, code, ct)
		assert.Equal(t, "content type must be application/json", detail)
	}
}

func TestQueryParameters(t *testing.T) {
	ints := []struct {
		name, raw string
		want      int
		err       string
	}{
		{"absent gives the default", "", 5, ""},
		{"a value in range", "1440", 1440, ""},
		{"the low bound", "1", 1, ""},
		{"below the range", "0", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
		{"above the range", "1441", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
		{"a sign", "+5", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
		{"a float", "1e3", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
		{"a huge number", "99999999999999999999", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
		{"a word", "ten", 0, `query parameter "minutes": must be an integer from 1 to 1440`},
	}
	for _, tt := range ints {
		t.Run("int: "+tt.name, func(t *testing.T) {
			v, err := httpapi.Int("minutes", tt.raw, 5, 1, 1440)
			if tt.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, httpapi.ErrInvalidParam)
				assert.Equal(t, tt.err, err.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, v)
		})
	}
	v, err := httpapi.OneOf("format", "", "json", "json", "csv")
	require.NoError(t, err)
	assert.Equal(t, "json", v, "absent gives the default")
	_, err = httpapi.OneOf("state", "exploded", "", "pending", "firing", "resolved")
	assert.EqualError(t, err, `query parameter "state": must be pending, firing or resolved`)
	list, err := httpapi.Strings("state", "active, expired,active", "active", "pending", "expired")
	require.NoError(t, err)
	assert.Equal(t, []string{"active", "expired"}, list, "trimmed, duplicates dropped, order kept")
	_, err = httpapi.Strings("state", "active,firing", "active", "pending", "expired")
	assert.EqualError(t, err, `query parameter "state": must be a comma-separated list of active, pending and expired`)
	none, err := httpapi.Strings("state", "", "active")
	require.NoError(t, err)
	assert.Nil(t, none)

	code, detail := problem(t, httpapi.ParamProblem(errors.Join(errors.New("context"), &httpapi.ParamError{Name: "limit", Reason: "must be positive"})))
	assert.Equal(t, 400, code)
	assert.Equal(t, `query parameter "limit": must be positive`, detail)
	other := errors.New("store down")
	assert.Equal(t, other, httpapi.ParamProblem(other), "other errors pass through")
}

func TestHealth(t *testing.T) {
	h := httpapi.HealthResponse{Status: httpapi.StatusPass}
	assert.Equal(t, http.StatusOK, h.Code())
	h.Add("store:responseTime", httpapi.HealthComponent{Status: httpapi.StatusWarn})
	assert.Equal(t, httpapi.StatusWarn, h.Status)
	assert.Equal(t, http.StatusOK, h.Code(), "warn is still healthy")
	h.Add("store:responseTime", httpapi.HealthComponent{Status: httpapi.StatusFail})
	h.Add("limiter", httpapi.HealthComponent{Status: httpapi.StatusPass})
	assert.Equal(t, httpapi.StatusFail, h.Status, "the worst check wins")
	assert.Equal(t, http.StatusServiceUnavailable, h.Code())
	assert.Len(t, h.Checks["store:responseTime"], 2)

	c, rec := context(http.MethodGet, "", "", 0)
	require.NoError(t, httpapi.WriteHealth(c, h.Code(), httpapi.HealthResponse{Status: httpapi.StatusPass, Description: "a <b> & c",
		Checks: map[string][]httpapi.HealthComponent{"x": {{Status: httpapi.StatusPass, Time: time.Unix(0, 0).UTC()}}}}))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, httpapi.ContentTypeHealth, rec.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	assert.Equal(t, `{"status":"pass","description":"a <b> & c","checks":{"x":[{"status":"pass","time":"1970-01-01T00:00:00Z"}]}}`+"\n", rec.Body.String())
}

func TestStatusClassesAndNegotiation(t *testing.T) {
	for status, want := range map[int]bool{499: false, 500: true, 503: true, 599: true, 600: false, 200: false} {
		assert.Equal(t, want, httpapi.IsServerError(status), status)
	}
	assert.Equal(t, "5..", httpapi.ServerErrorPattern)
	for accept, want := range map[string]bool{"application/json": true, "application/problem+json": true,
		"text/html,application/json": false, "": false, "*/*": false} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		assert.Equal(t, want, httpapi.PrefersJSON(r), accept)
	}
}

// FuzzUnmarshalJSON: a body either decodes into one object or its error
// is one line naming the request body.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`{"by":"a"}`, `{"by":5}`, `{"x":1}`, `[]`, `{`, ``, `{"by":"a"} {}`, `null`, `"s"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a action
		err := httpapi.UnmarshalJSON(b, &a)
		if err == nil {
			if !json.Valid(b) {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			return
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "request body") || strings.ContainsAny(msg, "\n\r") {
			t.Fatalf("error %q", msg)
		}
	})
}

// FuzzInt: a parsed value lies in the range; anything else names the
// parameter.
func FuzzInt(f *testing.F) {
	for _, s := range []string{"", "1", "1440", "0", "-1", "+5", "1e3", "0x10", " 5", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := httpapi.Int("minutes", raw, 5, 1, 1440)
		if err != nil {
			if !errors.Is(err, httpapi.ErrInvalidParam) || !strings.HasPrefix(err.Error(), `query parameter "minutes"`) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if v < 1 || v > 1440 {
			t.Fatalf("%q gave %d", raw, v)
		}
	})
}
