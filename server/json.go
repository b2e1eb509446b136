package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// decodeJSON reads exactly one JSON object into dst. Anything else is a 400
// (or 415 for another media type, 413 past the body limit) whose detail names
// the offending field where there is one.
func decodeJSON(c echo.Context, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "content type must be application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return bodyError(err)
	}
	if dec.More() {
		return echo.NewHTTPError(http.StatusBadRequest, "request body: must hold a single JSON object")
	}
	return nil
}

func bodyError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", tooLarge.Limit))
	case errors.Is(err, io.EOF):
		return echo.NewHTTPError(http.StatusBadRequest, "request body: empty, expected a JSON object")
	case errors.As(err, &syn):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("request body: malformed JSON at offset %d", syn.Offset))
	case errors.As(err, &typ):
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("request body: field %q must be %s", typ.Field, typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return echo.NewHTTPError(http.StatusBadRequest, "request body: malformed JSON (unexpected end)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return echo.NewHTTPError(http.StatusBadRequest, "request body: unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "request body: malformed JSON")
	}
}
