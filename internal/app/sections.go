package app

import (
	"os"

	"github.com/vigilhq/vigil/ratelimit"
	"github.com/vigilhq/vigil/security"
	"go.yaml.in/yaml/v3"
)

// nodeBytes gives a section's YAML, or nil when the file lacks the section.
func nodeBytes(cfg *FileConfig, key string, n *yaml.Node) ([]byte, error) {
	if cfg.raw[key] == nil {
		return nil, nil
	}
	return yaml.Marshal(n)
}

func init() {
	sectionDecoders["auth"] = func(cfg *FileConfig, n *yaml.Node) error {
		buf, err := nodeBytes(cfg, "auth", n)
		if err != nil {
			return err
		}
		c, err := security.ParseConfig(buf, os.LookupEnv)
		if err != nil {
			return err
		}
		cfg.Auth = c
		return nil
	}
	sectionDecoders["ratelimit"] = func(cfg *FileConfig, n *yaml.Node) error {
		buf, err := nodeBytes(cfg, "ratelimit", n)
		if err != nil {
			return err
		}
		c, err := ratelimit.ParseConfig(buf)
		if err != nil {
			return err
		}
		cfg.RateLimit = c
		return nil
	}
}
