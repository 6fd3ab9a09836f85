package protocol

import "crypto/sha256"

// Computation protocol (DESIGN §8): the chain keeps computing sessions and
// pays; every pRuntime runs the tokenomic engine (internal/tokenomics) on the
// same ingress, and the gatekeepers publish its per-block output by quorum.
// Fixed-point values are internal/tokenomics.Fixed's 16-byte encoding.
const (
	// TopicComputationParams (ingress): the tokenomic params in effect from
	// the next block, tokenomics.Params' binary encoding. Appended at genesis
	// and on every params change.
	TopicComputationParams = "computation/params"
	// TopicBenchmark (egress, worker origin): the pRuntime's performance
	// score (u32, EncodeU32), sent once after registration.
	TopicBenchmark = "computation/benchmark"
	// TopicSessionStarted (ingress): a SessionStarted.
	TopicSessionStarted = "computation/session_started"
	// TopicSessionStopped (ingress): a SessionRef: the session ends.
	TopicSessionStopped = "computation/session_stopped"
	// TopicHeartbeat: egress (worker origin): a Heartbeat answering the
	// challenge of a block. Ingress: Relayed{worker, Heartbeat}.
	TopicHeartbeat = "computation/heartbeat"
	// TopicBlockTask (ingress): a GatekeeperTask whose body is a
	// ComputationBlock; the ingress since the previous block task are the
	// block's inputs. The gatekeepers answer with TopicSettlement.
	TopicBlockTask = "computation/block_task"
	// TopicSettlement (egress, gatekeeper origin): tokenomics.Output's
	// encoding for the task's block.
	TopicSettlement = "computation/settlement"
)

// FixedLen is the size of a tokenomics.Fixed encoding (u64 integer part ||
// u64 fraction, big-endian).
const FixedLen = 16

// SessionStarted is a worker's new computing session.
type SessionStarted struct {
	Worker  []byte // identity key
	Session uint64
	Score   uint32 // p_init
	Level   uint32 // attestation confidence level
	Stake   []byte // FixedLen: tokens staked
}

// Encode returns worker || u64 session || u32 score || u32 level || stake.
func (p SessionStarted) Encode() []byte {
	w := writer{buf: make([]byte, 0, IdentityKeyLen+16+FixedLen)}
	w.raw(p.Worker)
	w.u64(p.Session)
	w.u32(p.Score)
	w.u32(p.Level)
	w.raw(p.Stake)
	return w.buf
}

// DecodeSessionStarted parses SessionStarted.Encode.
func DecodeSessionStarted(b []byte) (SessionStarted, error) {
	r := reader{buf: b}
	p := SessionStarted{Worker: r.take("worker", IdentityKeyLen), Session: r.u64("session"), Score: r.u32("score"), Level: r.u32("level")}
	p.Stake = r.take("stake", FixedLen)
	return p, r.done()
}

// SessionRef names a worker's computing session.
type SessionRef struct {
	Worker  []byte // identity key
	Session uint64
}

// Encode returns worker || u64 session.
func (p SessionRef) Encode() []byte {
	w := writer{buf: make([]byte, 0, IdentityKeyLen+8)}
	w.raw(p.Worker)
	w.u64(p.Session)
	return w.buf
}

// DecodeSessionRef parses SessionRef.Encode.
func DecodeSessionRef(b []byte) (SessionRef, error) {
	r := reader{buf: b}
	p := SessionRef{Worker: r.take("worker", IdentityKeyLen), Session: r.u64("session")}
	return p, r.done()
}

// Heartbeat is a worker's answer to the challenge of block Challenge in
// session Session.
type Heartbeat struct {
	Session   uint64
	Challenge uint64
}

// Encode returns u64 session || u64 challenge.
func (p Heartbeat) Encode() []byte {
	w := writer{buf: make([]byte, 0, 16)}
	w.u64(p.Session)
	w.u64(p.Challenge)
	return w.buf
}

// DecodeHeartbeat parses Heartbeat.Encode.
func DecodeHeartbeat(b []byte) (Heartbeat, error) {
	r := reader{buf: b}
	p := Heartbeat{Session: r.u64("session"), Challenge: r.u64("challenge")}
	return p, r.done()
}

// ComputationBlock is the body of a TopicBlockTask: the block height and
// its challenge seed, ChallengeSeed(latest beacon value, height). The chain
// derives it from the gatekeepers' beacon, so that no block proposer
// chooses who is challenged.
type ComputationBlock struct {
	Height uint64
	Seed   []byte // 32 bytes
}

// Encode returns u64 height || seed.
func (p ComputationBlock) Encode() []byte {
	w := writer{buf: make([]byte, 0, 40)}
	w.u64(p.Height)
	w.raw(p.Seed)
	return w.buf
}

// DecodeComputationBlock parses ComputationBlock.Encode.
func DecodeComputationBlock(b []byte) (ComputationBlock, error) {
	r := reader{buf: b}
	p := ComputationBlock{Height: r.u64("height"), Seed: r.take("seed", 32)}
	return p, r.done()
}

// ChallengeSeed derives the heartbeat-challenge seed of a block from the
// latest beacon value the chain accepted.
func ChallengeSeed(beacon []byte, height uint64) [32]byte {
	w := writer{}
	w.bytes16([]byte(ContextChallengeSeed))
	w.bytes16(beacon)
	w.u64(height)
	return sha256.Sum256(w.buf)
}
