package types

import (
	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

const (
	// ModuleName is the module's name, store key and topic owner prefix.
	ModuleName = "mq"
	// StoreKey is the KV store the ingress log lives in. pRuntimes prove
	// ingress entries against this store's root in the app hash.
	StoreKey = ModuleName
)

// Store layout of the "mq" store. Every key is prefix || encoded key.
var (
	// ParamsKey holds Params.
	ParamsKey = collections.NewPrefix(0)
	// IngressPrefix || u64 big-endian index → protocol.IngressEntry encoding
	// (u64 big-endian height || canonical protocol.Message). This layout is
	// part of the protocol: pRuntimes build ICS23 proofs of these keys.
	IngressPrefix = collections.NewPrefix(1)
	// NextIngressKey holds the index the next ingress entry gets (u64).
	NextIngressKey = collections.NewPrefix(2)
	// FirstIngressKey holds the oldest retained ingress index (u64).
	FirstIngressKey = collections.NewPrefix(3)
	// SequencePrefix || protocol.Origin.Key() → next expected egress seq
	// (u64 big-endian). Also part of the protocol: pRuntimes prove their own
	// sequence to learn which of their messages the chain accepted.
	SequencePrefix = collections.NewPrefix(4)
	// VotePrefix || len (1 byte) || gatekeeper origin key (the task channel
	// or a lane) || u64 big-endian seq || signer key → message body that the
	// gatekeeper signed at that seq of that channel (protocol.VoteKey).
	VotePrefix = collections.NewPrefix(5)
	// NextTaskKey holds the gatekeeper-channel sequence the next gatekeeper
	// task gets (u64). It starts at 0, as the channel does.
	NextTaskKey = collections.NewPrefix(6)
	// TaskPrefix || u64 big-endian seq → reply topic (string) of the
	// undelivered gatekeeper task at that seq. A gatekeeper message is
	// accepted only at a seq with a task, on its reply topic; the entry is
	// deleted when the seq is delivered.
	TaskPrefix = collections.NewPrefix(7)
	// QuorumBasisKey holds the SHA-256 of what decided the gatekeeper quorum
	// at the end of the last block (gk_quorum and the gatekeeper keys, see
	// quorumBasis). EndBlock re-checks every gatekeeper channel when it
	// differs, so votes stored before a set or quorum change are delivered.
	// Derived state: not exported; absent means "check at the next block".
	QuorumBasisKey = collections.NewPrefix(8)
	// IngressHeadPrefix || u64 big-endian n → the 32-byte ingress head at
	// n (protocol.IngressHead): the hash chain over the entries before n,
	// from the seed at the index where the chain was started (0 on a new
	// chain; the first retained index at the v1→v2 migration or at an
	// import without a base head). Kept for every n from the first retained
	// index to the next index, both included. Part of the protocol:
	// pRuntimes prove one head per batch of entries (protocol.IngressHeadKey).
	IngressHeadPrefix = collections.NewPrefix(9)
)

// IngressStoreKey returns the full store key of ingress entry index, as a
// pRuntime requests a proof of it.
func IngressStoreKey(index uint64) []byte { return protocol.IngressKey(index) }

// IngressHeadStoreKey returns the full store key of the ingress head at n.
func IngressHeadStoreKey(n uint64) []byte { return protocol.IngressHeadKey(n) }
