package alerting

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"sort"
	"strings"
	"time"
)

type emailNotifier struct {
	cfg EmailConfig
	now func() time.Time
}

func (m *emailNotifier) kind() string    { return "email" }
func (m *emailNotifier) tracksAck() bool { return false }

func buildEmail(n *notification, from string, to []string, now time.Time) []byte {
	var b strings.Builder
	var id [8]byte
	_, _ = rand.Read(id[:])
	host := from[strings.LastIndex(from, "@")+1:]
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, strings.Join(to, ", "), title(n), now.Format(time.RFC1123Z), hex.EncodeToString(id[:]), host)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	for _, a := range n.alerts() {
		fmt.Fprintf(&b, "[%s] %s (%s)\r\n", strings.ToUpper(a.State), a.RuleName, a.Severity)
		keys := make([]string, 0, len(a.Annotations))
		for k := range a.Annotations {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s: %s\r\n", k, strings.ReplaceAll(a.Annotations[k], "\n", "\r\n    "))
		}
		lk := make([]string, 0, len(a.Labels))
		for k, v := range a.Labels {
			lk = append(lk, k+"="+v)
		}
		sort.Strings(lk)
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

func (m *emailNotifier) notify(ctx context.Context, n *notification) (bool, error) {
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
		auth := smtp.PlainAuth("", m.cfg.Username, os.Getenv(m.cfg.PasswordEnv), host)
		if err := c.Auth(auth); err != nil {
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
