package protocol

import "crypto/sha256"

// Computation protocol (DESIGN §8): the chain keeps computing sessions and
// pays; every pRuntime runs the tokenomic engine (internal/tokenomics) on the
// same ingress, and the gatekeepers publish its per-block output by quorum,
// on the computation lane, only for blocks whose output is not empty.
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
	// TopicBlock (ingress): a ComputationBlock closing a block for the
	// engine; the computation ingress since the previous one are the
	// block's inputs. Appended every block while any session exists.
	TopicBlock = "computation/block"
	// TopicSettlement (egress, on the computation lane): tokenomics.Output's
	// encoding for one block whose output is not empty. Its sequence on the
	// lane is the number of non-empty outputs before it, which every
	// pRuntime counts from the same ingress; a block with nothing to report
	// sends nothing.
	TopicSettlement = "computation/settlement"
)

// LaneComputation is the gatekeeper lane (GatekeeperLane) that carries
// TopicSettlement.
const LaneComputation = "computation"

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
// session Session. Iterations is the pRuntime's benchmark counter when it
// processed that block (work done since the session started, or since the
// pRuntime restarted if later; one iteration per MiB hashed); the engine
// measures p_instant from it.
type Heartbeat struct {
	Session    uint64
	Challenge  uint64
	Iterations uint64
}

// Encode returns u64 session || u64 challenge || u64 iterations.
func (p Heartbeat) Encode() []byte {
	w := writer{buf: make([]byte, 0, 24)}
	w.u64(p.Session)
	w.u64(p.Challenge)
	w.u64(p.Iterations)
	return w.buf
}

// DecodeHeartbeat parses Heartbeat.Encode.
func DecodeHeartbeat(b []byte) (Heartbeat, error) {
	r := reader{buf: b}
	p := Heartbeat{Session: r.u64("session"), Challenge: r.u64("challenge"), Iterations: r.u64("iterations")}
	return p, r.done()
}

// ComputationBlock is the payload of a TopicBlock: the block height and
// its challenge seed, ChallengeSeed(latest beacon value, height). The chain
// derives it from the gatekeepers' beacon, so that no block proposer
// chooses who is challenged. Time is the block's consensus time in unix
// milliseconds, the clock of the p_instant measurement.
type ComputationBlock struct {
	Height uint64
	Time   uint64
	Seed   []byte // 32 bytes
}

// Encode returns u64 height || u64 time || seed.
func (p ComputationBlock) Encode() []byte {
	w := writer{buf: make([]byte, 0, 48)}
	w.u64(p.Height)
	w.u64(p.Time)
	w.raw(p.Seed)
	return w.buf
}

// DecodeComputationBlock parses ComputationBlock.Encode.
func DecodeComputationBlock(b []byte) (ComputationBlock, error) {
	r := reader{buf: b}
	p := ComputationBlock{Height: r.u64("height"), Time: r.u64("time"), Seed: r.take("seed", 32)}
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
