package notify

import (
	"context"
	"time"

	"github.com/vigilhq/vigil/store"
)

// Muter tells whether an alert is muted (silenced) at now.
type Muter interface {
	Mutes(a store.Alert, now time.Time) bool
}

// MuterFunc adapts a function to a Muter.
type MuterFunc func(a store.Alert, now time.Time) bool

// Mutes calls fn.
func (fn MuterFunc) Mutes(a store.Alert, now time.Time) bool { return fn(a, now) }

// MuteStage drops the group's firing alerts that the Muter mutes; resolved
// alerts are always notified. It ends the flush when nothing is left.
type MuteStage struct{ Muter Muter }

// Exec implements Stage. The group is replaced, never changed in place.
func (s MuteStage) Exec(_ context.Context, f *Flush) (bool, error) {
	g := *f.Group
	g.Firing = nil
	for _, a := range f.Group.Firing {
		if !s.Muter.Mutes(a, f.Now) {
			g.Firing = append(g.Firing, a)
		}
	}
	f.Group = &g
	return len(g.Firing) > 0 || len(g.Resolved) > 0, nil
}
