package store

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// ErrInvalidText is wrapped by every write refused because one of its
// strings is not text both backends can keep: a NUL character (PostgreSQL
// text and jsonb cannot hold one, SQLite would) or bytes that are not
// UTF-8. The write stores nothing.
var ErrInvalidText = errors.New("invalid text")

// TextError names the field of a refused write, as the record's JSON names
// it (for example "labels.team", "matchers[0].value", "by").
type TextError struct {
	Field  string
	Reason string // "must not contain a NUL character" or "must be valid UTF-8"
}

func (e *TextError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap makes a TextError match ErrInvalidText.
func (e *TextError) Unwrap() error { return ErrInvalidText }

// CheckText is the one text check of every store write, on both backends:
// s must be valid UTF-8 without NUL characters. The error is a *TextError
// naming field. Code that adds a store write calls it (or CheckTextMap,
// CheckTextList) for every string it stores.
func CheckText(field, s string) error {
	if reason := textProblem(s); reason != "" {
		return &TextError{Field: field, Reason: reason}
	}
	return nil
}

// textProblem says what is wrong with s as stored text, "" if nothing.
func textProblem(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain a NUL character"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	}
	return ""
}

// CheckTextMap checks every key and value of m; a value's field is
// field.key, a key's is field (keys in sorted order, so the error is
// stable).
func CheckTextMap(field string, m map[string]string) error {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if reason := textProblem(k); reason != "" {
			return &TextError{Field: field, Reason: "key " + reason}
		}
		if err := CheckText(field+"."+k, m[k]); err != nil {
			return err
		}
	}
	return nil
}

// CheckTextList checks every element of ss; an element's field is
// field[i].
func CheckTextList(field string, ss []string) error {
	for i, s := range ss {
		if err := CheckText(fmt.Sprintf("%s[%d]", field, i), s); err != nil {
			return err
		}
	}
	return nil
}

// texts checks fields in order and returns the first problem.
func texts(checks ...error) error {
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	return nil
}

// CheckAlert checks every string of an alert.
func CheckAlert(a Alert) error {
	return texts(
		CheckText("id", a.ID), CheckText("fingerprint", a.Fingerprint), CheckText("rule", a.RuleName),
		CheckText("source", a.Source), CheckText("state", a.State), CheckText("severity", a.Severity),
		CheckTextMap("labels", a.Labels), CheckTextMap("annotations", a.Annotations),
		CheckText("trace_id", a.TraceID), CheckText("generator_url", a.GeneratorURL),
		CheckText("acknowledged_by", a.AcknowledgedBy), CheckText("ack_comment", a.AckComment),
		CheckText("resolved_by", a.ResolvedBy),
	)
}

// CheckAlertEvent checks every string of a history event.
func CheckAlertEvent(e AlertEvent) error {
	return texts(
		CheckText("by", e.By), CheckText("comment", e.Comment),
		CheckText("alert_id", e.AlertID), CheckText("fingerprint", e.Fingerprint),
		CheckText("kind", e.Kind), CheckText("from", e.From), CheckText("to", e.To),
		CheckTextMap("details", e.Details),
	)
}

// CheckSilence checks every string of a silence, its matchers included.
func CheckSilence(s Silence) error {
	if err := texts(CheckText("id", s.ID), CheckText("createdBy", s.CreatedBy), CheckText("comment", s.Comment)); err != nil {
		return err
	}
	for i, m := range s.Matchers {
		p := fmt.Sprintf("matchers[%d]", i)
		if err := texts(CheckText(p+".name", m.Name), CheckText(p+".value", m.Value)); err != nil {
			return err
		}
	}
	return nil
}

// CheckNotification checks every string of a notification log entry.
func CheckNotification(e NotificationEntry) error {
	return texts(CheckText("receiver", e.Receiver), CheckText("group_key", e.GroupKey),
		CheckTextList("firing_alerts", e.FiringAlerts), CheckTextList("resolved_alerts", e.ResolvedAlerts),
		CheckTextList("owed_firing", e.OwedFiring), CheckText("last_error", e.LastError))
}

// ValidText makes s storable: invalid UTF-8 becomes U+FFFD and NUL
// characters are dropped. For text the caller does not control, such as a
// remote server's error message, where refusing the write would lose the
// record it belongs to.
func ValidText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// CheckSecurityEvent checks every string of a security event.
func CheckSecurityEvent(e SecurityEvent) error {
	return texts(CheckText("type", e.Type), CheckText("level", e.Level), CheckText("client", e.Client),
		CheckText("ip", e.IP), CheckText("method", e.Method), CheckText("route", e.Route),
		CheckText("trace_id", e.TraceID), CheckText("detail", e.Detail))
}

// CheckUsage checks every string of usage rollups; a row's fields are
// rows[i].field.
func CheckUsage(rows []UsageRollup) error {
	for i, r := range rows {
		p := fmt.Sprintf("rows[%d].", i)
		if err := texts(CheckText(p+"client", r.Client), CheckText(p+"route", r.Route), CheckText(p+"method", r.Method)); err != nil {
			return err
		}
	}
	return nil
}

// CheckRun checks every string of a readiness run; the report must be
// UTF-8 without NUL bytes (JSON escapes are text).
func CheckRun(r ReadinessRun) error {
	return texts(CheckText("id", r.ID), CheckText("target", r.Target), CheckText("status", r.Status),
		CheckText("grade", r.Grade), CheckText("error", r.Error), CheckText("created_by", r.CreatedBy),
		CheckText("report", string(r.Report)))
}

// checkLease checks a lease's name and holder.
func checkLease(name, holder string) error {
	return texts(CheckText("name", name), CheckText("holder", holder))
}
