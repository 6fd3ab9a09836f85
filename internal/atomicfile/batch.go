package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Pending is a file's new content, durable under a temp name beside its
// target and not yet visible under the target's name. Commit publishes it;
// Discard drops it.
type Pending struct {
	path, tmp string
	opts      Options
}

// Path returns the target the pending content replaces.
func (p *Pending) Path() string { return p.path }

// Prepare writes data to a new temp file in path's directory with the mode
// opts asks for, fsyncs it and closes it. Prepare calls for different files
// may run concurrently. On error no temp file is left behind (unless
// opts.Hook stopped it, as a crash would).
func Prepare(path string, data []byte, opts Options) (*Pending, error) {
	tmp, err := prepare(path, data, opts)
	if err != nil {
		return nil, err
	}
	return &Pending{path: path, tmp: tmp, opts: opts}, nil
}

// prepare is Prepare, returning the temp file's path.
func prepare(path string, data []byte, opts Options) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), opts.pattern(path))
	if err != nil {
		return "", fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err == nil {
			return
		}
		_ = f.Close() // fails harmlessly if already closed
		if !errors.As(err, new(errStopped)) {
			// The error that brought us here is the one to report.
			_ = os.Remove(f.Name())
		}
	}()
	if err := opts.step(StepCreate); err != nil {
		return "", err
	}
	if err := f.Chmod(opts.perm()); err != nil {
		return "", fmt.Errorf("atomicfile: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return "", fmt.Errorf("atomicfile: writing %s: %w", f.Name(), err)
	}
	if err := opts.step(StepWrite); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", fmt.Errorf("atomicfile: fsync %s: %w", f.Name(), err)
	}
	if err := opts.step(StepSync); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("atomicfile: %w", err)
	}
	return f.Name(), nil
}

// Discard removes the temp file of a Pending that will not be committed.
// Discarding a committed or discarded Pending does nothing.
func (p *Pending) Discard() {
	if p.tmp != "" {
		_ = os.Remove(p.tmp) // the caller is already on an error path
		p.tmp = ""
	}
}

// Commit publishes each pending file, in order, by renaming its temp file
// over its target, then fsyncs each directory a rename changed, once, in
// the order the directories first appear. Every temp file was fsynced by
// Prepare, so no target ever refers to data that is not durable. When
// Commit returns nil every target holds its new content durably. On error
// the files not yet renamed are discarded; those renamed keep their new
// content, perhaps not durably.
func Commit(ps ...*Pending) (err error) {
	renamed := 0
	defer func() {
		if err == nil || errors.As(err, new(errStopped)) {
			return // a Hook's stop leaves the files as a crash would
		}
		for _, p := range ps[renamed:] {
			p.Discard()
		}
	}()
	for _, p := range ps {
		if p.tmp == "" {
			return fmt.Errorf("atomicfile: commit %s: already committed or discarded", p.path)
		}
	}
	var dirs []string
	first := map[string]*Pending{} // a directory's first file, whose Hook sees its sync
	for _, p := range ps {
		if err := os.Rename(p.tmp, p.path); err != nil {
			return fmt.Errorf("atomicfile: %w", err)
		}
		p.tmp = ""
		renamed++
		if dir := filepath.Dir(p.path); first[dir] == nil {
			first[dir] = p
			dirs = append(dirs, dir)
		}
		if err := p.opts.step(StepRename); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		if err := SyncDir(dir); err != nil {
			return err
		}
		if err := first[dir].opts.step(StepSyncDir); err != nil {
			return err
		}
	}
	return nil
}

// Create creates path holding data, which must not exist yet: it never
// replaces a file, and when path exists (a concurrent Create won the race)
// it returns an error wrapping fs.ErrExist. A crash leaves no file at path
// or the whole new one; a temp file with opts' pattern may be left behind.
func Create(path string, data []byte, opts Options) error {
	tmp, err := prepare(path, data, opts)
	if err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		_ = os.Remove(tmp) // the link's error is the one to report
		return fmt.Errorf("atomicfile: create %s: %w", path, err)
	}
	if err := opts.step(StepLink); err != nil {
		return err
	}
	// After the link the data lives on under the target's name.
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("atomicfile: create %s: %w", path, err)
	}
	if err := opts.step(StepRemoveTemp); err != nil {
		return err
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return err
	}
	return opts.step(StepSyncDir)
}
