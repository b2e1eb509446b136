package security

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigilhq/vigil/store"
)

// The writer side of the Recorder: one goroutine closes each window, writes
// its rows to the store and, while the store fails, spools them.

func (r *Recorder) run() {
	defer close(r.done)
	if r.cfg.Store == nil {
		for {
			select {
			case res := <-r.flush:
				res <- nil
			case <-r.stop:
				return
			}
		}
	}
	tick := time.NewTicker(r.cfg.Window)
	defer tick.Stop()
	retry := time.NewTicker(r.cfg.RetryInterval)
	defer retry.Stop()
	if r.failing {
		_ = r.cycle(true)
	}
	for {
		select {
		case <-tick.C:
			_ = r.cycle(false)
		case <-retry.C:
			if r.failing {
				_ = r.cycle(true)
			}
		case res := <-r.flush:
			res <- r.cycle(true)
		case <-r.stop:
			if err := r.cycle(true); err != nil {
				r.cfg.Logger.Error("security events not written at shutdown",
					"error", err.Error(), "spooled_rows", r.Stats().Spooled, "waiting_rows", len(r.waiting))
			}
			return
		}
	}
}

// take closes the window: its rows, and a dropped row for what was lost,
// each with a fresh key.
func (r *Recorder) take() []store.SecurityEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows := make([]store.SecurityEvent, 0, len(r.window)+1)
	for _, e := range r.window {
		rows = append(rows, *e)
	}
	clear(r.window)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Time.Before(rows[j].Time) })
	if r.lost > 0 {
		why := make([]string, 0, len(r.lostWhy))
		for w := range r.lostWhy {
			why = append(why, w)
		}
		sort.Strings(why)
		rows = append(rows, store.SecurityEvent{
			Type: EventDropped, Level: "CRITICAL", Time: r.lostFrom, LastAt: r.lostTo, Count: r.lost,
			Client: "vigil", Detail: fmt.Sprintf("%d security events could not be recorded (%s)", r.lost, strings.Join(why, ", ")),
		})
		r.lost = 0
		clear(r.lostWhy)
	}
	for i := range rows {
		rows[i].Key = newEventKey()
	}
	return rows
}

func newEventKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// batchSize bounds the rows of one store transaction.
const batchSize = 500

// cycle writes the closed window. While the store fails (and unless try
// is set: a retry, a Flush, shutdown) rows go straight to the spool.
func (r *Recorder) cycle(try bool) error {
	r.waiting = append(r.waiting, r.take()...)
	if r.failing && !try {
		r.park(nil)
		return nil
	}
	err := r.write()
	r.failing = err != nil
	if err != nil {
		r.park(err)
	}
	r.mu.Lock()
	r.stats.Failing, r.stats.Waiting = r.failing, len(r.waiting)
	if r.spool != nil {
		r.stats.Spooled = r.spool.rows
	}
	r.mu.Unlock()
	return err
}

// write replays the spool, then writes the waiting rows.
func (r *Recorder) write() error {
	if r.spool != nil && r.spool.size > 0 {
		bad, err := r.spool.each(batchSize, func(rows []store.SecurityEvent) error {
			return r.append(rows)
		})
		if err != nil {
			return err
		}
		if err := r.spool.reset(); err != nil {
			return err
		}
		if bad > 0 {
			r.mu.Lock()
			r.lose(context.Background(), int64(bad), r.cfg.Now(), DropTorn)
			r.mu.Unlock()
		}
	}
	for len(r.waiting) > 0 {
		n := min(len(r.waiting), batchSize)
		if err := r.append(r.waiting[:n]); err != nil {
			return err
		}
		r.waiting = r.waiting[n:]
	}
	r.waiting = nil
	return nil
}

// append writes one batch to the store.
func (r *Recorder) append(rows []store.SecurityEvent) error {
	ctx, cancel := context.WithTimeoutCause(context.Background(), r.cfg.WriteTimeout,
		errors.New("security event write timed out"))
	defer cancel()
	if _, err := r.cfg.Store.AppendSecurityEvents(ctx, rows); err != nil {
		return fmt.Errorf("persist security events: %w", err)
	}
	var n int64
	for _, e := range rows {
		n += e.Count
	}
	r.mu.Lock()
	r.stats.Persisted += n
	r.mu.Unlock()
	return nil
}

// park moves the waiting rows to the spool, or keeps up to QueueSize of
// them in memory; what fits nowhere is lost and counted. err is the store
// failure, logged once per failing cycle.
func (r *Recorder) park(err error) {
	if err != nil {
		r.cfg.Logger.Error("persist security events failed; keeping them for a retry",
			"error", err.Error(), "rows", len(r.waiting), "spool", r.spool != nil)
	}
	if r.spool != nil && len(r.waiting) > 0 {
		n, serr := r.spool.append(r.waiting)
		r.waiting = r.waiting[n:]
		if serr != nil && !errors.Is(serr, errSpoolFull) {
			r.cfg.Logger.Error("security event spool failed", "error", serr.Error())
		}
		if len(r.waiting) > 0 {
			r.drop(r.waiting, DropSpool)
			r.waiting = nil
		}
		return
	}
	if over := len(r.waiting) - r.cfg.QueueSize; over > 0 {
		r.drop(r.waiting[:over], DropQueue)
		r.waiting = append([]store.SecurityEvent(nil), r.waiting[over:]...)
	}
}

// drop counts the events of rows as lost. A lost dropped row was counted
// when its events were lost: it is only owed again, in the next one.
func (r *Recorder) drop(rows []store.SecurityEvent, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range rows {
		if e.Type == EventDropped {
			r.owe(e.Count, e.Time, e.LastAt, why)
			continue
		}
		r.lose(context.Background(), e.Count, e.Time, why)
	}
}
