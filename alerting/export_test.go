package alerting

import (
	"time"

	"github.com/vigilhq/vigil/alerting/notify"
)

// WaitIdle waits for notifications in flight.
func WaitIdle(e *Engine) { e.Notifications.Wait() }

// SetBackoff shortens retry waits in tests: the engine's pipeline is
// rebuilt with them.
func SetBackoff(e *Engine, d time.Duration) {
	cfg := e.notifyCfg
	cfg.Retry.Backoff, cfg.Retry.MaxBackoff = d, d
	p, err := notify.New(cfg)
	if err != nil {
		panic(err)
	}
	_ = e.Notifications.Close()
	e.Notifications, e.notifyCfg = p, cfg
	e.cfg.Notifier = p
}
