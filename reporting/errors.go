package reporting

import (
	"errors"
	"fmt"
)

// Sentinel errors.
var (
	// ErrInvalidConfig wraps every configuration error.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidParam wraps every query-parameter error (a *ParamError).
	ErrInvalidParam = errors.New("invalid parameter")
)

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
