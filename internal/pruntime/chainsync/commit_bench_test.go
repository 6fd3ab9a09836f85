package chainsync_test

import (
	"fmt"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// BenchmarkVerifyCommit measures verifying every signature of one commit
// (the check of an adjacent hop) for 4 and 100 validators, against
// CometBFT's VerifyCommitLightAllSignatures on the same commit in the same
// run. CometBFT batch-verifies and caches expanded public keys across
// calls; chainsync verifies each signature on its own, deterministically.
// The ratio is reported as chainsync's time over CometBFT's.
func BenchmarkVerifyCommit(b *testing.B) {
	for _, n := range []int{4, 100} {
		vals := newValSet(fmt.Sprintf("bench-commit%d", n), n)
		csh, cvals := hdr{height: 2, time: timeAt(2), vals: vals}.buildCmt()
		shb, vb := gogoBytes(b, csh, cvals)
		u, err := chainsync.DecodeHeaderUpdate(shb, vb)
		if err != nil {
			b.Fatal(err)
		}
		csh, cvals, err = cmtDecode(shb, vb)
		if err != nil {
			b.Fatal(err)
		}
		var ours, ref float64
		b.Run(fmt.Sprintf("vals=%d/chainsync", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if v := chainsync.VerifyCommitAll(testChainID, u.Validators, u.SignedHeader.Commit); v.Err != nil {
					b.Fatal(v.Err)
				}
			}
			ours = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(fmt.Sprintf("vals=%d/cometbft-reference", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := cvals.VerifyCommitLightAllSignatures(testChainID, csh.Commit.BlockID, csh.Height, csh.Commit); err != nil {
					b.Fatal(err)
				}
			}
			ref = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ours/ref, "chainsync/cometbft")
		})
	}
}
