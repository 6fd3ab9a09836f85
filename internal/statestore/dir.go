package statestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

// Dir is a Store in a local directory. Object "a/b/c" is the file
// a/b/c~obj under the root: the segments before the last are directories,
// and the last carries objSuffix. The suffix holds '~', which names never
// contain, so an object file can never collide with a directory ("a" and
// "a/b" may both exist, as in object storage) nor with a temp file of
// atomicfile ("c~obj.123.tmp" does not end in objSuffix).
//
// Writes go through atomicfile (temp file, fsync, rename, fsync dir), so a
// crash leaves the old object or the new one; PutBatch does the same for
// many objects with their fsyncs concurrent and one directory fsync per
// batch. Temp files a crash leaves behind are removed by OpenDir. Delete
// removes directories it empties.
//
// Names are case-sensitive; on a case-insensitive filesystem "A" and "a"
// would be one object, so use a case-sensitive one (any Linux filesystem).
type Dir struct {
	root string
	// tree orders directory creation against removal: Put holds it shared
	// from creating an object's parent directories until the rename, Delete
	// holds it exclusively while removing emptied directories, so a Put
	// never loses its parent directory half way.
	tree sync.RWMutex
}

var _ Store = (*Dir)(nil)

const (
	objSuffix = "~obj"
	dirPerm   = 0o700
	filePerm  = 0o600
)

// OpenDir opens (creating it if needed) the store rooted at path and removes
// temp files left by interrupted writes. This walks the whole tree once.
func OpenDir(path string) (*Dir, error) {
	if path == "" {
		return nil, errors.New("statestore: empty directory path")
	}
	root, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("statestore: %w", err)
	}
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("statestore: %w", err)
	}
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && strings.HasSuffix(e.Name(), atomicfile.TempSuffix) {
			return os.Remove(p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("statestore: removing stale temp files under %s: %w", root, err)
	}
	return &Dir{root: root}, nil
}

// Root returns the store's directory.
func (d *Dir) Root() string { return d.root }

// path returns the file of a valid name.
func (d *Dir) path(name string) string {
	return filepath.Join(d.root, filepath.FromSlash(name)+objSuffix)
}

func checkName(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("statestore: %w", err)
	}
	return ValidateName(name)
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, name string, data []byte) error {
	if err := checkName(ctx, name); err != nil {
		return err
	}
	if len(data) > MaxObjectSize {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooLarge, name, len(data), MaxObjectSize)
	}
	p := d.path(name)
	d.tree.RLock()
	defer d.tree.RUnlock()
	if err := d.mkdirs(filepath.Dir(p)); err != nil {
		return fmt.Errorf("statestore: put %s: %w", name, err)
	}
	if err := atomicfile.Write(p, data, filePerm); err != nil {
		return fmt.Errorf("statestore: put %s: %w", name, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents under the root, fsyncing each
// parent that gained an entry so the new object's path survives a crash.
func (d *Dir) mkdirs(dir string) error {
	if dir == d.root {
		return nil
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	parent := filepath.Dir(dir)
	if err := d.mkdirs(parent); err != nil {
		return err
	}
	if err := os.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return atomicfile.SyncDir(parent)
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(ctx, name); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, fmt.Errorf("statestore: get %s: %w", name, err)
	}
	defer f.Close()
	// Read one byte past the bound, so that an object grown on disk beyond
	// it (by the host) is refused rather than read whole into memory. The
	// buffer is sized from the file's size up front (one byte more, to see
	// the end in the same pass): reading a large object into a growing
	// buffer would copy it several times over.
	size := 512
	if st, err := f.Stat(); err == nil {
		if st.Size() > MaxObjectSize {
			return nil, fmt.Errorf("%w: %s on disk exceeds %d bytes", ErrTooLarge, name, MaxObjectSize)
		}
		size = int(st.Size()) + 1
	}
	data, err := readAll(io.LimitReader(f, MaxObjectSize+1), size)
	if err != nil {
		return nil, fmt.Errorf("statestore: get %s: %w", name, err)
	}
	if len(data) > MaxObjectSize {
		return nil, fmt.Errorf("%w: %s on disk exceeds %d bytes", ErrTooLarge, name, MaxObjectSize)
	}
	return data, nil
}

// Delete implements Store. It removes the parent directories it empties, up
// to the root.
func (d *Dir) Delete(ctx context.Context, name string) error {
	if err := checkName(ctx, name); err != nil {
		return err
	}
	p := d.path(name)
	d.tree.Lock()
	defer d.tree.Unlock()
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return fmt.Errorf("statestore: delete %s: %w", name, err)
	}
	dir := filepath.Dir(p)
	for dir != d.root {
		// Fails (ENOTEMPTY) as soon as a directory still holds something.
		if os.Remove(dir) != nil {
			break
		}
		dir = filepath.Dir(dir)
	}
	if err := atomicfile.SyncDir(dir); err != nil {
		return fmt.Errorf("statestore: delete %s: %w", name, err)
	}
	return nil
}

// List implements Store. It walks only the deepest directory the prefix
// names in full.
func (d *Dir) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("statestore: %w", err)
	}
	names := []string{}
	start := d.root
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		// Every name starting with prefix has prefix[:i] as its leading
		// whole segments, so if that is not a valid name nothing matches.
		if ValidateName(prefix[:i]) != nil {
			return names, nil
		}
		start = filepath.Join(d.root, filepath.FromSlash(prefix[:i]))
	}
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				// The start directory does not exist, or a Delete removed
				// a directory under the walk: it holds no objects.
				if e == nil || e.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !strings.HasSuffix(e.Name(), objSuffix) {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(strings.TrimSuffix(rel, objSuffix))
		if strings.HasPrefix(name, prefix) && ValidateName(name) == nil {
			names = append(names, name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("statestore: list %q: %w", prefix, err)
	}
	slices.Sort(names)
	return names, nil
}

// readAll is io.ReadAll starting from a buffer of capacity size.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if errors.Is(err, io.EOF) {
				return b, nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow: the file changed under the read
		}
	}
}
