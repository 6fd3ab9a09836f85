// Package mq is the message queue module: the only channel between the chain
// and the enclaves (DESIGN.md §3). Apart from the attestation quotes that
// registration and migration carry (x/registry), everything a pRuntime
// tells the chain is an egress message of this module; everything the chain
// tells a pRuntime is an ingress entry of this module or a proven read of
// chain state whose key internal/protocol/store.go fixes. This comment
// states what the channel guarantees, on which checks each guarantee rests,
// and what it leaves to others.
//
// The store layout is in types/keys.go; the parts pRuntimes and relayers
// read (ingress entries 0x01, first retained index 0x03, sequences 0x04,
// votes 0x05) are fixed by internal/protocol/store.go and pinned by tests.
// Messages, origins, topics and the signing context are defined once in
// internal/protocol (message.go, origin.go, topic.go, contexts.go).
//
// # Trust assumptions
//
// The chain's state is what a quorum of its validators committed: a
// pRuntime believes an ingress entry or a sequence because a light client
// verified the header whose app hash the ICS23 proof ends in
// (internal/pruntime/chainsync), not because anyone signed the entry. The
// relayer (pherry) and the host are untrusted: they choose what to deliver
// and when, but cannot forge or alter what they deliver. Chain modules are
// compiled into the app and trusted to call this module honestly. Genesis
// is trusted too: its votes are delivered at quorum without their
// signatures being verified again (types.GenesisState.Validate checks only
// their form, their sequence and the task they answer).
//
// # Ingress: chain → pRuntime
//
// Keeper.PushIngress appends protocol.Message{Origin: Module(module),
// Topic, Seq: index, Payload} at key IngressPrefix ‖ u64 BE index, with the
// block height, as protocol.IngressEntry. It guarantees:
//
//   - Origin: only chain modules append, and only on their own topics
//     (protocol.TopicModule(topic) == module, else ErrNotIngressOrigin). The
//     module name is the caller's claim, so this is a wiring check among
//     trusted modules, not an authentication. Ingress entries carry no
//     signature: their authority is the proof against the app hash.
//   - Order and completeness: indexes are handed out consecutively from
//     NextIngress and an entry is never rewritten, so the log is a gap-free,
//     append-only sequence. The entry is written in the same state
//     transition as the module change that caused it: if that transition is
//     reverted (a failed transaction, a rejected egress handler, see below),
//     so is the entry. Appending entry i also stores the ingress head at
//     i+1, SHA-256 over the head at i and the entry's stored bytes
//     (protocol.IngressHead, key IngressHeadPrefix || BE(i+1)); the heads
//     from the first retained index to the next one are kept. The enclave
//     enforces the order on its side: it applies entries [s, e) only when
//     the hash chain from the head it holds at s over their raw bytes
//     reaches the head at e, proven with ICS23 in store "mq", each message
//     having Seq == its index (chainsync.VerifyIngressRange, else
//     chainsync.ErrBadEntry), and only if s is the next index it expects
//     (pruntime.ErrOutOfOrder). So a relayer can delay ingress, but cannot
//     reorder, skip, replay, forge or alter an entry.
//   - Gatekeeper tasks: Keeper.PushGatekeeperTask numbers the gatekeeper
//     task channel itself (NextTask, never below the channel's head) and
//     records the reply topic a task's answer must carry (Tasks), then
//     appends protocol.GatekeeperTask{Seq, Body} to ingress. Every
//     gatekeeper, however late it joined, reads the same sequence for the
//     same task, which is what lets their answers be byte-identical votes.
//     It refuses a reply topic that is not routed or does not take
//     gatekeeper messages, so no task is pushed that could never be
//     answered.
//   - Retention: EndBlock's Keeper.PruneIngress deletes entries appended
//     more than ingress_retention_blocks ago (0 keeps everything), oldest
//     first and at most 1,000 per block, and records the first retained
//     index (FirstIngressKey). A pRuntime further behind than the window
//     cannot replay what it missed; it bootstraps from proven state reads
//     instead, starting with a proof of the first retained index.
//
// Ingress is public: every entry is in chain state. Anything secret in it
// is encrypted to its recipient by the module that pushes it.
//
// # Egress: pRuntime → chain
//
// A pRuntime signs protocol.Message{Origin, Topic, Seq, Payload} with its
// ed25519 identity key over protocol.SigningBytes(protocol.ContextMQ,
// chain id, body) (protocol.SignMessage), and any account submits it in
// MsgSyncMessages. Keeper.CheckEgress decides whether a message is accepted;
// it changes nothing but the gas meter (charged before any check,
// GasPerMessage plus GasPerMessageByte per body byte, so a message costs the
// same gas whichever check refuses it). It requires, in this order:
//
//   - Bounded, canonical bytes: the body decodes strictly
//     (protocol.DecodeMessage: at most protocol.MaxPayloadLen of payload,
//     ErrPayloadTooLarge; otherwise ErrMalformedMessage or ErrInvalidTopic),
//     with a 32-byte signer and a 64-byte signature.
//   - Origin authentication: only worker and gatekeeper origins may send
//     egress (module, cluster and account origins are refused,
//     ErrInvalidOrigin); a worker origin's key must be the signer
//     (protocol.DecodeSigned). The signature is verified over the exact
//     carried bytes, never a re-encoding, under the "gatekeeper/mq/v1"
//     context and this chain's id, so a signature made for another chain or
//     another purpose does not verify (ErrInvalidSignature). A signature
//     verified once in CheckTx is remembered by a bounded cache keyed by
//     every input of the verification (sigCache): a hit cannot accept what
//     verification would refuse, and costs the same gas as a miss.
//   - Routing: the topic has a handler registered by its owning module and
//     that route takes the message's origin kind (Router.Accepts;
//     ErrInvalidTopic, ErrInvalidOrigin).
//   - Standing: a worker signer is a registered worker, a gatekeeper signer
//     a current gatekeeper, as x/registry answers through
//     types.SenderRegistry (ErrUnknownSender). Attestation is checked there,
//     at registration, not per message.
//   - Sequence, against the origin's next expected sequence (Sequences,
//     which start at 0): a worker's message must carry exactly that
//     sequence (ErrStaleSequence below it, ErrSequenceGap above). This is
//     the replay protection: each sequence of an origin is accepted once,
//     and a replayed message is stale.
//
// Worker messages that pass are delivered at once and advance the sequence
// (Keeper.Advance). The chain accepts the first valid message at each
// sequence; it does not compare a later, different body at a used sequence
// with the accepted one, since that message is simply stale.
//
// # Gatekeeper messages: quorum
//
// A gatekeeper-origin message is one gatekeeper's vote; the collective's
// message is delivered when enough of them agree. Besides the checks above:
//
//   - Window: its sequence may run up to MaxPendingGatekeeperSeqs-1 ahead
//     of the channel's head, so votes can be batched and the vote store
//     stays bounded (ErrSequenceGap beyond); a vote for a sequence already
//     delivered is stale (ErrStaleSequence).
//   - Channel: on the task channel (GatekeeperOrigin, no lane) there must be
//     a task at that sequence and the message must be on its reply topic
//     (Keeper.checkTask: ErrNoTask, ErrInvalidTopic). A lane
//     (protocol.GatekeeperLane) carries only its module's topics and has its
//     own sequence; lanes have no tasks.
//   - One vote per gatekeeper and sequence: the same body again is
//     ErrDuplicateVote (treated as already done), a different body
//     ErrConflictingVote (refused; the first vote stands).
//   - Quorum: Keeper.deliverReady delivers the head of the channel, and
//     then each following sequence, once params.Quorum(n) distinct current
//     gatekeepers have signed byte-identical bodies (Keeper.quorumBody;
//     votes of removed gatekeepers do not count). gk_quorum 0 means a
//     majority, ⌊n/2⌋+1; MsgUpdateParams refuses a gk_quorum above the
//     current set (ErrQuorumUnreachable), and a set that later shrinks below
//     it lowers the quorum to the whole set (types.Params.Quorum, event
//     mq_gk_quorum_clamped). Delivery is in sequence order, and a delivered
//     sequence's votes and task are deleted. Because the tally also depends
//     on the set and gk_quorum, EndBlock's Keeper.RecheckQuorum re-tallies
//     every channel holding votes whenever a fingerprint of (gk_quorum,
//     gatekeeper keys) changed, so votes a set or quorum change made
//     sufficient are not stranded.
//
// So fewer than a quorum of gatekeepers cannot get a gatekeeper message
// delivered, whatever they sign; a quorum of colluding gatekeepers can get
// any well-formed message delivered on a routed topic. Gatekeepers must
// compute byte-identical bodies for the quorum to form; that is the
// enclave's side of the contract (DESIGN.md §3).
//
// # Mempool and block
//
// The ante handler (package ante, EgressDecorator) runs CheckEgress and
// Advance on every message in CheckTx, in the check state, so forged,
// stale, gapped, duplicate and conflicting messages never enter a block
// and a relayer's next transaction is checked against the sequences its
// earlier one advanced; ReCheckTx skips only the signature, which cannot
// have changed. The signatures of a transaction's messages are verified
// first, on all cores (Keeper.VerifyBatch, which takes the batch's gas
// before any verification), then the messages are checked and advanced in
// order with those verdicts (Keeper.Check): a verdict is a pure function of
// the message's bytes, so the outcome is the same as checking one by one.
// The Msg service does the same in the block. max_messages_per_tx bounds the transaction's messages
// (ErrTooManyMessages). A transaction made only of valid, fresh
// gatekeeper votes may carry no fee (FeeWaiverDecorator); the waiver is
// decided after the checks, so it cannot be farmed with stale votes.
//
// In a block, msgServer.SyncMessages checks every message again: a message
// another transaction already delivered earlier in the block (stale, or a
// duplicate vote) is skipped, and any other invalid message fails the whole
// transaction, sequence advances included.
//
// # Delivery: cached contexts
//
// Keeper.Deliver runs the topic's Handler on a branch of the state that
// covers only the stores the handler opens (the SDK's CacheContext would
// branch every module store per message). If the
// handler returns an error, its writes and events are dropped, but the
// message counts as delivered: the sequence has advanced and event
// mq_message_rejected records the error. One bad payload therefore cannot
// wedge a sender's queue, and a handler's partial writes never land. A
// message accepted by x/mq is thus not necessarily applied by its module;
// the sender can learn which from the events, not from proven state.
// Deliver does not recover a handler's panic: handlers return errors.
//
// # What the channel does not guarantee
//
//   - Delivery or timeliness, either way: relayers and validators may
//     delay or withhold ingress and egress. A pRuntime keeps its signed
//     egress until a proof of its origin's sequence in x/mq shows the chain
//     moved past it, so a withheld message is sent again, not lost.
//   - Freshness of the enclave's view: a pRuntime knows the chain only up
//     to the last header its relayer gave it.
//   - That an accepted message was applied (see Delivery above), or that a
//     pushed ingress entry is read before it is pruned.
//   - Confidentiality: ingress entries, egress bodies and votes are public
//     chain state.
//   - That a sender is honest: x/mq authenticates who signed, not what they
//     said. Payload semantics are checked by the owning module's handler,
//     and a registered worker's or a quorum's message is taken as theirs.
//   - Replay protection beyond the chain id: two chains with the same chain
//     id and sequences (the branches of a fork) accept each other's signed
//     messages.
package mq
