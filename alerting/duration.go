package alerting

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"

	"github.com/vigilhq/vigil/internal/configfile"
)

// Duration is a time.Duration written Prometheus-style in configuration:
// "30s", "5m", "1h", "3d", "1w", "1h30m".
type Duration time.Duration

// ParseDuration parses a Prometheus-style duration.
func ParseDuration(s string) (Duration, error) {
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %q: %w", ErrInvalidConfig, s, err)
	}
	return Duration(d), nil
}

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats the duration the way Prometheus does ("5m", "1h30m", "3d").
func (d Duration) String() string { return model.Duration(d).String() }

// UnmarshalYAML accepts a Prometheus-style duration string; anything else
// is a [configfile.FieldError] saying what a duration looks like.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if n.Kind != yaml.ScalarNode || n.Decode(&s) != nil {
		return &configfile.FieldError{Reason: "must be a duration such as 30s, 5m or 1h"}
	}
	v, err := model.ParseDuration(s)
	if err != nil {
		return configfile.Errorf("", "%q is not a valid duration such as 30s, 5m or 1h", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Prometheus-style string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalJSON writes the duration as a Prometheus-style string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts a Prometheus-style duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
