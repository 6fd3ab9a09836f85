package statestore

import (
	"context"
	"errors"
	"fmt"
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

// PutBatch implements BatchStore. Every object is prepared as Put writes it
// (atomicfile.Prepare: a temp file beside the object, written, fsynced and
// closed), up to batchWriters files at a time; atomicfile.Commit then renames
// them over their objects, in order, once every file is durable, and fsyncs
// each directory a rename changed once at the end. A crash at any point
// leaves each name with its old object or its new one, never a mix: a file
// is renamed over its object only after its own fsync returned. A stray
// temp file is removed by OpenDir.
func (d *Dir) PutBatch(ctx context.Context, objs []Object) error {
	if err := checkBatch(ctx, objs); err != nil {
		return err
	}
	d.tree.RLock()
	defer d.tree.RUnlock()
	pending := make([]*atomicfile.Pending, len(objs))
	if err := d.prepareAll(ctx, objs, pending); err != nil {
		for _, p := range pending {
			if p != nil {
				p.Discard()
			}
		}
		return err
	}
	if err := atomicfile.Commit(pending...); err != nil {
		return fmt.Errorf("statestore: put batch: %w", err)
	}
	return nil
}

// prepareAll prepares each object's durable temp file beside it, recording
// it in pending, batchWriters at a time.
func (d *Dir) prepareAll(ctx context.Context, objs []Object, pending []*atomicfile.Pending) error {
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
				pending[i], errs[i] = d.prepare(objs[i])
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

// prepare writes o to a new durable temp file in its object's directory,
// creating the directory if needed. On error no file is left behind.
func (d *Dir) prepare(o Object) (*atomicfile.Pending, error) {
	p := d.path(o.Name)
	if err := d.mkdirs(filepath.Dir(p)); err != nil {
		return nil, fmt.Errorf("statestore: put %s: %w", o.Name, err)
	}
	pending, err := atomicfile.Prepare(p, o.Data, atomicfile.Options{Perm: filePerm})
	if err != nil {
		return nil, fmt.Errorf("statestore: put %s: %w", o.Name, err)
	}
	return pending, nil
}
