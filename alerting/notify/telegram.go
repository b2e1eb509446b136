package notify

import (
	"fmt"
	"html"
	"strings"
)

// DefaultTelegramURL is the Telegram Bot API.
const DefaultTelegramURL = "https://api.telegram.org"

// TelegramConfig sends messages with the Bot API's sendMessage.
type TelegramConfig struct {
	// BotTokenEnv names the environment variable holding the bot token.
	BotTokenEnv string `yaml:"bot_token_env" json:"bot_token_env"`
	// ChatID is the chat (user, group or channel) to write to.
	ChatID int64 `yaml:"chat_id" json:"chat_id"`
	// URL is the API's base URL. Optional. Default DefaultTelegramURL.
	URL string `yaml:"url,omitempty" json:"url,omitempty"`
}

func (c *TelegramConfig) validate(p string, is *issues) {
	is.required(p+".bot_token_env", c.BotTokenEnv)
	if c.ChatID == 0 {
		is.add(p+".chat_id", "required")
	}
	if c.URL != "" {
		is.checkURL(p+".url", c.URL)
	}
}

func (c *TelegramConfig) build(p string, d buildDeps) (Integration, error) {
	token, err := secretEnv(p+".bot_token_env", c.BotTokenEnv, d.lookup)
	if err != nil {
		return nil, err
	}
	base := c.URL
	if base == "" {
		base = DefaultTelegramURL
	}
	chat := c.ChatID
	// The endpoint holds the token: never logged (postJSON keeps URLs out of errors).
	return &jsonPost{name: "telegram", url: strings.TrimSuffix(base, "/") + "/bot" + token + "/sendMessage", client: d.client,
		body: func(n *Notification) any { return buildTelegram(n, chat) }}, nil
}

// telegramTextMax is sendMessage's limit on text, after entity parsing.
const telegramTextMax = 4096

// TelegramMessage is the body of sendMessage.
type TelegramMessage struct {
	ChatID                int64  `json:"chat_id"`
	Text                  string `json:"text"`
	ParseMode             string `json:"parse_mode"`
	DisableWebPagePreview bool   `json:"disable_web_page_preview"`
}

func buildTelegram(n *Notification, chat int64) TelegramMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "<b>%s</b>\n", html.EscapeString(title(n)))
	for _, a := range n.Alerts() {
		line := fmt.Sprintf("\n<b>%s</b> %s (%s): %s", strings.ToUpper(a.State), html.EscapeString(a.RuleName),
			html.EscapeString(a.Severity), html.EscapeString(summary(a)))
		if a.GeneratorURL != "" {
			line += "\n" + html.EscapeString(a.GeneratorURL)
		}
		// Cut between alerts, never inside a tag or an entity.
		if len([]rune(b.String()+line)) > telegramTextMax-2 {
			b.WriteString("\n…")
			break
		}
		b.WriteString(line)
	}
	return TelegramMessage{ChatID: chat, Text: b.String(), ParseMode: "HTML", DisableWebPagePreview: true}
}
