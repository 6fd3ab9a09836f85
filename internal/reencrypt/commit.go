package reencrypt

import (
	"context"

	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// useBatch reports whether Run writes through statestore.BatchStore.PutBatch
// when the store has it: not for Verify (no writes), not with a
// ConditionalStore (whose PutIfUnchanged is per object), and not when the
// config turns batching off.
func useBatch(cond ConditionalStore, cfg Config, verify bool) bool {
	return !verify && cond == nil && cfg.MaxBatchObjects > 1
}

// pendingPut is a re-encrypted object waiting for its batch: the new blob,
// the share of the memory budget it holds, and the outcome to record once
// the batch is durable.
type pendingPut struct {
	it     item
	data   []byte
	held   int64 // of the memory budget
	queued int64 // of the commit queue's budget
	done   outcome
}

// queueBatches is how many batches' worth of new blobs (MaxBatchBytes
// each) the workers may queue for the committer: one being written, one
// filling. More would only hold memory, since the store sets the pace.
const queueBatches = 2

// commitLoop is group commit: it takes every write waiting (up to
// MaxBatchObjects and MaxBatchBytes), makes them durable with one PutBatch,
// completes them, and goes back for what the workers queued meanwhile. A
// batch therefore grows with the store's latency and the workers' pace, with
// no timer: one object when the workers are slow, many when the disk is.
// It returns when in is closed and drained.
func (r *runner) commitLoop(ctx context.Context, in <-chan pendingPut) {
	var batch []pendingPut
	for p := range in {
		batch = append(batch[:0], p)
		size := int64(len(p.data))
	gather:
		for len(batch) < r.cfg.MaxBatchObjects && size < r.cfg.MaxBatchBytes {
			select {
			case p, ok := <-in:
				if !ok {
					break gather
				}
				batch = append(batch, p)
				size += int64(len(p.data))
			default:
				break gather
			}
		}
		r.commit(ctx, batch)
		clear(batch)
	}
}

// commit writes a batch and completes its objects. The journal can only
// count an object once this returns, so it never runs ahead of what is
// durable. If the batch fails (and ctx has not ended), each object is put
// alone, so that one object's store error fails only that object.
func (r *runner) commit(ctx context.Context, batch []pendingPut) {
	objs := make([]statestore.Object, len(batch))
	for i, p := range batch {
		objs[i] = statestore.Object{Name: p.it.name, Data: p.data}
	}
	err := r.batch.PutBatch(ctx, objs)
	for _, p := range batch {
		o := p.done
		switch {
		case err == nil:
		case ctx.Err() != nil:
			o = outcome{kind: aborted}
		default:
			if perr := r.store.Put(ctx, p.it.name, p.data); perr != nil {
				o = fail("store: %v", perr)
				if ctx.Err() != nil {
					o = outcome{kind: aborted}
				}
			}
		}
		r.putBuf(p.data)
		r.mem.release(p.held)
		r.queue.release(p.queued)
		r.complete(p.it, o)
	}
}

// getBuf returns an empty buffer for a new blob: one whose batch was
// committed, if any. Fresh memory costs page faults and zeroing, which at
// these sizes is a fair share of the cipher's own time.
func (r *runner) getBuf() []byte {
	select {
	case b := <-r.bufs:
		return b[:0]
	default:
		return nil
	}
}

// putBuf returns a committed blob's buffer for reuse. The free list holds
// at most what was in flight at once, so it keeps no more memory than the
// run's peak.
func (r *runner) putBuf(b []byte) {
	if b = keep(b); b != nil {
		select {
		case r.bufs <- b:
		default:
		}
	}
}
