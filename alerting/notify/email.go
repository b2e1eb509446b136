package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"net/smtp"
	"slices"
	"strings"
	"time"
)

// EmailConfig sends plain-text mail through an SMTP server.
type EmailConfig struct {
	SMTP        string   `yaml:"smtp" json:"smtp"` // host:port
	From        string   `yaml:"from" json:"from"`
	To          []string `yaml:"to" json:"to"`
	Username    string   `yaml:"username,omitempty" json:"username,omitempty"`
	PasswordEnv string   `yaml:"password_env,omitempty" json:"password_env,omitempty"` // name of the environment variable holding the password
}

func (c *EmailConfig) validate(p string, is *issues) {
	if _, port, err := net.SplitHostPort(c.SMTP); err != nil || port == "" {
		is.add(p+".smtp", "must be host:port")
	}
	is.required(p+".from", c.From)
	if len(c.To) == 0 {
		is.add(p+".to", "at least one address required")
	}
	if strings.ContainsAny(c.From, "\r\n") {
		is.add(p+".from", "must not contain line breaks")
	}
	for i, a := range c.To {
		if strings.ContainsAny(a, "\r\n") {
			is.add(fmt.Sprintf("%s.to[%d]", p, i), "must not contain line breaks")
		}
	}
}

func (c *EmailConfig) build(p string, d buildDeps) (Integration, error) {
	m := &email{cfg: *c, now: d.now}
	if c.PasswordEnv != "" {
		pw, err := secretEnv(p+".password_env", c.PasswordEnv, d.lookup)
		if err != nil {
			return nil, err
		}
		m.password = pw
	}
	return m, nil
}

type email struct {
	cfg      EmailConfig
	password string
	now      func() time.Time
}

func (m *email) Name() string { return "email" }

func buildEmail(n *Notification, from string, to []string, now time.Time) []byte {
	var b strings.Builder
	var id [8]byte
	_, _ = rand.Read(id[:])
	host := from[strings.LastIndex(from, "@")+1:]
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, strings.Join(to, ", "), title(n), now.Format(time.RFC1123Z), hex.EncodeToString(id[:]), host)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, a := range n.Alerts() {
		fmt.Fprintf(&b, "[%s] %s (%s)\r\n", strings.ToUpper(a.State), a.RuleName, a.Severity)
		for _, k := range slices.Sorted(maps.Keys(a.Annotations)) {
			fmt.Fprintf(&b, "  %s: %s\r\n", k, strings.ReplaceAll(a.Annotations[k], "\n", "\r\n    "))
		}
		lk := make([]string, 0, len(a.Labels))
		for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
			lk = append(lk, k+"="+a.Labels[k])
		}
		fmt.Fprintf(&b, "  labels: %s\r\n", strings.Join(lk, ", "))
		if a.AcknowledgedAt != nil {
			fmt.Fprintf(&b, "  acknowledged by %s\r\n", a.AcknowledgedBy)
		}
		if a.GeneratorURL != "" {
			fmt.Fprintf(&b, "  %s\r\n", a.GeneratorURL)
		}
		b.WriteString("\r\n")
	}
	// Dot-stuffing is done by net/smtp's data writer.
	return []byte(b.String())
}

func (m *email) Notify(ctx context.Context, n *Notification) (bool, error) {
	host, _, err := net.SplitHostPort(m.cfg.SMTP)
	if err != nil {
		return false, fmt.Errorf("%w: smtp address: %w", ErrNotify, err)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.cfg.SMTP)
	if err != nil {
		return true, fmt.Errorf("%w: dial smtp: %w", ErrNotify, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return true, fmt.Errorf("%w: smtp greeting: %w", ErrNotify, err)
	}
	defer c.Close()
	step := func(what string, err error) (bool, error) {
		// 5xx replies are permanent; everything else may be retried.
		retry := !strings.HasPrefix(err.Error(), "5")
		return retry, fmt.Errorf("%w: smtp %s: %w", ErrNotify, what, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return step("starttls", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.password, host)); err != nil {
			return step("auth", err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return step("mail from", err)
	}
	for _, to := range m.cfg.To {
		if err := c.Rcpt(to); err != nil {
			return step("rcpt to", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return step("data", err)
	}
	if _, err := w.Write(buildEmail(n, m.cfg.From, m.cfg.To, m.now())); err != nil {
		return step("write", err)
	}
	if err := w.Close(); err != nil {
		return step("data end", err)
	}
	_ = c.Quit()
	return false, nil
}
