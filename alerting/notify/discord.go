package notify

import (
	"fmt"
	"strings"
)

// DiscordConfig posts to a Discord webhook. The URL carries the webhook's
// token: treat it as a secret.
type DiscordConfig struct {
	URL string `yaml:"url" json:"-"`
}

func (c *DiscordConfig) validate(p string, is *issues) { is.checkURL(p+".url", c.URL) }

func (c *DiscordConfig) build(_ string, d buildDeps) (Integration, error) {
	return &jsonPost{name: "discord", url: c.URL, client: d.client, body: func(n *Notification) any { return buildDiscord(n) }}, nil
}

// Discord's documented limits (Execute Webhook).
const (
	discordContentMax     = 2000
	discordTitleMax       = 256
	discordDescriptionMax = 4096
)

// DiscordMessage is the body of Discord's Execute Webhook.
type DiscordMessage struct {
	Content string         `json:"content"`
	Embeds  []DiscordEmbed `json:"embeds"`
}

// DiscordEmbed is one embed of a DiscordMessage.
type DiscordEmbed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
	Color       int    `json:"color"`
}

const (
	discordRed   = 0xE01E5A
	discordGreen = 0x2EB67D
)

func buildDiscord(n *Notification) DiscordMessage {
	e := DiscordEmbed{Title: truncate(title(n), discordTitleMax), Color: discordRed}
	if n.Status() == "resolved" {
		e.Color = discordGreen
	}
	if n.ExternalURL != "" {
		e.URL = n.ExternalURL
	}
	var b strings.Builder
	for _, a := range n.Alerts() {
		fmt.Fprintf(&b, "**%s** %s (%s): %s\n", strings.ToUpper(a.State), a.RuleName, a.Severity, summary(a))
		if a.TraceID != "" {
			fmt.Fprintf(&b, "trace: `%s`\n", a.TraceID)
		}
		if a.GeneratorURL != "" {
			fmt.Fprintf(&b, "%s\n", a.GeneratorURL)
		}
	}
	e.Description = truncate(strings.TrimSpace(b.String()), discordDescriptionMax)
	return DiscordMessage{Content: truncate(title(n), discordContentMax), Embeds: []DiscordEmbed{e}}
}
