package server

import (
	"fmt"
	"net/url"
)

// Validate checks that every link given is an absolute http or https URL
// (the landing page links to them); an empty link is left out.
func (l Links) Validate() error {
	for _, f := range []struct{ key, v string }{
		{"grafana", l.Grafana}, {"prometheus", l.Prometheus}, {"jaeger", l.Jaeger},
	} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s: %q is not an absolute http or https URL such as http://localhost:3000", f.key, f.v)
		}
	}
	return nil
}
