package notify

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Reason is why a group is (or is not) notified.
type Reason int

// Reasons of NeedsUpdate.
const (
	ReasonNone         Reason = iota // nothing the receiver does not know
	ReasonFirst                      // the receiver was never told a firing alert of the group
	ReasonChanged                    // alerts joined, resolved or were acknowledged
	ReasonRepeat                     // unchanged, repeat_interval elapsed
	ReasonMissedFiring               // owed firing notifications of alerts that resolved meanwhile
)

func (r Reason) String() string {
	switch r {
	case ReasonFirst:
		return "first notification"
	case ReasonChanged:
		return "group changed"
	case ReasonRepeat:
		return "repeat interval elapsed"
	case ReasonMissedFiring:
		return "missed firing notification"
	}
	return "none"
}

// DedupOptions are what the decision depends on besides the log and the
// group.
type DedupOptions struct {
	// TracksAck: an acknowledgement is news to the integration.
	TracksAck      bool
	RepeatInterval time.Duration
	// DeliverMissedFiring: an alert that resolved before its firing
	// notification was delivered is first notified as firing.
	DeliverMissedFiring bool
	// Horizon bounds how long a failed delivery stays owed.
	Horizon time.Duration
}

// Decision is the outcome of NeedsUpdate.
type Decision struct {
	Reason   Reason
	Firing   []store.Alert // to notify as firing
	Resolved []store.Alert // to notify as resolved
	// FiringKeys is what the log records as told firing once delivered.
	FiringKeys []string
}

// alertKey identifies an alert in the notification log; with ack tracking
// an acknowledged alert is another key, so the acknowledgement is news.
func alertKey(a store.Alert, ack bool) string {
	if ack && a.AcknowledgedAt != nil {
		return a.ID + "+ack"
	}
	return a.ID
}

func alertID(key string) string { return strings.TrimSuffix(key, "+ack") }

// Owed reports whether the entry records a delivery still owed at now.
func Owed(e *store.NotificationEntry, horizon time.Duration, now time.Time) bool {
	return e != nil && !e.OwedSince.IsZero() && now.Sub(e.OwedSince) < horizon
}

// NeedsUpdate decides, from the notification log entry of a group (nil:
// never notified) and the group's firing and resolved alerts alone,
// whether the receiver must be told something and what. It is a pure
// function: the wait stage decides when.
//
// The receiver knows the alerts the entry records as told firing, and
// owes those whose delivery failed within the horizon. A resolved alert
// it knows (or is owed) is news; a firing set unlike the told one is news;
// an unchanged set is repeated after repeat_interval unless every firing
// alert is acknowledged.
func NeedsUpdate(entry *store.NotificationEntry, firing []store.Alert, resolved map[string]store.Alert, o DedupOptions, now time.Time) Decision {
	keys := make([]string, 0, len(firing))
	allAcked := true
	for _, a := range firing {
		keys = append(keys, alertKey(a, o.TracksAck))
		if a.AcknowledgedAt == nil {
			allAcked = false
		}
	}
	slices.Sort(keys)
	told, known := map[string]bool{}, map[string]bool{}
	var prev []string
	if entry != nil {
		prev = slices.Sorted(slices.Values(entry.FiringAlerts))
		for _, k := range entry.FiringAlerts {
			told[alertID(k)], known[alertID(k)] = true, true
		}
		if Owed(entry, o.Horizon, now) {
			for _, k := range entry.OwedFiring {
				known[alertID(k)] = true
			}
		}
	}
	var res, missed []store.Alert
	for _, id := range slices.Sorted(maps.Keys(known)) {
		a, ok := resolved[id]
		switch {
		case !ok:
		case o.DeliverMissedFiring && !told[id]:
			missed = append(missed, a)
		default:
			res = append(res, a)
		}
	}
	d := Decision{Firing: firing, Resolved: res, FiringKeys: keys}
	switch {
	case len(firing) == 0 && len(res) == 0 && len(missed) == 0:
		return Decision{}
	case len(missed) > 0:
		// Tell the firing first; the resolution follows once it is told.
		d.Reason = ReasonMissedFiring
		d.Firing = slices.Clone(firing)
		for _, a := range missed {
			a.State, a.ResolvedAt = store.StateFiring, nil
			d.Firing = append(d.Firing, a)
			d.FiringKeys = append(d.FiringKeys, a.ID)
		}
		slices.Sort(d.FiringKeys)
	case len(prev) == 0:
		d.Reason = ReasonFirst
	case !slices.Equal(prev, keys) || len(res) > 0:
		d.Reason = ReasonChanged
	case !allAcked && !now.Before(entry.SentAt.Add(o.RepeatInterval)):
		d.Reason = ReasonRepeat
	default:
		return Decision{}
	}
	return d
}

// DedupStage decides with NeedsUpdate and builds the notification; it
// ends the flush when the receiver needs no news.
type DedupStage struct {
	Receiver            string
	ExternalURL         string
	DeliverMissedFiring bool
	Horizon             time.Duration
}

// Exec implements Stage.
func (s DedupStage) Exec(_ context.Context, f *Flush) (bool, error) {
	g := f.Group
	d := NeedsUpdate(f.Entry, g.Firing, g.Resolved, DedupOptions{
		TracksAck: tracksAck(f.Integration), RepeatInterval: g.Route.RepeatInterval,
		DeliverMissedFiring: s.DeliverMissedFiring, Horizon: s.Horizon,
	}, f.Now)
	if d.Reason == ReasonNone {
		return false, nil
	}
	f.Decision = d
	f.Notification = &Notification{Receiver: s.Receiver, GroupKey: g.Key, GroupLabels: g.Labels,
		Firing: d.Firing, Resolved: d.Resolved, ExternalURL: s.ExternalURL}
	return true, nil
}
