package security

import (
	"sync"
	"time"
)

// logThrottle rate-limits repeated log lines: at most one line per key per
// every, and at most rate lines per second in all. A line that is let
// through carries how many lines of its key were suppressed since the
// previous one, and how many lines of other keys the overall cap
// suppressed since the previous line.
type logThrottle struct {
	every   time.Duration
	rate    int
	maxKeys int

	mu    sync.Mutex
	keys  map[string]*throttled
	sec   time.Time // the second being counted against rate
	n     int       // lines in sec
	other int64     // suppressed lines not attributed to a tracked key
}

type throttled struct {
	last       time.Time
	suppressed int64
}

func newLogThrottle(every time.Duration, rate, maxKeys int) *logThrottle {
	return &logThrottle{every: every, rate: rate, maxKeys: maxKeys, keys: map[string]*throttled{}}
}

// allow reports whether the line of key may be written at now, and the
// suppressed counts it must carry.
func (l *logThrottle) allow(key string, now time.Time) (ok bool, suppressed, other int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.keys[key]
	if e != nil && now.Sub(e.last) < l.every {
		e.suppressed++
		return false, 0, 0
	}
	if sec := now.Truncate(time.Second); !sec.Equal(l.sec) {
		l.sec, l.n = sec, 0
	}
	if l.n >= l.rate {
		if e != nil {
			e.suppressed++
		} else {
			l.other++
		}
		return false, 0, 0
	}
	l.n++
	if e == nil {
		if len(l.keys) >= l.maxKeys {
			l.sweep(now)
		}
		e = &throttled{}
		l.keys[key] = e
	}
	suppressed, other = e.suppressed, l.other
	e.last, e.suppressed, l.other = now, 0, 0
	return true, suppressed, other
}

// sweep forgets keys quiet for longer than every; their suppressed counts
// move to other so that the next line still reports them.
func (l *logThrottle) sweep(now time.Time) {
	for k, e := range l.keys {
		if now.Sub(e.last) >= l.every || len(l.keys) >= l.maxKeys {
			l.other += e.suppressed
			delete(l.keys, k)
		}
	}
}
