// Package pruntime is the enclave runtime's core: it follows the chain
// through a light client, consumes the ingress log entry by entry with a
// proof of each, keeps its own keys and state sealed, and signs egress
// messages that a relayer carries to the chain. The roles (packages
// gatekeeper, rotation, migration, computation) apply the entries of their
// topics through the topic table (package ingress); New takes them from
// the program (package roles) and hands them the core's services as an
// Enclave. The core imports no role.
//
// # Security argument
//
// The host, the relayer (pherry), the network and any single node's RPC are
// adversaries. The runtime therefore accepts nothing it has not verified:
//
//   - Headers: only through chainsync, from the trust root given at first
//     start (and bound into every attestation), by CometBFT light-client
//     verification. Time is the verified header's time, never the host clock.
//   - Ingress: every entry is proven (ICS23) against the app hash of the
//     latest verified header, and must carry exactly the next index, so the
//     relayer cannot skip, reorder, replay or invent messages.
//   - Egress acknowledgements: the runtime drops a pending message only after
//     proving, the same way, that the chain's sequence for it has moved past.
//
// Every sync call verifies its whole input before it changes anything: a
// rejected request leaves the state exactly as it was.
//
// Durability: the identity is sealed once, at first start. State is sealed in
// checkpoints (package checkpoint), written atomically. A new egress message
// becomes visible to the relayer only after a checkpoint that contains it is
// on disk, so a crash can never make the runtime sign two different messages
// with one sequence number.
package pruntime
