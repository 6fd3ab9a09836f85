// Package reencrypt is the engine a gatekeeper runs during a master key
// rotation (DESIGN §6 "Rotation", issue 5 point 3): it rewrites the saved
// state blobs of the state store from a cluster key version From to the new
// version To, in parallel, resumably, and without ever losing a blob or
// leaving one unreadable. It runs inside the pRuntime, so it depends only on
// the standard library and internal packages (crypto, statestore,
// atomicfile).
//
// # What it does
//
// Objects are named as the worker app API writes them,
// cluster-<N>/<app>/<name...>, and each is a crypto state blob bound to
// (N, key version, app, name). Run lists the store under ObjectPrefix, keeps
// the names in its Range (SHA-256 of the name mod Count == Index, so the
// gatekeepers of a rotation split the key space without talking to each
// other), and for each name:
//
//	Get → BlobKeyVersion
//	  version == To    already done (by an earlier run, or written new)
//	  version == From  OpenBlob(old key, BlobID{N, From, app, name})
//	                   SealBlob(new key, BlobID{N, To, app, name}) → Put, same name
//	  anything else    Failure
//
// A blob of an unknown version, one that does not open (corrupted,
// truncated, moved from another name), a header naming another cluster, a
// name not in the app API layout, a missing key or a store error on that
// object is recorded as a Failure by name with its reason, logged, and the
// run goes on with the rest. Nothing is skipped silently: Failed counts every
// one, and the caller retires From only when Progress.Retirable (complete,
// no failures). Running the job again retries its failures, so an operator
// who restores a blob from a backup reruns the job and the range completes.
//
// # Write the new before removing the old
//
// The new blob has the same name as the old one, and statestore.Store.Put
// is atomic and durable (Dir: temp file, fsync, rename, fsync dir), so the
// rename that makes the new blob visible is the same step that removes the
// old one. At every instant the name holds either the complete old-version
// blob or the complete new-version blob, and both are readable by the app
// API (it opens a blob under the version its header names) for as long as
// workers keep version From, which they do until retirement. There is no
// moment with zero or two copies, and no window in which a reader sees a
// partial object.
//
// On a statestore.BatchStore (Dir is one) the engine amortizes durability
// instead of waiting, object after object, for a file fsync and a directory
// fsync: workers hand their new blobs to one committer goroutine, which
// writes whatever is queued (up to MaxBatchObjects and MaxBatchBytes) with
// one PutBatch and only then counts those objects as done. Dir.PutBatch
// writes each new blob to its own temp file and fsyncs it, several at once
// (the filesystem journal commits them together), renames each over its
// name once all are durable, and fsyncs each directory once per batch. Each
// object is still replaced atomically by its own rename; what the batch
// shares is the barrier. This is group
// commit: the batch grows while the previous one is being written, so it
// adapts to the disk without a timer. A ConditionalStore is never batched
// (its check is per object), nor is anything when MaxBatchObjects is 1.
//
// # Crash safety
//
// Re-encrypting one object is idempotent: the version check makes the
// second attempt a no-op. So the journal is only an optimization, and a
// crash at any instruction (kill -9, power loss) is safe:
//
//   - before an object's Put: the store still holds the old blob, intact;
//     the next run re-encrypts it.
//   - during Put: atomicfile leaves the old file or the new one (a stray temp
//     file is removed when the store is opened again).
//   - during PutBatch: each name of the batch holds its old blob or its new
//     one, each complete, whichever of its renames reached the disk (a new
//     file is renamed over its name only after its own fsync); the journal
//     counts none of the batch yet, so the next run reads them all again
//     and finds each at From (re-encrypted again) or To (done).
//   - after Put or PutBatch, before the journal records it: the next run
//     reads the object again, finds version To, counts it done.
//   - during a journal write: atomicfile again; the previous checkpoint
//     stays, and it is older, never ahead.
//   - a journal that does not unseal or decode (corrupted, truncated, from
//     another pRuntime measurement) is logged and treated as no journal: a
//     full rescan, slower but correct. A journal of another job (From, To,
//     Range) is ignored the same way.
//
// The journal (a sealed Checkpoint, see its encoding) says "every object of
// this job's range named ≤ After was handled: at To, gone, or listed in
// Failures", with counts. It can never run ahead of the store: the
// checkpoint only moves over a contiguous prefix (in name order) of objects
// whose Put or PutBatch has returned, i.e. is durable, and it is written
// after that.
// Workers finish out of order, so the checkpoint trails the fastest worker by
// at most the objects in flight. It is written every CheckpointInterval or
// CheckpointEvery objects and when Run returns, so a crash redoes at most
// that much work. Failures before the checkpoint are in the journal (so a
// resume neither loses nor skips them); it holds at most
// MaxReportedFailures, and rather than drop one the checkpoint stops moving
// (the rest of the run is then redone after a crash, still correct).
//
// It is sealed (tee.Seal, JournalLabel) because the host must not forge it:
// a forged "After = last name" would make a resumed run skip everything and
// report the range complete, and retirement would then erase the only key
// that opens the remaining old blobs. Sealing makes the journal as
// trustworthy as the pRuntime that wrote it. The host can still roll it back
// to an older checkpoint or delete it, which only costs a rescan. Verify
// (below) does not depend on the journal at all.
//
// # What the store must guarantee, and concurrent writers
//
// The engine trusts the store for durability, as every user of it does: a
// host that drops or rolls back objects loses state whatever the engine
// does. Two assumptions belong to the rotation protocol around it:
//
//  1. No other writer changes an object between the engine's Get and Put.
//     An app saving the same name in that window would see its write
//     replaced by the re-encrypted older content. A store that implements
//     ConditionalStore (S3 If-Match, or a directory store whose writers
//     share a per-name lock) closes the window: Run then replaces an object
//     only if it still holds what was read, and reads it again otherwise.
//     With a plain Store, the rotation must keep apps from writing during
//     the job, or accept the window.
//  2. Workers write under To before the job lists the store. An object
//     written under From after the listing (or below a resumed checkpoint)
//     is not revisited by Run. Verify reads every header of the range and
//     reports any object not at To; run it before retiring From.
//
// # Resources
//
// Workers (default runtime.NumCPU()) process objects in parallel. Memory is
// bounded by MaxInFlightBytes (default 1 GiB): an object costs about three
// times its size in flight (blob, plaintext, new blob); the store cannot
// report a size before Get, so a worker reserves the worst case (3 × the
// 64 MiB object bound) before reading and gives back the difference once it
// knows the size. A new blob waiting for its batch keeps only its own size
// reserved, and at most two batches' worth (2 × MaxBatchBytes) wait at once.
//
// Each worker derives the blob cipher (crypto.BlobKey) of a key version once
// and reuses its plaintext and new-blob buffers from object to object, and
// the buffers of committed batches are reused for new blobs: at the sizes
// of saved state, allocating and zeroing fresh memory for every object
// costs a fair share of the cipher's own time. Buffers over 8 MiB are not
// kept. Plaintext buffers are cleared after sealing; cluster keys are cached
// per (cluster, version) for the run and cleared when it ends, and the
// ciphers derived from them are dropped then (the AES key schedule inside
// cannot be cleared). Go cannot guarantee erasure beyond that (see
// internal/crypto's Limits).
//
// # Progress
//
// Config.OnProgress receives Progress snapshots every ProgressInterval and
// once when Run returns, for metrics, the on-chain progress report, or a
// person: ProgressBar renders lines like
//
//	re-encrypting: 1234/5000 (24.7%) 310 MB/s ETA 12s
package reencrypt
