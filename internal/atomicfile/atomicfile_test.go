package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigilhq/vigil/internal/atomicfile"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileReplacesTheFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.csv")
	require.NoError(t, atomicfile.WriteFile(path, []byte("old"), 0o600))
	require.NoError(t, atomicfile.WriteFile(path, []byte("new content"), 0o644))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new content", string(b))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "the permissions asked for, not CreateTemp's 0600")
	assert.Equal(t, []string{"report.csv"}, entries(t, dir), "no temporary file left")
}

func TestWriteLeavesTheOldFileWhenTheWriterFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openapi.json")
	require.NoError(t, atomicfile.WriteFile(path, []byte("v1"), 0o644))
	boom := errors.New("render failed")
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, _ = io.WriteString(w, "half of v2")
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), path)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "v1", string(b))
	assert.Equal(t, []string{"openapi.json"}, entries(t, dir), "the temporary file is removed")
}

func TestWriteFailsInAMissingDirectory(t *testing.T) {
	err := atomicfile.WriteFile(filepath.Join(t.TempDir(), "missing", "x"), []byte("x"), 0o644)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Error(t, atomicfile.SyncDir(filepath.Join(t.TempDir(), "missing")))
	assert.NoError(t, atomicfile.SyncDir(t.TempDir()))
}
