package app

import (
	"fmt"
	"os"
	"strconv"
)

// envBool reads a boolean environment variable: what strconv.ParseBool
// takes (1, t, true, 0, f, false in any case ParseBool knows); unset or
// empty gives def, anything else is an error naming the variable.
func envBool(name string, def bool) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid environment: %s=%q: want a boolean (1, true, t, 0, false, f)", name, v)
	}
	return b, nil
}
