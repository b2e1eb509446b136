package security

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vigilhq/vigil/internal/atomicfile"
	"github.com/vigilhq/vigil/store"
)

// SpoolFile is the name of the spool in RecorderConfig.SpoolDir.
const SpoolFile = "security-events.spool"

// errSpoolFull is returned by spool.append when a row does not fit.
var errSpoolFull = errors.New("security event spool full")

// spoolRow is one line of the spool: a row and its idempotency key.
type spoolRow struct {
	store.SecurityEvent
	Key string `json:"key"`
}

// spool holds the event rows the store could not take, one JSON object
// per line, fsynced after every append, so they survive a restart and are
// replayed (idempotently, by key) once the store answers again.
type spool struct {
	path string
	max  int64
	f    *os.File
	size int64
	rows int
}

// openSpool opens (or creates) the spool in dir, counting the rows a
// previous process left there.
func openSpool(dir string, max int64) (*spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("security spool: %w", err)
	}
	path := filepath.Join(dir, SpoolFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("security spool: %w", err)
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		// A new spool: its directory entry must survive a crash as its
		// fsynced rows do.
		if err := atomicfile.SyncDir(dir); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("security spool: %w", err)
		}
	}
	s := &spool{path: path, max: max, f: f}
	if _, err := s.each(1<<30, func([]store.SecurityEvent) error { return nil }); err != nil {
		_ = f.Close()
		return nil, err
	}
	return s, nil
}

// append writes rows until one does not fit (errSpoolFull) and returns how
// many it wrote; they are on disk when it returns.
func (s *spool) append(rows []store.SecurityEvent) (int, error) {
	var buf bytes.Buffer
	n := 0
	var err error
	for _, r := range rows {
		line, merr := json.Marshal(spoolRow{SecurityEvent: r, Key: r.Key})
		if merr != nil {
			err = fmt.Errorf("security spool: encode: %w", merr)
			break
		}
		if s.size+int64(buf.Len()+len(line)+1) > s.max {
			err = errSpoolFull
			break
		}
		buf.Write(line)
		buf.WriteByte('\n')
		n++
	}
	if buf.Len() == 0 {
		return 0, err
	}
	if _, werr := s.f.Write(buf.Bytes()); werr != nil {
		return 0, fmt.Errorf("security spool: write: %w", werr)
	}
	if serr := s.f.Sync(); serr != nil {
		return 0, fmt.Errorf("security spool: sync: %w", serr)
	}
	s.size += int64(buf.Len())
	s.rows += n
	return n, err
}

// each reads the spool from the start and hands fn batches of at most n
// rows. It returns how many lines could not be decoded (a write torn by a
// crash); it recounts the rows and size as it goes.
func (s *spool) each(n int, fn func([]store.SecurityEvent) error) (bad int, err error) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("security spool: %w", err)
	}
	sc := bufio.NewScanner(s.f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var batch []store.SecurityEvent
	rows, size := 0, int64(0)
	for sc.Scan() {
		size += int64(len(sc.Bytes()) + 1)
		var r spoolRow
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			bad++
			continue
		}
		r.SecurityEvent.Key = r.Key
		batch = append(batch, r.SecurityEvent)
		rows++
		if len(batch) == n {
			if err := fn(batch); err != nil {
				return bad, err
			}
			batch = batch[:0]
		}
	}
	if err := sc.Err(); err != nil {
		return bad, fmt.Errorf("security spool: read: %w", err)
	}
	if len(batch) > 0 {
		if err := fn(batch); err != nil {
			return bad, err
		}
	}
	s.rows, s.size = rows, size
	return bad, nil
}

// reset empties the spool once every row is in the store.
func (s *spool) reset() error {
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("security spool: truncate: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("security spool: sync: %w", err)
	}
	s.size, s.rows = 0, 0
	return nil
}

func (s *spool) close() error { return s.f.Close() }
