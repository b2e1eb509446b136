package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable marks an error as the store being unreachable for now (a
// retry later may succeed), as opposed to a bad request or a bug. A Store
// may wrap it; IsUnavailable also recognises the drivers' own errors.
var ErrUnavailable = errors.New("store unavailable")

// IsUnavailable reports whether err means the store could not be reached
// or did not answer in time: ErrUnavailable, a refused or broken
// connection (also one cut mid-answer), a closed pool, a timeout or deadline, a database locked
// past its busy timeout, a PostgreSQL shutting down or out of
// connections. HTTP handlers answer these with 503 and
// Retry-After instead of 500.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, puddle.ErrClosedPool) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) ||
		errors.Is(err, io.ErrUnexpectedEOF) { // a connection cut mid-answer
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		// Class 08 connection exceptions; shutting down, cannot connect
		// now (57P01-57P03); too many connections (53300).
		return len(pe.Code) == 5 && (pe.Code[:2] == "08" || pe.Code[:4] == "57P0" || pe.Code == "53300")
	}
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}
