package alerting

import (
	"fmt"

	"github.com/vigilhq/vigil/alerting/labels"
	"github.com/vigilhq/vigil/alerting/notify"
)

// Route is the root of the routing tree: it takes every alert, and sends
// to its Receiver the alerts none of its child Routes takes.
//
//	route:
//	  receiver: slack
//	  group_by: [alertname, route]
//	  routes:
//	    - matchers: ["severity=critical"]
//	      receiver: pagerduty
//	      group_wait: 0s
type Route struct {
	Receiver       string   `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	GroupBy        []string `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	GroupWait      Duration `yaml:"group_wait" json:"group_wait"`           // default 30s
	GroupInterval  Duration `yaml:"group_interval" json:"group_interval"`   // default 5m
	RepeatInterval Duration `yaml:"repeat_interval" json:"repeat_interval"` // default 4h
	// Routes are child routes, tried in order.
	Routes []ChildRoute `yaml:"routes,omitempty" json:"routes,omitempty"`
}

// ChildRoute is a route below the root, as Alertmanager's: an alert that
// matches every matcher goes to the deepest matching child routes, else to
// this one; without Continue the first matching sibling ends the search.
// Receiver, GroupBy and the timers are inherited from the parent when not
// set.
type ChildRoute struct {
	// Matchers in Alertmanager's syntax: "severity=critical",
	// "team=~api|web", "env!=dev", `route!~"/internal/.*"`.
	Matchers       []string     `yaml:"matchers,omitempty" json:"matchers,omitempty"`
	Continue       bool         `yaml:"continue,omitempty" json:"continue,omitempty"`
	Receiver       string       `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	GroupBy        []string     `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	GroupWait      *Duration    `yaml:"group_wait,omitempty" json:"group_wait,omitempty"`
	GroupInterval  *Duration    `yaml:"group_interval,omitempty" json:"group_interval,omitempty"`
	RepeatInterval *Duration    `yaml:"repeat_interval,omitempty" json:"repeat_interval,omitempty"`
	Routes         []ChildRoute `yaml:"routes,omitempty" json:"routes,omitempty"`
}

func (r *Route) applyDefaults(d Route) {
	if r.GroupInterval == 0 {
		r.GroupInterval = d.GroupInterval
	}
	if r.RepeatInterval == 0 {
		r.RepeatInterval = d.RepeatInterval
	}
}

type badFunc = func(path, format string, args ...any)

func (r *Route) validate(recv map[string]bool, bad badFunc) {
	if r.Receiver != "" && !recv[r.Receiver] {
		bad("route.receiver", "unknown receiver %q", r.Receiver)
	}
	validateGroupBy("route", r.GroupBy, bad)
	if r.GroupWait < 0 {
		bad("route.group_wait", "must be >= 0")
	}
	if r.GroupInterval <= 0 {
		bad("route.group_interval", "must be > 0")
	}
	if r.RepeatInterval <= 0 {
		bad("route.repeat_interval", "must be > 0")
	}
	for i := range r.Routes {
		r.Routes[i].validate(fmt.Sprintf("route.routes[%d]", i), recv, bad)
	}
}

func validateGroupBy(p string, gb []string, bad badFunc) {
	for i, l := range gb {
		if !labels.ValidName(l) {
			bad(fmt.Sprintf("%s.group_by[%d]", p, i), "invalid label name %q", l)
		}
	}
}

func (c *ChildRoute) validate(p string, recv map[string]bool, bad badFunc) {
	if c.Receiver != "" && !recv[c.Receiver] {
		bad(p+".receiver", "unknown receiver %q", c.Receiver)
	}
	for i, m := range c.Matchers {
		if _, err := labels.ParseMatcher(m); err != nil {
			bad(fmt.Sprintf("%s.matchers[%d]", p, i), "%v", err)
		}
	}
	validateGroupBy(p, c.GroupBy, bad)
	if c.GroupWait != nil && *c.GroupWait < 0 {
		bad(p+".group_wait", "must be >= 0")
	}
	if c.GroupInterval != nil && *c.GroupInterval <= 0 {
		bad(p+".group_interval", "must be > 0")
	}
	if c.RepeatInterval != nil && *c.RepeatInterval <= 0 {
		bad(p+".repeat_interval", "must be > 0")
	}
	for i := range c.Routes {
		c.Routes[i].validate(fmt.Sprintf("%s.routes[%d]", p, i), recv, bad)
	}
}

// tree resolves the routing tree for the notification pipeline: every
// child inherits what it does not set. The configuration is valid.
func (r *Route) tree() *notify.Route {
	root := &notify.Route{Receiver: r.Receiver, GroupBy: r.GroupBy, GroupWait: r.GroupWait.D(),
		GroupInterval: r.GroupInterval.D(), RepeatInterval: r.RepeatInterval.D()}
	for i := range r.Routes {
		root.Routes = append(root.Routes, r.Routes[i].node(root))
	}
	return root
}

func (c *ChildRoute) node(parent *notify.Route) *notify.Route {
	n := &notify.Route{Receiver: parent.Receiver, GroupBy: parent.GroupBy, GroupWait: parent.GroupWait,
		GroupInterval: parent.GroupInterval, RepeatInterval: parent.RepeatInterval, Continue: c.Continue}
	if c.Receiver != "" {
		n.Receiver = c.Receiver
	}
	if c.GroupBy != nil {
		n.GroupBy = c.GroupBy
	}
	if c.GroupWait != nil {
		n.GroupWait = c.GroupWait.D()
	}
	if c.GroupInterval != nil {
		n.GroupInterval = c.GroupInterval.D()
	}
	if c.RepeatInterval != nil {
		n.RepeatInterval = c.RepeatInterval.D()
	}
	for _, m := range c.Matchers {
		pm, err := labels.ParseMatcher(m)
		if err == nil {
			n.Matchers = append(n.Matchers, pm)
		}
	}
	for i := range c.Routes {
		n.Routes = append(n.Routes, c.Routes[i].node(n))
	}
	return n
}
