package store

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// walCheckInterval is how often the keeper looks at the WAL's size; a stat
// is cheap, and between two looks the WAL grows by at most what the single
// writer commits in that time.
const walCheckInterval = 250 * time.Millisecond

// walMaxAge: a WAL that stays under the limit is still truncated this
// often, so an idle store gives its disk back.
const walMaxAge = 5 * time.Minute

// walKeeper bounds the SQLite write-ahead log. SQLite's automatic
// checkpoints are passive: while readers overlap (the read pool under
// steady traffic) none completes, the WAL is never reset, and it grows
// without limit (seen: 361 MB for 20 000 security events). A TRUNCATE
// checkpoint waits for the readers of old frames (busy_timeout), copies
// every frame into the database and truncates the WAL to zero bytes.
type walKeeper struct {
	s     *SQLite
	path  string
	limit int64
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

func startWALKeeper(s *SQLite, dbPath string, limit int64) *walKeeper {
	k := &walKeeper{s: s, path: dbPath + "-wal", limit: limit, stop: make(chan struct{}), done: make(chan struct{})}
	go k.run()
	return k
}

func (k *walKeeper) run() {
	defer close(k.done)
	t := time.NewTicker(walCheckInterval)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
		}
		st, err := os.Stat(k.path)
		if err != nil || st.Size() == 0 {
			continue
		}
		if st.Size() <= k.limit && time.Since(last) < walMaxAge {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = k.s.Checkpoint(ctx)
		cancel()
		if err != nil {
			k.s.cfg.logger.Warn("sqlite wal checkpoint failed; retrying", "error", err, "wal_bytes", st.Size())
			continue
		}
		last = time.Now()
	}
}

func (k *walKeeper) close() {
	k.once.Do(func() { close(k.stop) })
	<-k.done
}

// Checkpoint copies the whole write-ahead log into the database and
// truncates it to zero bytes (PRAGMA wal_checkpoint(TRUNCATE)), waiting
// for readers of older frames up to the busy timeout. The store does it
// by itself when the WAL passes its limit (WithWALLimit).
func (s *SQLite) Checkpoint(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	if err := s.w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("wal checkpoint: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("wal checkpoint: busy: %d of %d frames checkpointed", checkpointed, logFrames)
	}
	return nil
}
