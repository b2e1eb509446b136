// Package cowmap is a copy-on-write map for the caches the instrumentation
// reads on every request.
package cowmap

import (
	"sync"
	"sync/atomic"
)

// MaxEntries bounds every Map: beyond it values are computed but not
// cached.
const MaxEntries = 8192

// Map is a copy-on-write map: lookups are lock-free and do not allocate
// (unlike sync.Map, which boxes struct keys), writes copy the map. It suits
// caches that are read on every request and written a bounded number of
// times. The zero value is an empty map.
type Map[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

// Load returns the value of k.
func (c *Map[K, V]) Load(k K) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

// Store sets the value of k, unless the map already holds MaxEntries.
func (c *Map[K, V]) Store(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	n := 0
	if old != nil {
		n = len(*old)
	}
	if n >= MaxEntries {
		return
	}
	next := make(map[K]V, n+1)
	if old != nil {
		for kk, vv := range *old {
			next[kk] = vv
		}
	}
	next[k] = v
	c.m.Store(&next)
}

// Range calls f for every entry of one snapshot of the map.
func (c *Map[K, V]) Range(f func(K, V)) {
	if m := c.m.Load(); m != nil {
		for k, v := range *m {
			f(k, v)
		}
	}
}
