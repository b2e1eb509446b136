package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// ContentTypeHealth is the media type of draft-inadarei-api-health-check.
const ContentTypeHealth = "application/health+json"

// Health statuses of the health-check draft.
const (
	StatusPass = "pass"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// HealthComponent is one entry of the draft's "checks" object.
type HealthComponent struct {
	ComponentType string    `json:"componentType,omitempty"`
	ObservedValue any       `json:"observedValue,omitempty"`
	ObservedUnit  string    `json:"observedUnit,omitempty"`
	Status        string    `json:"status"`
	Time          time.Time `json:"time"`
	Output        string    `json:"output,omitempty"`
}

// HealthResponse is an application/health+json document: its status is
// the worst of its checks', keyed "component:measurement".
type HealthResponse struct {
	Status      string                       `json:"status"`
	Version     string                       `json:"version,omitempty"`
	ServiceID   string                       `json:"serviceId,omitempty"`
	Description string                       `json:"description,omitempty"`
	Checks      map[string][]HealthComponent `json:"checks,omitempty"`
}

// Add appends c under name and makes the document's status the worse of
// the two.
func (h *HealthResponse) Add(name string, c HealthComponent) {
	if h.Checks == nil {
		h.Checks = map[string][]HealthComponent{}
	}
	h.Checks[name] = append(h.Checks[name], c)
	h.Status = WorseStatus(h.Status, c.Status)
}

// Code is the HTTP status of the document: 503 when it fails, else 200.
func (h HealthResponse) Code() int {
	if h.Status == StatusFail {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// WorseStatus is the worse of two health statuses (pass < warn < fail;
// "" is better than pass).
func WorseStatus(a, b string) string {
	rank := map[string]int{StatusPass: 1, StatusWarn: 2, StatusFail: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// WriteHealth answers v as application/health+json with status code,
// never cached.
func WriteHealth(c echo.Context, code int, v any) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, ContentTypeHealth)
	h.Set(echo.HeaderCacheControl, "no-store")
	c.Response().WriteHeader(code)
	return WriteJSON(c.Response(), v)
}

// WriteJSON writes v as JSON without escaping HTML characters.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
