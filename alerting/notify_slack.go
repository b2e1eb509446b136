package alerting

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

type slackNotifier struct {
	cfg    SlackConfig
	client *http.Client
}

func (s *slackNotifier) kind() string    { return "slack" }
func (s *slackNotifier) tracksAck() bool { return false }

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

// title is the one-line summary used by Slack and email subjects.
func title(n *notification) string {
	name := n.GroupLabels[LabelAlertName]
	if name == "" {
		name = common(labelSets(n))[LabelAlertName]
	}
	var extra []string
	for k, v := range n.GroupLabels {
		if k != LabelAlertName {
			extra = append(extra, k+"="+v)
		}
	}
	s := fmt.Sprintf("[%s:%d] %s", strings.ToUpper(n.status()), len(n.Firing)+len(n.Resolved), name)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func labelSets(n *notification) []map[string]string {
	var ls []map[string]string
	for _, a := range n.alerts() {
		ls = append(ls, a.Labels)
	}
	return ls
}

func buildSlack(n *notification, channel string) slackMessage {
	m := slackMessage{Channel: channel, Text: title(n)}
	m.Blocks = append(m.Blocks, slackBlock{Type: "header", Text: &slackText{Type: "plain_text", Text: title(n)}})
	for _, a := range n.alerts() {
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

func (s *slackNotifier) notify(ctx context.Context, n *notification) (bool, error) {
	return postJSON(ctx, s.client, s.cfg.URL, nil, buildSlack(n, s.cfg.Channel))
}
