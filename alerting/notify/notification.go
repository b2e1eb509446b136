package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vigilhq/vigil/store"
)

// ErrNotify wraps every delivery error.
var ErrNotify = errors.New("notification failed")

// Label names the integrations read.
const (
	labelAlertName = "alertname"
	labelSeverity  = "severity"
	labelRoute     = "route"
	labelTeam      = "team"
)

// Severities, the PagerDuty Events v2 set.
const (
	severityCritical = "critical"
	severityError    = "error"
	severityWarning  = "warning"
	severityInfo     = "info"
)

// Notification is what one integration is told about one group.
type Notification struct {
	Receiver    string
	GroupKey    string
	GroupLabels map[string]string
	Firing      []store.Alert
	Resolved    []store.Alert
	ExternalURL string
}

// Status is "firing" while any alert of the notification fires, else
// "resolved".
func (n *Notification) Status() string {
	if len(n.Firing) > 0 {
		return "firing"
	}
	return "resolved"
}

// Alerts returns the firing alerts, then the resolved ones.
func (n *Notification) Alerts() []store.Alert {
	return append(slices.Clone(n.Firing), n.Resolved...)
}

// Integration sends notifications to one destination. retry reports
// whether a failure may succeed if tried again.
type Integration interface {
	Name() string
	Notify(ctx context.Context, n *Notification) (retry bool, err error)
}

// ackTracker is implemented by integrations for which an acknowledgement
// is news (PagerDuty acknowledges incidents).
type ackTracker interface{ TracksAck() bool }

func tracksAck(in Integration) bool {
	t, ok := in.(ackTracker)
	return ok && t.TracksAck()
}

// title is the one-line summary of a notification: [FIRING:2] Name (k=v).
func title(n *Notification) string {
	name := n.GroupLabels[labelAlertName]
	if name == "" {
		name = common(labelSets(n))[labelAlertName]
	}
	var extra []string
	for _, k := range slices.Sorted(maps.Keys(n.GroupLabels)) {
		if k != labelAlertName {
			extra = append(extra, k+"="+n.GroupLabels[k])
		}
	}
	s := fmt.Sprintf("[%s:%d] %s", strings.ToUpper(n.Status()), len(n.Firing)+len(n.Resolved), name)
	if len(extra) > 0 {
		s += " (" + strings.Join(extra, ", ") + ")"
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func labelSets(n *Notification) []map[string]string {
	var ls []map[string]string
	for _, a := range n.Alerts() {
		ls = append(ls, a.Labels)
	}
	return ls
}

// common returns the key/value pairs shared by every map.
func common(ms []map[string]string) map[string]string {
	out := map[string]string{}
	if len(ms) == 0 {
		return out
	}
	maps.Copy(out, ms[0])
	for _, m := range ms[1:] {
		for k, v := range out {
			if m[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}

// summary is an alert's summary annotation, or its rule name.
func summary(a store.Alert) string {
	if s := a.Annotations["summary"]; s != "" {
		return s
	}
	return a.RuleName
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
