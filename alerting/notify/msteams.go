package notify

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// MSTeamsConfig posts an Adaptive Card to a Microsoft Teams Workflows
// webhook ("Post to a channel when a webhook request is received"). The
// URL carries its own signature: treat it as a secret.
type MSTeamsConfig struct {
	URL string `yaml:"url" json:"-"`
}

func (c *MSTeamsConfig) validate(p string, is *issues) { is.checkURL(p+".url", c.URL) }

func (c *MSTeamsConfig) build(_ string, d buildDeps) (Integration, error) {
	return &jsonPost{name: "msteams", url: c.URL, client: d.client, body: func(n *Notification) any { return buildTeams(n) }}, nil
}

// TeamsMessage is the body a Workflows webhook takes: a message with one
// Adaptive Card attachment.
type TeamsMessage struct {
	Type        string            `json:"type"` // "message"
	Attachments []TeamsAttachment `json:"attachments"`
}

// TeamsAttachment wraps an Adaptive Card.
type TeamsAttachment struct {
	ContentType string       `json:"contentType"` // application/vnd.microsoft.card.adaptive
	ContentURL  *string      `json:"contentUrl"`
	Content     AdaptiveCard `json:"content"`
}

// AdaptiveCard is the subset of Adaptive Cards 1.4 Vigil writes.
type AdaptiveCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"` // "AdaptiveCard"
	Version string         `json:"version"`
	Body    []CardElement  `json:"body"`
	Actions []CardAction   `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// CardElement is a TextBlock or a FactSet.
type CardElement struct {
	Type   string     `json:"type"`
	Text   string     `json:"text,omitempty"`
	Weight string     `json:"weight,omitempty"`
	Size   string     `json:"size,omitempty"`
	Color  string     `json:"color,omitempty"`
	Wrap   bool       `json:"wrap,omitempty"`
	Facts  []CardFact `json:"facts,omitempty"`
}

// CardFact is one title/value pair of a FactSet.
type CardFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// CardAction opens a URL.
type CardAction struct {
	Type  string `json:"type"` // Action.OpenUrl
	Title string `json:"title"`
	URL   string `json:"url"`
}

func buildTeams(n *Notification) TeamsMessage {
	color := "Attention"
	if n.Status() == "resolved" {
		color = "Good"
	}
	card := AdaptiveCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard",
		Version: "1.4", MSTeams: map[string]any{"width": "Full"}}
	card.Body = append(card.Body, CardElement{Type: "TextBlock", Text: title(n), Weight: "Bolder", Size: "Medium",
		Color: color, Wrap: true})
	for _, a := range n.Alerts() {
		card.Body = append(card.Body, CardElement{Type: "TextBlock", Wrap: true,
			Text: fmt.Sprintf("**%s** %s (%s): %s", strings.ToUpper(a.State), a.RuleName, a.Severity, summary(a))})
		var facts []CardFact
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			facts = append(facts, CardFact{Title: k, Value: a.Labels[k]})
		}
		if a.TraceID != "" {
			facts = append(facts, CardFact{Title: "trace_id", Value: a.TraceID})
		}
		if a.AcknowledgedAt != nil {
			facts = append(facts, CardFact{Title: "acknowledged by", Value: a.AcknowledgedBy})
		}
		card.Body = append(card.Body, CardElement{Type: "FactSet", Facts: facts})
		if a.GeneratorURL != "" && len(card.Actions) < 5 {
			card.Actions = append(card.Actions, CardAction{Type: "Action.OpenUrl", Title: "Open " + a.RuleName, URL: a.GeneratorURL})
		}
	}
	return TeamsMessage{Type: "message", Attachments: []TeamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}
