package baseurl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ErrInvalid wraps every error of Parse.
var ErrInvalid = errors.New("must be an http or https base URL such as http://host:8000")

// maxLen bounds a base URL.
const maxLen = 2048

// Parse checks raw and returns it with trailing slashes dropped from its
// path.
func Parse(raw string) (*url.URL, error) {
	fail := func(why string) (*url.URL, error) { return nil, fmt.Errorf("%w: %s", ErrInvalid, why) }
	if strings.TrimSpace(raw) == "" {
		return fail("empty")
	}
	if len(raw) > maxLen {
		return fail(fmt.Sprintf("longer than %d bytes", maxLen))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fail("scheme must be http or https")
	case u.Opaque != "" || u.Hostname() == "":
		return fail("missing host")
	case u.User != nil:
		return fail("credentials in the URL (use --token)")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fail("query or fragment not allowed")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fail("bad port")
		}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Join returns base with path (which starts with "/") appended to its
// path prefix, as a string.
func Join(base *url.URL, path string) string {
	u := *base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	return u.String()
}
