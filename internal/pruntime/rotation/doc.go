// Package rotation is master key rotation, the enclave's side (DESIGN §6
// "Rotation", docs/gatekeepers.md "Rotation"). The chain runs the state
// machine; a gatekeeper of the rotation's snapshot follows it on ingress:
//
//	rotation_start            record the snapshot; the proposer whose turn
//	                          it is (below) generates v+1, seals it into
//	                          its history, and proposes it
//	rotation_proposed         open its own copy, check it against the
//	                          proposal's public key, seal it, acknowledge;
//	                          a bad copy is reported as a key fault
//	rotation_proposal_rejected forget the unacknowledged v+1
//	master_key (v+1)          v+1 is active (it was sealed already)
//	cluster_task / cluster_key (v+1) the new cluster keys reach the chain
//	reencrypt_start           re-encrypt range i of n (pruntime/reencrypt.go)
//	master_key_retired        v is retired
//	master_key_erase          erase v from the sealed history (and, on a
//	                          worker, the cluster keys of v), durably,
//	                          before the state that applied it is committed
//
// Sealing before announcing: the history holding v+1 is written to disk in
// commitIngress before the state whose egress carries the proposal or the
// acknowledgement, as at the launch. A crash between the two leaves v+1
// sealed and unannounced; the entries are applied again after the restart,
// and a proposer reuses the v+1 it sealed instead of drawing another, so it
// never proposes two different keys.
//
// Who proposes: every gatekeeper computes the same order, the snapshot's
// members in key order without those the chain barred. The first proposes
// as soon as it sees the start; each next one proposes when
// RotationProposeBlocks more blocks passed without a taken proposal (since
// the start, or since the last rejection, as this pRuntime saw it). The
// chain takes the first valid proposal and refuses the rest, so a proposer
// that is down costs a few blocks, not the rotation.
//
// # Security argument
//
// The rotation role acts only on proven ingress, in ingress order, so every
// gatekeeper of the snapshot applies the same entries to the same state and
// computes the same proposer order. It keeps nothing it has not checked: a
// proposed version is sealed only after this gatekeeper's copy opened under
// its own receive key and matched the proposal's public key (a bad copy is
// reported as a key fault, never acknowledged), and a version activated on
// chain is checked against the key held (OnActivated), so a live gatekeeper
// never answers with a key the chain does not record. The phases are the
// explicit state machine of package state (state.Rotation): an entry the
// machine cannot take in its phase is counted and moved past, since proven
// ingress out of phase means a version mismatch between chain and pRuntime,
// not an attack. Erasure is durable before it is acknowledged: the core
// rewrites the sealed history and drops older checkpoints in the commit
// that applies master_key_erase (state.Tx.Erased).
//
// The role reaches the enclave only through Core (identity, height, egress,
// the receive key's opening, metrics); the core reaches it through the
// methods its topic rows and hooks name.
package rotation
