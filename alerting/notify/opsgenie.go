package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/store"
)

// DefaultOpsgenieURL is the Opsgenie API (the EU instance is
// https://api.eu.opsgenie.com).
const DefaultOpsgenieURL = "https://api.opsgenie.com"

// OpsgenieConfig creates and closes Opsgenie alerts through the Alert API
// v2: one Opsgenie alert per group (alias derived from the group key),
// closed when every alert of the group resolved.
type OpsgenieConfig struct {
	// APIKeyEnv names the environment variable holding the API key.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env"`
	// URL is the API's base URL. Optional. Default DefaultOpsgenieURL.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
}

func (c *OpsgenieConfig) validate(p string, is *issues) {
	is.required(p+".api_key_env", c.APIKeyEnv)
	if c.URL != "" {
		is.checkURL(p+".url", c.URL)
	}
}

func (c *OpsgenieConfig) build(p string, d buildDeps) (Integration, error) {
	key, err := secretEnv(p+".api_key_env", c.APIKeyEnv, d.lookup)
	if err != nil {
		return nil, err
	}
	base := c.URL
	if base == "" {
		base = DefaultOpsgenieURL
	}
	return &opsgenie{base: strings.TrimSuffix(base, "/"), key: key, client: d.client}, nil
}

type opsgenie struct {
	base, key string
	client    *http.Client
}

func (o *opsgenie) Name() string { return "opsgenie" }

// OpsgenieAlert is the body of POST /v2/alerts.
type OpsgenieAlert struct {
	Message     string            `json:"message"` // at most 130 characters
	Alias       string            `json:"alias"`
	Description string            `json:"description,omitempty"`
	Tags        []string          `json:"tags,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
	Entity      string            `json:"entity,omitempty"`
	Source      string            `json:"source"`
	Priority    string            `json:"priority"` // P1 … P5
}

// OpsgenieClose is the body of POST /v2/alerts/{alias}/close.
type OpsgenieClose struct {
	Source string `json:"source"`
	User   string `json:"user"`
	Note   string `json:"note,omitempty"`
}

// OpsgenieAlias is the alias of a group's Opsgenie alert.
func OpsgenieAlias(groupKey string) string {
	h := sha256.Sum256([]byte(groupKey))
	return hex.EncodeToString(h[:])
}

// opsgeniePriority maps the most severe alert: critical P1, error P2,
// warning P3, anything else P5.
func opsgeniePriority(alerts []store.Alert) string {
	best := "P5"
	for _, a := range alerts {
		p := map[string]string{severityCritical: "P1", severityError: "P2", severityWarning: "P3"}[a.Severity]
		if p != "" && p < best {
			best = p
		}
	}
	return best
}

func buildOpsgenie(n *Notification) OpsgenieAlert {
	var desc strings.Builder
	for _, a := range n.Alerts() {
		fmt.Fprintf(&desc, "[%s] %s (%s): %s\n", strings.ToUpper(a.State), a.RuleName, a.Severity, summary(a))
		if a.GeneratorURL != "" {
			fmt.Fprintf(&desc, "%s\n", a.GeneratorURL)
		}
	}
	cl := common(labelSets(n))
	var tags []string
	for _, k := range slices.Sorted(maps.Keys(n.GroupLabels)) {
		tags = append(tags, k+"="+n.GroupLabels[k])
	}
	return OpsgenieAlert{Message: truncate(title(n), 130), Alias: OpsgenieAlias(n.GroupKey),
		Description: truncate(desc.String(), 15000), Tags: tags, Details: cl, Entity: cl[labelRoute],
		Source: "Vigil", Priority: opsgeniePriority(n.Alerts())}
}

func (o *opsgenie) Notify(ctx context.Context, n *Notification) (bool, error) {
	h := map[string]string{"Authorization": "GenieKey " + o.key}
	if n.Status() == "resolved" {
		target := o.base + "/v2/alerts/" + url.PathEscape(OpsgenieAlias(n.GroupKey)) + "/close?identifierType=alias"
		return postJSON(ctx, o.client, target, h, OpsgenieClose{Source: "Vigil", User: "Vigil", Note: title(n)})
	}
	return postJSON(ctx, o.client, o.base+"/v2/alerts", h, buildOpsgenie(n))
}
