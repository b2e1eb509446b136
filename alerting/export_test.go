package alerting

import (
	"time"

	"github.com/vigilhq/vigil/alerting/notify"
)

// WaitIdle waits for notifications in flight.
func WaitIdle(e *Engine) { e.notif.Wait() }

// SetBackoff shortens retry waits in tests.
func SetBackoff(e *Engine, d time.Duration) {
	cfg := e.notifyConfig()
	cfg.Retry.Backoff, cfg.Retry.MaxBackoff = d, d
	p, err := notify.New(cfg)
	if err != nil {
		panic(err)
	}
	_ = e.notif.Close()
	e.notif = p
}
