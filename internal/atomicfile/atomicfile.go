package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// TempSuffix marks the temp files of the default temp name; a crash can
// leave one behind, and RemoveTemps cleans them up.
const TempSuffix = ".tmp"

// DefaultPerm is the mode of a file written with a zero Options.Perm.
const DefaultPerm os.FileMode = 0o600

// Step names a point inside an operation after which a crash leaves a
// distinct state on disk. Options.Hook is called with each step reached.
type Step string

// The steps, in the order an operation reaches them. A batch reaches
// StepCreate, StepWrite and StepSync once per file, then StepRename once
// per file, then StepSyncDir once per directory.
const (
	StepCreate     Step = "create"      // the temp file exists, empty
	StepWrite      Step = "write"       // the temp file holds the data, perhaps only in the page cache
	StepSync       Step = "sync"        // the temp file's data is durable
	StepRename     Step = "rename"      // the target's name refers to the new data
	StepLink       Step = "link"        // Create: the target's name and the temp name refer to the new data
	StepRemoveTemp Step = "remove-temp" // Create: only the target's name is left
	StepSyncDir    Step = "sync-dir"    // the directory entries are durable
)

// Options tune a write. The zero value writes a file of mode DefaultPerm
// under the default temp name.
type Options struct {
	// Perm is the file's mode, set exactly (the umask does not apply);
	// zero means DefaultPerm.
	Perm os.FileMode
	// TempPattern names the temp file as os.CreateTemp's pattern does (the
	// last "*" becomes a random string). Empty means "<base>.*" +
	// TempSuffix, which RemoveTemps recognises; a caller with a pattern of
	// its own removes its leftovers itself.
	TempPattern string
	// Hook, when set, is called after each step the operation reaches. A
	// non-nil error stops the operation right there and is returned
	// (wrapped), with the files left on disk as a crash at that point would
	// leave them: no temp file is removed. Tests use it to inject failures
	// and crashes; production callers leave it nil.
	Hook func(Step) error
}

func (o Options) perm() os.FileMode {
	if o.Perm == 0 {
		return DefaultPerm
	}
	return o.Perm
}

func (o Options) pattern(path string) string {
	if o.TempPattern == "" {
		return filepath.Base(path) + ".*" + TempSuffix
	}
	return o.TempPattern
}

// errStopped wraps an error a Hook returned, so the operation can tell it
// from a failure it must clean up after.
type errStopped struct{ err error }

func (e errStopped) Error() string { return e.err.Error() }
func (e errStopped) Unwrap() error { return e.err }

func (o Options) step(s Step) error {
	if o.Hook == nil {
		return nil
	}
	if err := o.Hook(s); err != nil {
		return errStopped{fmt.Errorf("atomicfile: stopped after %s: %w", s, err)}
	}
	return nil
}

// Write replaces path with data, atomically and durably, with mode perm:
// when it returns nil the new content survives a crash, and a crash before
// that leaves the old content or the new one.
func Write(path string, data []byte, perm os.FileMode) error {
	return WriteWith(path, data, Options{Perm: perm})
}

// WriteWith is Write with options.
func WriteWith(path string, data []byte, opts Options) error {
	p, err := Prepare(path, data, opts)
	if err != nil {
		return err
	}
	return Commit(p)
}

// SyncDir fsyncs a directory so that creations, renames and removals in it
// are durable.
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

// RemoveTemps deletes the temp files of the default temp name that a crash
// left in dir.
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

// MoveAside renames path to newPath, which must be in the same directory,
// replacing any file there, and fsyncs the directory. A crash leaves the
// file under one name or the other. An error from the rename wraps the
// os error (fs.ErrNotExist if path is gone).
func MoveAside(path, newPath string, opts Options) error {
	dir := filepath.Dir(path)
	if filepath.Dir(newPath) != dir {
		return fmt.Errorf("atomicfile: move %s aside to %s: not the same directory", path, newPath)
	}
	if err := os.Rename(path, newPath); err != nil {
		return fmt.Errorf("atomicfile: move aside: %w", err)
	}
	if err := opts.step(StepRename); err != nil {
		return err
	}
	if err := SyncDir(dir); err != nil {
		return err
	}
	return opts.step(StepSyncDir)
}
