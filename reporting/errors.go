package reporting

import (
	"errors"

	"github.com/vigilhq/vigil/internal/httpapi"
)

// Sentinel errors.
var (
	// ErrInvalidConfig wraps every configuration error.
	ErrInvalidConfig = errors.New("invalid configuration")
	// ErrInvalidParam wraps every query-parameter error (a *ParamError).
	ErrInvalidParam = httpapi.ErrInvalidParam
)

// ParamError is a bad query parameter: Name is the parameter, Reason says
// what is expected (httpapi's, which every handler package answers with).
type ParamError = httpapi.ParamError
