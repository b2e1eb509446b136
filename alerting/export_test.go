package alerting

import "time"

// WaitIdle waits for notifications in flight.
func WaitIdle(e *Engine) { e.notif.wait() }

// SetBackoff shortens retry waits in tests.
func SetBackoff(e *Engine, d time.Duration) { e.notif.backoff, e.notif.maxWait = d, d }
