package notify

import (
	"fmt"
	"strings"
)

// SlackConfig posts to a Slack incoming webhook.
type SlackConfig struct {
	URL     string `yaml:"url" json:"-"`
	Channel string `yaml:"channel,omitempty" json:"channel,omitempty"`
}

func (c *SlackConfig) validate(p string, is *issues) { is.checkURL(p+".url", c.URL) }

func (c *SlackConfig) build(_ string, d buildDeps) (Integration, error) {
	channel := c.Channel
	return &jsonPost{name: "slack", url: c.URL, client: d.client, body: func(n *Notification) any { return buildSlack(n, channel) }}, nil
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackMessage struct {
	Channel string       `json:"channel,omitempty"`
	Text    string       `json:"text"`
	Blocks  []slackBlock `json:"blocks"`
}

func buildSlack(n *Notification, channel string) slackMessage {
	m := slackMessage{Channel: channel, Text: title(n)}
	m.Blocks = append(m.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: title(n)}})
	for _, a := range n.Alerts() {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s* %s (%s)", a.State, a.RuleName, a.Severity)
		if s := a.Annotations["summary"]; s != "" {
			fmt.Fprintf(&b, "\n%s", s)
		}
		if a.TraceID != "" {
			fmt.Fprintf(&b, "\ntrace: `%s`", a.TraceID)
		}
		if a.AcknowledgedAt != nil {
			fmt.Fprintf(&b, "\nacknowledged by %s", a.AcknowledgedBy)
		}
		if a.GeneratorURL != "" {
			fmt.Fprintf(&b, "\n<%s|details>", a.GeneratorURL)
		}
		m.Blocks = append(m.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: b.String()}})
	}
	return m
}
