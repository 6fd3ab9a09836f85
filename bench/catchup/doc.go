// Package catchup holds the whole-system benchmark of a fresh pRuntime
// catching up with a chain: two devnets carry the same ingress log, written
// over N and over 10·N blocks, and a fresh pruntime process driven by an
// in-process pherry relayer syncs each one. It reports the catch-up times
// and their ratio, proven ingress entries verified per second, and the
// pRuntime's peak resident memory, against references measured in the same
// run: fetching the same proofs from the node alone, ingesting them into a
// pRuntime alone, and chainsync.VerifyIngressEntry alone. The benchmark
// lives in the package's tests; see bench/README.md for the commands and
// figures.
package catchup
