package notify

import (
	"strconv"
	"time"

	"github.com/vigilhq/vigil/alerting/labels"
)

// Route is a node of the routing tree, with its settings resolved (a child
// inherits what it does not set). Build the tree, then hand the root to
// New, which names every node.
type Route struct {
	Receiver       string
	GroupBy        []string
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	Matchers       labels.Matchers
	// Continue: an alert that matches this route also tries the next
	// siblings.
	Continue bool
	Routes   []*Route

	key string
}

// Match returns the routes that take an alert with these labels: a
// depth-first, left-to-right search where an alert goes to the deepest
// matching routes and a route matches itself only when none of its
// children does. Without continue, the first matching child ends the
// search at its level. A route whose own matchers fail returns nil.
func (r *Route) Match(l map[string]string) []*Route {
	if !r.Matchers.Matches(l) {
		return nil
	}
	var all []*Route
	for _, c := range r.Routes {
		m := c.Match(l)
		all = append(all, m...)
		if m != nil && !c.Continue {
			break
		}
	}
	if len(all) == 0 {
		all = append(all, r)
	}
	return all
}

// Key names the route in group keys, Alertmanager-style: the root is {},
// a child its parent's key, its matchers and its index
// ({}/{severity="critical"}/0), so two routes to one receiver never share
// a group (or a notification log entry).
func (r *Route) Key() string { return r.key }

// name gives every node its key.
func (r *Route) name(parent string, idx int) {
	if parent == "" {
		r.key = "{}"
	} else {
		r.key = parent + "/" + r.Matchers.String() + "/" + strconv.Itoa(idx)
	}
	for i, c := range r.Routes {
		c.name(r.key, i)
	}
}

// walk visits every node, depth first.
func (r *Route) walk(visit func(*Route)) {
	visit(r)
	for _, c := range r.Routes {
		c.walk(visit)
	}
}
