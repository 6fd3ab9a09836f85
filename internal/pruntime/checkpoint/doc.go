// Package checkpoint keeps the pRuntime's checkpoints: its state at a chain
// height, sealed to the TEE and written so that neither a crash nor a
// damaged file costs more than the checkpoints that were never committed
// (DESIGN.md §5, invariant 4 of §11). Corrupt checkpoints have cost the
// reference system's operators days of resync (Phala issues #504, #752,
// #1315); here a bad newest checkpoint is reported and the previous one used.
//
// The package is part of the enclave's trusted computing base and imports
// only the standard library, internal/tee, internal/protocol and
// internal/atomicfile.
//
// # On disk
//
// A Store owns one directory:
//
//	checkpoint-00000000000000001234.sealed          the checkpoint for height 1234
//	checkpoint-00000000000000001234.sealed.corrupt  one Latest skipped, kept for the operator
//	.tmp-checkpoint-00000000000000001234.sealed-*   a Save in progress, or a crash's leftover
//
// Each .sealed file is tee.Seal(protocol.ContextCheckpoint, plaintext) with
//
//	"GKCKPT" || version u16 (1) || height u64 || length u32 || payload || SHA-256 of all before it
//
// in big-endian. Save keeps the newest Config.Keep files (at least two) and
// removes older ones; .corrupt files are removed only by RemoveBefore
// (called once a key they may hold was erased).
//
// # What is checked when reading
//
// Latest walks the checkpoints from the newest down and returns the first
// that passes, in order:
//
//   - size: at most MaxPayload plus framing and sealing overhead, so a huge
//     file planted by the host is not read into memory;
//   - the seal: the TEE's AEAD authenticates the whole file under a key bound
//     to this platform and measurement, and the label binds it to this use.
//     A flipped bit, a truncation, garbage, or a file sealed by another
//     pRuntime version fails here with tee.ErrUnseal;
//   - the encoding: magic, version, length and the SHA-256 digest. Inside a
//     valid seal only code holding our sealing key wrote these bytes, so a
//     failure here (ErrMalformed) means a format bug, not a bad disk — the
//     digest is there to make that distinction, and as a second check
//     should a backend's sealing ever be weaker than it claims;
//   - the height: the sealed height must equal the one in the file name
//     (ErrHeightMismatch), so the host cannot pass an old checkpoint off as a
//     newer height by renaming it.
//
// Each file that fails is reported as a Skipped — file name and reason,
// never plaintext or sealed bytes — and renamed to *.corrupt, so the next
// Save can reuse its height and the operator can inspect it.
//
// Damage is found only when Latest reads a file, normally once at start;
// Save does not re-read older checkpoints before pruning them. Should all
// Keep checkpoints on disk go bad between two starts, the second finds
// nothing usable and the pRuntime resyncs from the chain.
//
// # Atomicity
//
// Save writes the sealed bytes with internal/atomicfile — to a temporary
// file in the same directory, fsynced, renamed to its final name, then the
// directory fsynced — and only then prunes old checkpoints. Across a crash at any instruction:
//
//   - before the rename, the new checkpoint's name does not exist; at most a
//     temporary file does, whose name Latest never considers and which Open
//     deletes. The previous checkpoints are untouched.
//   - rename(2) replaces nothing here (heights only grow) and makes the name
//     appear atomically, referring to contents already fsynced. Before the
//     directory fsync returns, a power cut may undo the rename, leaving the
//     previous state; a process crash cannot.
//   - pruning starts only after the new checkpoint is durable, removes the
//     oldest first, and is redone by the next Save if interrupted.
//
// So after any crash Latest returns the new checkpoint or the one before it,
// whole. The tests check this by killing a child process with SIGKILL at
// every step of Save and at random moments. That exercises process crashes
// only: durability across power loss rests on the file system honouring
// fsync and rename ordering (ext4, xfs, btrfs on local disks do; network
// and some FUSE file systems may not), which no test here can observe.
//
// One Store per directory at a time, across processes; nothing enforces it.
// A second Open would delete a running Save's temporary file (that Save then
// fails at the rename, losing nothing committed), and two writers would
// prune each other's checkpoints.
//
// # What sealing does not give: freshness
//
// Sealing gives confidentiality and integrity, not rollback protection. The
// host owns the disk, and can:
//
//   - delete the newest checkpoints, or all of them;
//   - put back any checkpoint this platform and measurement ever sealed,
//     under its own name — or replace the whole directory with an older copy
//     — and Latest will return it as the newest, without complaint;
//   - watch file names and sizes, which reveal heights and payload lengths.
//
// The height check stops a checkpoint from claiming a height it was not
// saved at; it does not stop the host from presenting an old checkpoint
// truthfully and hiding every newer one. Nothing in a TEE's sealing can: that
// needs a monotonic counter or an outside witness. The pRuntime's witness is
// the chain: a checkpoint is a cache that spares it a resync, and whatever it
// must never roll back is committed on chain and checked against verified
// chain state after loading a checkpoint (DESIGN.md §5, bootstrap from
// snapshot). The gatekeeper master key history, which must never be lost, is
// sealed separately and written before its public key is ever announced.
//
// Because sealing keys follow the measurement, an upgraded pRuntime cannot
// open its predecessor's checkpoints; Latest skips them as it would any other
// checkpoint that does not open. State crosses versions by attested handover
// (DESIGN.md §6), not through this directory.
package checkpoint
