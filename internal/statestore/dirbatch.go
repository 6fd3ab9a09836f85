package statestore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/gatekeeper-net/gatekeeper/internal/atomicfile"
)

var _ BatchStore = (*Dir)(nil)

// batchWriters is how many files of a batch PutBatch writes and fsyncs at
// once. The filesystem journal serves concurrent fsyncs with one commit and
// the disk with a deeper queue, and copying data into the page cache (which
// on some VMs costs more CPU than the encryption of the same bytes) spreads
// over cores: that, with one directory fsync per batch instead of one per
// object, is what batching gains.
const batchWriters = 8

// PutBatch implements BatchStore. Every object is written as Put writes it
// (a temp file beside the object, written, fsynced and closed, then renamed
// over the object), up to batchWriters files at a time; the renames follow,
// in order, once every file is durable, and each directory a rename changed
// is fsynced once at the end. A crash at any point leaves each name with its
// old object or its new one, never a mix: a file is renamed over its object
// only after its own fsync returned. A stray temp file is removed by
// OpenDir.
func (d *Dir) PutBatch(ctx context.Context, objs []Object) error {
	if err := checkBatch(ctx, objs); err != nil {
		return err
	}
	d.tree.RLock()
	defer d.tree.RUnlock()
	temps := make([]string, len(objs))
	renamed := 0
	defer func() {
		for _, tmp := range temps[renamed:] {
			if tmp != "" {
				os.Remove(tmp)
			}
		}
	}()
	if err := d.writeTemps(ctx, objs, temps); err != nil {
		return err
	}
	dirs := map[string]bool{}
	for i, o := range objs {
		p := d.path(o.Name)
		if err := os.Rename(temps[i], p); err != nil {
			return fmt.Errorf("statestore: put %s: %w", o.Name, err)
		}
		renamed++
		dirs[filepath.Dir(p)] = true
	}
	for dir := range dirs {
		if err := atomicfile.SyncDir(dir); err != nil {
			return fmt.Errorf("statestore: put batch: %w", err)
		}
	}
	return nil
}

// writeTemps writes each object to a durable temp file beside it, recording
// its path in temps, batchWriters at a time.
func (d *Dir) writeTemps(ctx context.Context, objs []Object, temps []string) error {
	work := make(chan int)
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for range min(batchWriters, len(objs)) {
		wg.Go(func() {
			for i := range work {
				if err := ctx.Err(); err != nil {
					errs[i] = fmt.Errorf("statestore: put batch: %w", err)
					continue
				}
				temps[i], errs[i] = d.writeTemp(objs[i])
			}
		})
	}
	for i := range objs {
		work <- i
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

// writeTemp writes o to a new temp file in its object's directory and
// fsyncs it. It returns the temp file's path, or "" with the error (and no
// file left behind).
func (d *Dir) writeTemp(o Object) (string, error) {
	p := d.path(o.Name)
	if err := d.mkdirs(filepath.Dir(p)); err != nil {
		return "", fmt.Errorf("statestore: put %s: %w", o.Name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".*"+atomicfile.TempSuffix)
	if err != nil {
		return "", fmt.Errorf("statestore: put %s: %w", o.Name, err)
	}
	err = f.Chmod(filePerm)
	if err == nil {
		_, err = f.Write(o.Data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("statestore: put %s: %w", o.Name, err)
	}
	return f.Name(), nil
}
