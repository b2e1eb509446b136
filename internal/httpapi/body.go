package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// ErrEmptyBody is the cause of the 400 for a request without a body, for
// handlers whose body is optional (errors.Is).
var ErrEmptyBody = errors.New("request body: empty, expected a JSON object")

// DecodeJSON reads the request body as exactly one JSON object into dst,
// unknown fields refused. A Content-Type other than application/json is a
// 415 (none is taken as JSON); a body past the server's limit
// (http.MaxBytesReader) a 413; anything else that is not one object of
// dst's shape a 400 whose detail names the field.
func DecodeJSON(c echo.Context, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), echo.MIMEApplicationJSON) {
		return unsupported(echo.MIMEApplicationJSON)
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyProblem(err)
	}
	if !atEnd(dec) {
		return echo.NewHTTPError(http.StatusBadRequest, "request body: must hold a single JSON object")
	}
	return nil
}

// UnmarshalJSON decodes body, exactly one JSON object, into dst with
// unknown fields refused; the error's text names the field.
func UnmarshalJSON(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return errors.New(decodeDetail(err))
	}
	if !atEnd(dec) {
		return errors.New("request body: must hold a single JSON object")
	}
	return nil
}

// atEnd reports whether nothing but white space follows the decoded value.
func atEnd(dec *json.Decoder) bool {
	_, err := dec.Token()
	return errors.Is(err, io.EOF)
}

// ReadBody reads at most limit bytes of the request body: a 413 past it
// (or past the server's own limit).
func ReadBody(c echo.Context, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, limit+1))
	if err != nil {
		if lim, ok := TooLarge(err); ok {
			return nil, tooLarge(lim)
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest, "request body: read failed").SetInternal(err)
	}
	if int64(len(body)) > limit {
		return nil, tooLarge(limit)
	}
	return body, nil
}

// RequireMediaType is a 415 unless the request's Content-Type is mt
// (parameters such as charset aside).
func RequireMediaType(r *http.Request, mt string) error {
	got, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || got != mt {
		return unsupported(mt)
	}
	return nil
}

// TooLarge reports whether err is the server's body limit being reached
// (http.MaxBytesReader), with the limit.
func TooLarge(err error) (int64, bool) {
	if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return mb.Limit, true
	}
	return 0, false
}

func unsupported(mt string) *echo.HTTPError {
	return echo.NewHTTPError(http.StatusUnsupportedMediaType, "content type must be "+mt)
}

func tooLarge(limit int64) *echo.HTTPError {
	return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", limit))
}

// bodyProblem is the 413 or 400 of a body that could not be read or
// decoded.
func bodyProblem(err error) error {
	if limit, ok := TooLarge(err); ok {
		return tooLarge(limit)
	}
	he := echo.NewHTTPError(http.StatusBadRequest, decodeDetail(err))
	if errors.Is(err, io.EOF) {
		return he.SetInternal(ErrEmptyBody)
	}
	return he
}

// decodeDetail says what is wrong with a body encoding/json refused,
// naming the field where there is one.
func decodeDetail(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return ErrEmptyBody.Error()
	case errors.As(err, &syn):
		return fmt.Sprintf("request body: malformed JSON at offset %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("request body: must be a JSON object, not %s", typ.Value)
		}
		return fmt.Sprintf("request body: field %q must be %s", typ.Field, typ.Type)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body: malformed JSON (unexpected end)"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "request body: unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "request body: malformed JSON"
	}
}
