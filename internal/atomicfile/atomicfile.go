// Package atomicfile writes files so that a crash at any instruction leaves
// either the old content or the new one, never a mix or a truncation: write a
// temp file in the same directory, fsync it, rename it over the target, fsync
// the directory.
package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// TempSuffix marks temp files; a crash can leave one behind, and RemoveTemps
// cleans them up.
const TempSuffix = ".tmp"

// Write replaces path with data, atomically and durably.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*"+TempSuffix)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	ok = true
	return SyncDir(dir)
}

// SyncDir fsyncs a directory so that renames and removals in it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync dir %s: %w", dir, err)
	}
	return nil
}

// RemoveTemps deletes temp files a crash left in dir.
func RemoveTemps(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "*"+TempSuffix))
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("atomicfile: %w", err)
		}
	}
	return nil
}
