package console

import (
	"net/http"

	"github.com/vigilhq/vigil/apidocs"
)

// Operations documents the routes [Console.Register] mounts.
func Operations() []apidocs.Operation {
	tags := []string{"Console"}
	return []apidocs.Operation{
		{Method: http.MethodGet, Path: Path, Tags: tags, Summary: "Alert console",
			Description: "The alert console (HTML): the login page without a session, the console with one.",
			Responses:   map[int]apidocs.Response{http.StatusOK: {Description: "the console or its login page", ContentType: "text/html"}}},
		{Method: http.MethodPost, Path: LoginPath, Tags: tags, Summary: "Log in to the console",
			Description: "Opens a session for an API key of role viewer or admin and sets the HttpOnly, SameSite=Strict " +
				"session cookie, accepted by the API and WS /ws/metrics. Browsers are redirected to /ui (303); " +
				"with `Accept: application/json` the answer is the session. Refused from another origin (403).",
			Request: LoginForm{}, RequestContentType: "application/x-www-form-urlencoded", RateLimited: true,
			// 401 a key that is not valid, 403 a key of role client or
			// another origin, 503 keys or sessions unavailable (the store).
			Errors: []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusServiceUnavailable},
			Responses: map[int]apidocs.Response{
				http.StatusOK:       {Description: "the session (Accept: application/json)", Body: SessionInfo{}},
				http.StatusSeeOther: {Description: "logged in: go to /ui"},
			}},
		{Method: http.MethodPost, Path: LogoutPath, Tags: tags, Summary: "Log out of the console",
			Description: "Ends the session of the cookie and deletes the cookie. Refused from another origin (403).",
			// 503: the session could not be ended in the store.
			Errors: []int{http.StatusForbidden, http.StatusServiceUnavailable},
			Responses: map[int]apidocs.Response{
				http.StatusSeeOther:  {Description: "logged out: go to /ui"},
				http.StatusNoContent: {Description: "logged out (Accept: application/json)"},
			}},
		{Method: http.MethodGet, Path: SessionPath, Tags: tags, Summary: "Who is logged in",
			Description: "The caller's name and role, whether it may act (admin), when its session ends, and the links the console shows.",
			Security:    apidocs.Viewers,
			Responses:   map[int]apidocs.Response{http.StatusOK: {Description: "the caller", Body: SessionInfo{}}}},
	}
}
