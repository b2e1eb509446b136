package alerting

import (
	"errors"
	"fmt"

	"github.com/vigilhq/vigil/store"
)

// Errors of the package.
var (
	ErrNotFound       = fmt.Errorf("alert %w", store.ErrNotFound)
	ErrAlertResolved  = fmt.Errorf("alert already resolved: %w", store.ErrConflict)
	ErrEvaluation     = errors.New("rule evaluation failed")
	ErrInvalidWebhook = errors.New("invalid webhook payload")
)

// errSkip aborts an update without writing.
var errSkip = errors.New("skip")
