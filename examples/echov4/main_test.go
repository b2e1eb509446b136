package main

import (
	"testing"

	"github.com/vigilhq/vigil/internal/exampletest"
)

func TestServesUsersAndMetrics(t *testing.T) {
	exampletest.ServesUsersAndMetrics(t, run, route)
}
