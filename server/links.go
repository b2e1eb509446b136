package server

import (
	"errors"
	"net/url"

	"github.com/vigilhq/vigil/internal/configfile"
)

// Validate checks that every link given is an absolute http or https URL
// (the landing page links to them); an empty link is left out. Problems
// are [configfile.FieldError]s naming the key (links.grafana).
func (l Links) Validate() error {
	var errs []error
	for _, f := range []struct{ key, v string }{
		{"grafana", l.Grafana}, {"prometheus", l.Prometheus}, {"jaeger", l.Jaeger},
	} {
		if f.v == "" {
			continue
		}
		u, err := url.Parse(f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, configfile.Errorf("links."+f.key, "%q is not an absolute http or https URL such as http://localhost:3000", f.v))
		}
	}
	return errors.Join(errs...)
}
