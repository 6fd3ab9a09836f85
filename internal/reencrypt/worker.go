package reencrypt

import (
	"context"
	"errors"
	"fmt"

	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/statestore"
)

// maxScratch bounds the buffers a worker (and the pool of new blobs) keeps
// from one object to the next: an object larger than this gets buffers of
// its own, which the garbage collector takes back.
const maxScratch = 8 << 20

// worker is one worker goroutine's state: the blob ciphers it derived and
// the buffers it reuses, so that re-encrypting an object of a size seen
// before allocates nothing but the blob the store returns.
type worker struct {
	ciphers map[keyID]*crypto.BlobKey
	pt      []byte // plaintext scratch, cleared after each use
	out     []byte // new blob scratch, when Put is not batched
}

func newWorker() *worker {
	return &worker{ciphers: map[keyID]*crypto.BlobKey{}}
}

// clear drops the worker's ciphers. Their expanded keys cannot be erased
// (see internal/crypto, Limits); the cluster keys they came from are
// cleared by keyCache.clear.
func (w *worker) clear() {
	clear(w.ciphers)
	w.pt, w.out = nil, nil
}

// cipher returns the blob cipher of (cluster, version), derived once per
// worker: crypto/cipher does not promise that an AEAD is safe to share.
func (w *worker) cipher(keys *keyCache, cluster uint64, version uint32) (*crypto.BlobKey, error) {
	id := keyID{cluster, version}
	if c, ok := w.ciphers[id]; ok {
		return c, nil
	}
	k, ok := keys.get(cluster, version)
	if !ok {
		return nil, fmt.Errorf("no cluster key for cluster %d version %d", cluster, version)
	}
	c, err := crypto.NewBlobKey(k)
	clear(k[:])
	if err != nil {
		return nil, err
	}
	w.ciphers[id] = c
	return c, nil
}

// keep returns b emptied for reuse, or nil if it is too large to keep.
func keep(b []byte) []byte {
	if cap(b) > maxScratch {
		return nil
	}
	return b[:0]
}

// process handles one object. It returns the outcome, or, when the
// object's Put is batched, the write for the committer, which completes it
// once its batch is durable. It reads the object again (bounded) when a
// ConditionalStore reports a concurrent change.
func (r *runner) process(ctx context.Context, w *worker, it item) (outcome, *pendingPut) {
	id, err := ParseObjectName(it.name)
	if err != nil {
		return fail("%v", err), nil
	}
	for attempt := 0; ; attempt++ {
		o, p, changed := r.processOnce(ctx, w, it, id)
		if !changed {
			return o, p
		}
		if attempt >= r.cfg.MaxChangedRetries {
			return fail("changed by another writer during each of %d attempts", attempt+1), nil
		}
	}
}

// transform moves blob (the object id) from the job's old key version to
// its new one into out: an envelope blob (the rewrap policy) gets its data
// key rewrapped and keeps its data bytes; any other blob is decrypted and
// encrypted again, through w's plaintext buffer, which is cleared after.
func (r *runner) transform(w *worker, oldKey, newKey *crypto.BlobKey, id crypto.BlobID, blob, out []byte) ([]byte, error) {
	id.Version = r.job.From
	if crypto.BlobIsEnvelope(blob) {
		return crypto.RewrapTo(out, r.rand, oldKey, newKey, id, r.job.To, blob)
	}
	pt, err := oldKey.OpenTo(w.pt[:0], id, blob)
	if err != nil {
		clear(w.pt[:cap(w.pt)]) // whatever a failed open left there
		return nil, err
	}
	id.Version = r.job.To
	sealed, err := newKey.SealTo(out, r.rand, id, pt)
	clear(pt)
	w.pt = keep(pt)
	return sealed, err
}

func (r *runner) processOnce(ctx context.Context, w *worker, it item, id crypto.BlobID) (o outcome, p *pendingPut, changed bool) {
	held := r.mem.acquire(r.worst)
	defer func() { r.mem.release(held) }()
	blob, err := r.store.Get(ctx, it.name)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return outcome{kind: aborted}, nil, false
		case errors.Is(err, statestore.ErrNotFound):
			// Deleted by its app since the listing: nothing left to protect.
			return outcome{kind: done}, nil, false
		}
		return fail("store: %v", err), nil, false
	}
	if r.verify {
		held = r.mem.shrink(held, int64(len(blob)))
	} else {
		held = r.mem.shrink(held, 3*int64(len(blob)))
	}
	cluster, version, err := crypto.BlobKeyVersion(blob)
	switch {
	case err != nil:
		return fail("%v", err), nil, false
	case cluster != id.Cluster:
		return fail("blob header names cluster %d, the object is under cluster %d", cluster, id.Cluster), nil, false
	case version == r.job.To:
		return outcome{kind: done}, nil, false
	case r.verify:
		return fail("still at key version %d, want %d", version, r.job.To), nil, false
	case version != r.job.From:
		return fail("blob is at key version %d, neither %d (from) nor %d (to)", version, r.job.From, r.job.To), nil, false
	}
	oldKey, err := w.cipher(r.keys, cluster, r.job.From)
	if err != nil {
		return fail("%v", err), nil, false
	}
	newKey, err := w.cipher(r.keys, cluster, r.job.To)
	if err != nil {
		return fail("%v", err), nil, false
	}
	out := w.out[:0]
	if r.batch != nil {
		out = r.getBuf()
	}
	sealed, err := r.transform(w, oldKey, newKey, id, blob, out)
	if err != nil {
		return fail("%v", err), nil, false
	}
	done := outcome{kind: done, reencrypted: true, bytes: uint64(len(blob))}
	if r.batch != nil {
		// The committer now holds the new blob and its share of the
		// budget; the old blob and the plaintext are done with.
		held = r.mem.shrink(held, int64(len(sealed)))
		p := &pendingPut{it: it, data: sealed, held: held, done: done}
		held = 0
		p.queued = r.queue.acquire(int64(len(sealed)))
		return outcome{}, p, false
	}
	if r.cond != nil {
		err = r.cond.PutIfUnchanged(ctx, it.name, blob, sealed)
	} else {
		err = r.store.Put(ctx, it.name, sealed)
	}
	w.out = keep(sealed) // the store keeps no reference to it
	switch {
	case err == nil:
		return done, nil, false
	case ctx.Err() != nil:
		return outcome{kind: aborted}, nil, false
	case errors.Is(err, ErrChanged):
		return outcome{}, nil, true
	}
	return fail("store: %v", err), nil, false
}
