package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// ErrInvalidParam is wrapped by every [ParamError].
var ErrInvalidParam = errors.New("invalid parameter")

// ParamError is a bad query parameter: Name is the parameter, Reason says
// what is expected.
type ParamError struct {
	Name   string
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("query parameter %q: %s", e.Name, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidParam) true.
func (e *ParamError) Unwrap() error { return ErrInvalidParam }

// ParamProblem turns a ParamError (anywhere in err) into a 400 naming the
// parameter; other errors are returned as they are.
func ParamProblem(err error) error {
	if pe, ok := errors.AsType[*ParamError](err); ok {
		return echo.NewHTTPError(http.StatusBadRequest, pe.Error())
	}
	return err
}

// maxIntLen bounds the digits of an integer parameter.
const maxIntLen = 19

// Int parses the integer parameter name from raw: "" gives def; anything
// but a plain decimal integer from lo to hi (no sign, no spaces) is a
// *ParamError.
func Int(name, raw string, def, lo, hi int) (int, error) {
	v, err := Int64(name, raw, int64(def), int64(lo), int64(hi))
	return int(v), err
}

// Int64 is [Int] for 64-bit values.
func Int64(name, raw string, def, lo, hi int64) (int64, error) {
	if raw == "" {
		return def, nil
	}
	bad := &ParamError{Name: name, Reason: fmt.Sprintf("must be an integer from %d to %d", lo, hi)}
	if len(raw) > maxIntLen || strings.HasPrefix(raw, "+") {
		return 0, bad
	}
	v, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || v < lo || v > hi {
		return 0, bad
	}
	return v, nil
}

// OneOf parses the parameter name from raw: "" gives def, anything else
// must be one of allowed.
func OneOf(name, raw, def string, allowed ...string) (string, error) {
	if raw == "" {
		return def, nil
	}
	if !slices.Contains(allowed, raw) {
		return "", &ParamError{Name: name, Reason: "must be " + orList(allowed)}
	}
	return raw, nil
}

// Strings parses a comma-separated list parameter: "" gives nil, every
// item must be one of allowed (duplicates dropped, order kept).
func Strings(name, raw string, allowed ...string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var out []string
	for _, item := range strings.Split(raw, ",") {
		item = strings.TrimSpace(item)
		if !slices.Contains(allowed, item) {
			return nil, &ParamError{Name: name, Reason: "must be a comma-separated list of " + andList(allowed)}
		}
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out, nil
}

// orList renders "a, b or c".
func orList(items []string) string { return joinLast(items, " or ") }

// andList renders "a, b and c".
func andList(items []string) string { return joinLast(items, " and ") }

func joinLast(items []string, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + last + items[len(items)-1]
}
