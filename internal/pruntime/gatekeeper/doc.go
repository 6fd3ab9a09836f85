// Package gatekeeper is the enclave's gatekeeper and cluster-member roles
// (DESIGN §6, replicated mode).
//
// Everything here runs on verified ingress, in ingress order, so every
// gatekeeper sees the same inputs in the same order. Quorum outputs
// (cluster public keys, beacons) are pure functions of those inputs and the
// master key; they are answered at the sequence the chain allocated in the
// task, so a gatekeeper that joins late produces the same messages at the
// same sequences as the others. Key copies (master history to a joining
// gatekeeper, cluster keys to workers) are HPKE-sealed to one recipient and
// therefore randomized; each gatekeeper sends its own from its worker
// origin, and the receiver checks what it opens against a public key the
// chain recorded before it keeps anything.
//
// # Security argument
//
// The master key never leaves a gatekeeper's enclave except sealed, by
// HPKE, to the receive key of another enclave the chain admitted
// (registry/master_key_request), and a receiver keeps nothing it opened
// until it matched the public keys the chain recorded: a master key history
// against every version on chain (a gatekeeper goes live only when it holds
// and has verified all of them), a cluster key against its grant's public
// key. A copy that fails is reported (key fault), never kept. The master
// key history is sealed to disk by the core before any state or egress
// that relies on it is committed (state.Tx, pruntime.commitIngress), so a
// crash never leaves a gatekeeper announcing a key it did not keep. Quorum
// outputs depend only on proven ingress and the master key, so an honest
// quorum signs identical bytes and a faulty gatekeeper's output is simply
// outvoted; an accepted beacon that differs from this gatekeeper's own is
// counted, never trusted over the quorum.
//
// The role reaches the enclave only through Core (identity, egress, quorum
// egress, the receive key's opening, metrics) and the rotation role only
// through Rotation.
package gatekeeper
