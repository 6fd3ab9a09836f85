package tokenomics

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/bits"
)

// Target is a 256-bit big-endian threshold: a worker is challenged in a block
// when H(pubkey) XOR seed, read as a big-endian 256-bit integer, is ≤ the
// block's target.
type Target [32]byte

// KeyHash is H(pubkey) of the challenge rule: SHA-256 of the worker's
// public key bytes.
func KeyHash(workerKey []byte) [32]byte { return sha256.Sum256(workerKey) }

// IsChallenged reports whether the worker must answer the block whose seed
// (from the gatekeepers' random beacon) and target are given:
// H(pubkey) XOR seed ≤ target, as big-endian 256-bit integers.
func IsChallenged(workerKey []byte, seed [32]byte, target Target) bool {
	h := KeyHash(workerKey)
	return challenged(&h, &seed, &target)
}

func challenged(h, seed *[32]byte, t *Target) bool {
	for i := 0; i < 32; i += 8 {
		x := binary.BigEndian.Uint64(h[i:]) ^ binary.BigEndian.Uint64(seed[i:])
		y := binary.BigEndian.Uint64(t[i:])
		if x != y {
			return x < y
		}
	}
	return true
}

// OnlineTarget is the challenge threshold of a block when numWorkers workers
// are computing, following the reference's pow_target: each worker is
// challenged with probability
//
//	q = min(expected / N, maxPerWorkerHour · blockTime / 1 h)
//
// so that about `expected` heartbeats arrive per block over the whole
// network, but no worker is asked more than maxPerWorkerHour times per hour
// (the reference fixes that cap at 2). The threshold is floor(q·2^256) − 1,
// exact, so that P(x ≤ target) = q up to 2^-256; q ≥ 1 gives the maximum
// (every worker, every block). No workers gives the zero target.
func OnlineTarget(numWorkers, expected, maxPerWorkerHour, blockTimeMs uint32) Target {
	if numWorkers == 0 {
		return Target{}
	}
	// Compare expected/N with cap = maxPerWorkerHour·blockTimeMs/3,600,000.
	capNum := uint64(maxPerWorkerHour) * uint64(blockTimeMs)
	const capDen = 3_600_000
	lh, ll := bits.Mul64(uint64(expected), capDen)
	rh, rl := bits.Mul64(capNum, uint64(numWorkers))
	num, den := uint64(expected), uint64(numWorkers)
	if lh > rh || (lh == rh && ll > rl) {
		num, den = capNum, capDen
	}
	return ratioTarget(num, den)
}

// OnlineTarget is OnlineTarget with this Params' rates.
func (p Params) OnlineTarget(numWorkers uint32) Target {
	return OnlineTarget(numWorkers, p.ExpectedHeartbeatCount, p.MaxHeartbeatsPerWorkerHour, p.BlockTimeMs)
}

// ratioTarget returns floor(num·2^256/den) − 1, or all ones when num ≥ den.
func ratioTarget(num, den uint64) Target {
	var t Target
	if num >= den {
		for i := range t {
			t[i] = math.MaxUint8
		}
		return t
	}
	if num == 0 {
		return t
	}
	var limbs [4]uint64
	r := num
	for i := range limbs {
		limbs[i], r = bits.Div64(r, 0, den)
	}
	// Subtract one; the quotient is ≥ 1 because den < 2^64.
	for i := 3; i >= 0; i-- {
		var b uint64
		limbs[i], b = bits.Sub64(limbs[i], 1, 0)
		if b == 0 {
			break
		}
	}
	for i, l := range limbs {
		binary.BigEndian.PutUint64(t[8*i:], l)
	}
	return t
}
