package configfile

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem of a configuration at Path, a key path such
// as "rules[2].threshold" (empty: the node itself).
type FieldError struct {
	Path   string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// Errorf returns the FieldError at path with a formatted reason.
func Errorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// Join returns the key path of key below path: "a" and "b" give "a.b",
// "" and "b" give "b".
func Join(path, key string) string {
	if path == "" {
		return key
	}
	if key == "" {
		return path
	}
	return path + "." + key
}

// Index returns the key path of the i-th item of the list at path.
func Index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// Fields lists the FieldErrors of err's tree in order. A FieldError is
// taken as it is; lists ([errors.Join], [Under], [Invalid]) are opened;
// any other error is one FieldError with no path holding its whole text,
// so no problem is ever dropped.
func Fields(err error) []*FieldError {
	if err == nil {
		return nil
	}
	if fe, ok := err.(*FieldError); ok { //nolint:errorlint // the tree is walked by hand, one level at a time
		return []*FieldError{fe}
	}
	if m, ok := err.(interface{ Unwrap() []error }); ok && isList(err, m.Unwrap()) { //nolint:errorlint // as above
		var out []*FieldError
		for _, e := range m.Unwrap() {
			out = append(out, Fields(e)...)
		}
		return out
	}
	return []*FieldError{{Reason: err.Error()}}
}

// isList reports whether err is only the list of parts: one of this
// package's lists, or an error whose text is its parts' joined by
// newlines (errors.Join's). fmt.Errorf("%w: %w", a, b) is not: its text
// says more than its parts.
func isList(err error, parts []error) bool {
	switch err.(type) { //nolint:errorlint // as above
	case *invalidError, fieldList:
		return true
	}
	texts := make([]string, len(parts))
	for i, p := range parts {
		texts[i] = p.Error()
	}
	return err.Error() == strings.Join(texts, "\n")
}

// fieldList is what Under returns.
type fieldList []error

func (l fieldList) Error() string   { return Message(l) }
func (l fieldList) Unwrap() []error { return l }

// Under returns err with every problem's path below prefix; nil stays nil.
func Under(prefix string, err error) error {
	fs := Fields(err)
	if len(fs) == 0 {
		return nil
	}
	out := make(fieldList, len(fs))
	for i, f := range fs {
		p := prefix
		switch {
		case f.Path == "":
		case strings.HasPrefix(f.Path, "["):
			p += f.Path
		default:
			p = Join(prefix, f.Path)
		}
		out[i] = &FieldError{Path: p, Reason: f.Reason}
	}
	return out
}

// invalidError is the problems of a configuration wrapped in a package's
// sentinel.
type invalidError struct {
	sentinel error
	errs     []error
}

// Invalid returns nil when errs hold no error, else one error that
// errors.Is sentinel, whose text is "sentinel: problem; problem" and whose
// problems [Fields] lists (without the sentinel).
func Invalid(sentinel error, errs ...error) error {
	var list []error
	for _, e := range errs {
		if e != nil {
			list = append(list, e)
		}
	}
	if len(list) == 0 {
		return nil
	}
	return &invalidError{sentinel: sentinel, errs: list}
}

func (e *invalidError) Error() string {
	return e.sentinel.Error() + ": " + Message(errors.Join(e.errs...))
}
func (e *invalidError) Unwrap() []error      { return e.errs }
func (e *invalidError) Is(target error) bool { return target == e.sentinel }

// Message renders err's problems on one line, separated by "; ".
func Message(err error) string {
	fs := Fields(err)
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strings.Join(strings.Fields(f.Error()), " ")
	}
	return strings.Join(parts, "; ")
}
