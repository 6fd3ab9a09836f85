package tokenomics_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"

	tk "github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// bigTarget is floor(q·2^256) − 1 computed with big.Int.
func bigTarget(num, den uint64) tk.Target {
	var t tk.Target
	if num >= den {
		return tk.Target(bytes.Repeat([]byte{0xff}, 32))
	}
	v := new(big.Int).Lsh(new(big.Int).SetUint64(num), 256)
	v.Quo(v, new(big.Int).SetUint64(den))
	v.Sub(v, big.NewInt(1))
	v.FillBytes(t[:])
	return t
}

func TestOnlineTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		n, e, m, blockMs uint32
		wantNum, wantDen uint64
	}{
		{"one worker, cap 2/h at 12 s", 1, 20, 2, 12000, 24000, 3_600_000},
		{"3000 workers: both 1/150", 3000, 20, 2, 12000, 20, 3000},
		{"100k workers: 20 per block", 100_000, 20, 2, 12000, 20, 100_000},
		{"devnet: every block", 2, 20, 3600, 1000, 1, 1},
		{"half", 4, 2, 3600, 1000, 2, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tk.OnlineTarget(tc.n, tc.e, tc.m, tc.blockMs)
			if want := bigTarget(tc.wantNum, tc.wantDen); got != want {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
	if (tk.OnlineTarget(0, 20, 2, 12000) != tk.Target{}) {
		t.Fatal("no workers should give the zero target")
	}
	p := tk.DefaultParams()
	if p.OnlineTarget(7) != tk.OnlineTarget(7, 20, 2, 12000) {
		t.Fatal("Params.OnlineTarget")
	}
}

func TestIsChallenged(t *testing.T) {
	t.Parallel()
	key := []byte("worker-key-0123456789abcdef01234")
	h := sha256.Sum256(key)
	// seed = H(key) XOR v makes H XOR seed = v.
	seedFor := func(v [32]byte) [32]byte {
		var s [32]byte
		for i := range s {
			s[i] = h[i] ^ v[i]
		}
		return s
	}
	var target tk.Target
	target[0] = 0x10
	below, at, above := [32]byte(target), [32]byte(target), [32]byte(target)
	below[31] = 0xff
	below[0] = 0x0f
	above[31] = 1
	tests := []struct {
		name string
		x    [32]byte
		want bool
	}{
		{"below", below, true},
		{"equal", at, true},
		{"above", above, false},
		{"zero", [32]byte{}, true},
	}
	for _, tc := range tests {
		if got := tk.IsChallenged(key, seedFor(tc.x), target); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	// About q of all workers are challenged.
	tg := tk.OnlineTarget(1000, 20, 3600, 1000) // q = 1/50
	hits := 0
	const n = 200_000
	for i := range n {
		var k [32]byte
		binary.BigEndian.PutUint64(k[:], uint64(i))
		seed := sha256.Sum256(k[:8])
		if tk.IsChallenged(k[:], seed, tg) {
			hits++
		}
	}
	if hits < n/50*9/10 || hits > n/50*11/10 {
		t.Fatalf("%d of %d challenged, want about %d", hits, n, n/50)
	}
}
