package notify

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilhq/vigil/store"
)

// Group is the alerts of one route that share the route's group_by labels.
type Group struct {
	Route  *Route
	Key    string // route key + ":" + labels, Alertmanager's shape
	Labels map[string]string
	Firing []store.Alert
	// Resolved are the group's recently resolved alerts (and those still
	// owed a notification), by ID.
	Resolved map[string]store.Alert
}

// GroupKey is a group's key: {}:{alertname="X", route="/a"} on the root.
func GroupKey(route *Route, labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+strconv.Quote(labels[k]))
	}
	return route.Key() + ":{" + strings.Join(parts, ", ") + "}"
}

// Grouper sorts alerts into the groups of the routes they match.
type Grouper struct {
	root   *Route
	groups map[string]*Group
}

// NewGrouper starts an empty grouping on the tree rooted at root.
func NewGrouper(root *Route) *Grouper { return &Grouper{root: root, groups: map[string]*Group{}} }

// Add puts a into the group of every route it matches: firing alerts in
// Firing, resolved ones in Resolved.
func (g *Grouper) Add(a store.Alert) {
	for _, r := range g.root.Match(a.Labels) {
		gl := map[string]string{}
		for _, l := range r.GroupBy {
			if v, ok := a.Labels[l]; ok {
				gl[l] = v
			}
		}
		k := GroupKey(r, gl)
		grp := g.groups[k]
		if grp == nil {
			grp = &Group{Route: r, Key: k, Labels: gl, Resolved: map[string]store.Alert{}}
			g.groups[k] = grp
		}
		if a.State == store.StateResolved {
			grp.Resolved[a.ID] = a
		} else {
			grp.Firing = append(grp.Firing, a)
		}
	}
}

// Groups returns the groups in key order.
func (g *Grouper) Groups() []*Group {
	out := make([]*Group, 0, len(g.groups))
	for _, k := range slices.Sorted(maps.Keys(g.groups)) {
		out = append(out, g.groups[k])
	}
	return out
}
