// Package treerules holds, as tests, the rules of the repository's layout
// that no compiler checks. It has no production code: `go test
// ./internal/treerules` parses every Go file of the module with go/parser
// (the files only, not the build: every build tag counts) and fails when a
// rule is broken.
//
// The rules, and why:
//
//   - Every package has a package comment. A newcomer reads the package
//     list first; a package that does not say what it is for is the one
//     that grows into a drawer for everything.
//   - No production file outside internal/atomicfile renames, links or
//     fsyncs files (os.Rename, os.Link, syscall/unix Rename, Link and
//     Fsync, or a Sync method). Crash safety rests on the order of those
//     steps (temp file fsynced before the rename, directory fsynced after);
//     written once in internal/atomicfile it is argued and tested once. A
//     Sync method call cannot be told apart from another type's Sync without
//     type checking, so the rule approximates "(*os.File).Sync" by any
//     zero-argument call of a method named Sync in a file that imports
//     "os"; a false positive is renamed or moved, not exempted.
//   - No production package under internal/ or x/ holds more than
//     maxPackageLines lines of code (neither blank nor only comment) in
//     non-test, non-generated files: beyond that a
//     package has stopped being about one thing.
//   - No type in the enclave — the module's packages cmd/pruntime links,
//     found by walking the imports of their non-test files — declares more
//     than maxMethods methods in non-test, non-generated files: the
//     enclave's code is the trusted computing base, and a type with that
//     many methods cannot be reviewed as a unit.
//
// The last two rules did not hold when they were written. They are
// ratchets: the tests carry an explicit list of known offenders, and fail
// both when a package or type not on the list breaks the rule and when one
// on the list no longer does, so the list can only shrink.
package treerules
