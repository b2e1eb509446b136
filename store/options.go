package store

import (
	"log/slog"
	"time"

	"github.com/vigilhq/vigil/internal/option"
)

// Option configures Open, OpenSQLite and OpenPostgres.
type Option interface{ apply(config) config }

type config struct {
	logger   *slog.Logger
	now      func() time.Time
	maxConns int
	walLimit int64
}

type optionFunc func(config) config

func (f optionFunc) apply(c config) config { return f(c) }

func newConfig(opts []Option) config {
	c := config{
		logger:   slog.New(slog.DiscardHandler),
		now:      time.Now,
		walLimit: DefaultWALLimit,
	}
	for _, o := range opts {
		if o != nil {
			c = o.apply(c)
		}
	}
	return c
}

// WithLogger sets the logger that reports migrations.
// Default: a logger that discards everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(option.When(l != nil, func(c *config) { c.logger = l }))
}

// WithClock sets the clock used for leases on SQLite and for the Time of
// events appended without one. PostgreSQL leases always use the database's
// clock so that replicas agree. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(option.When(now != nil, func(c *config) { c.now = now }))
}

// WithMaxConns sets the maximum number of PostgreSQL connections in the pool
// or SQLite reader connections. Default: the pool's own default for
// PostgreSQL (max(4, GOMAXPROCS)), 4 readers for SQLite; SQLite always has
// exactly one writer connection.
func WithMaxConns(n int) Option {
	return optionFunc(option.When(n > 0, func(c *config) { c.maxConns = n }))
}

// DefaultWALLimit is the SQLite write-ahead log size above which the store
// checkpoints it and truncates it to zero.
const DefaultWALLimit = 16 << 20

// WithWALLimit bounds the SQLite write-ahead log: when it grows past limit
// bytes (readers keeping SQLite's own checkpoints from ever resetting it),
// the store checkpoints it with truncation, and it never keeps more than
// limit bytes after a checkpoint. Default: DefaultWALLimit (16 MiB).
// Ignored by PostgreSQL.
func WithWALLimit(limit int64) Option {
	return optionFunc(option.When(limit > 0, func(c *config) { c.walLimit = limit }))
}
