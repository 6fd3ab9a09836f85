// Package atomicfile is the one place the module makes a file write durable:
// every write that must survive a crash goes through it, and no other
// production file renames, links or fsyncs files for that purpose (the rule
// is enforced by internal/treerules).
//
// # Operations
//
//   - Write replaces a file: a crash leaves the old content or the new one.
//   - Prepare and Commit replace several files as a batch: a crash leaves
//     each file with its old content or its new one (the batch as a whole is
//     not atomic: some files may be new and others old).
//   - Create creates a file that must not exist yet and never replaces one:
//     a crash leaves no file or the new one, and a concurrent creator's file
//     is never overwritten (the loser gets an error wrapping fs.ErrExist).
//   - MoveAside renames a file to another name in the same directory (a
//     corrupt file kept for the operator) and makes the rename durable.
//   - SyncDir makes the entries of a directory (creations, renames,
//     removals) durable; RemoveTemps deletes temp files a crash left behind.
//
// # Crash-safety argument
//
// A file's new content is first written under a temp name in the target's
// own directory (so the rename that publishes it never crosses a file
// system), then fsynced, then closed. Only after that fsync returned is the
// temp file renamed over the target (Write, Commit) or hard-linked to the
// target's name (Create), and then the directory is fsynced. So:
//
//  1. Before the rename or link, the target's name refers to the old
//     content (or nothing) and the new bytes live only under a temp name,
//     which no reader looks at and RemoveTemps (or the caller's own
//     clean-up, for custom temp names) deletes.
//  2. rename(2) and link(2) switch the name atomically; because the temp
//     file was fsynced before, the name never refers to data that a power
//     loss could still lose or tear (without that fsync, ext4 and xfs may
//     persist the rename before the data and leave a zero-length file).
//  3. Until the directory fsync returns, a power loss may undo the rename
//     and leave the old content: the caller learns the write is durable only
//     when the operation returns nil.
//
// For a batch, every temp file is fsynced before the first rename, and
// every directory a rename changed is fsynced once, after the last rename:
// a file is never published before its own data is durable, and the batch
// costs one fsync per directory rather than one per file.
//
// Create links instead of renaming because rename replaces an existing
// target, and a concurrent Create of the same name must not lose a file that
// is already in use; the temp name is removed after the link.
//
// These steps protect against process crashes and power loss alike,
// provided the file system honours fsync and the ordering of rename after
// fsync (ext4, xfs and btrfs on local disks do; some network and FUSE file
// systems do not), which no test can observe. The tests check the part that
// can be checked: the order of the steps, and that stopping an operation
// after any step — through Options.Hook, which leaves the files as a crash
// would — leaves old or new content and nothing torn.
package atomicfile
