package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// lockFileName is the lock file in the data dir. It holds the PID of the
// process holding the lock; the OS releases the lock when that process
// ends, even by kill -9.
const lockFileName = "vigil.lock"

// errDataDirInUse is returned when another process holds the data dir.
var errDataDirInUse = errors.New("data dir in use")

// lockDataDir takes an OS file lock on dir for the life of the process, so
// two vigil processes never share one SQLite file. The returned function
// releases it.
func lockDataDir(dir string) (unlock func() error, err error) {
	if err := ensureDataDir(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, lockFileName)
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if !ok {
		holder := "another process"
		if b, err := os.ReadFile(path); err == nil { //nolint:gosec // our own lock file
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				holder = "PID " + strconv.Itoa(pid)
			}
		}
		return nil, fmt.Errorf("%w: %s is locked by %s (%s); stop that vigil or give another --data-dir",
			errDataDirInUse, dir, holder, path)
	}
	// Written through a second descriptor: the lock stays with l.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		_ = l.Unlock()
		return nil, fmt.Errorf("lock data dir: write pid: %w", err)
	}
	return l.Unlock, nil
}
