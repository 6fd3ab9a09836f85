package chainsync_test

import (
	"fmt"
	"testing"

	"cosmossdk.io/store/rootmulti"
	"github.com/cometbft/cometbft/crypto/merkle"
	"github.com/cometbft/cometbft/light"
	cmtprotocrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// BenchmarkVerifyIngressEntry measures proven ingress messages verified per
// second, from a log of 10,000 entries, against the Cosmos SDK's own proof
// runtime (plus decoding) as the reference measured in the same run.
func BenchmarkVerifyIngressEntry(b *testing.B) {
	st := newTestStore(b)
	for range 10 {
		st.appendEntries(b, 1000)
	}
	version := st.ms.LastCommitID().Version
	appHash := st.appHash[version]
	type proven struct {
		index uint64
		entry []byte
		ops   *chainsync.ProofOps
		cmt   *cmtprotocrypto.ProofOps // the same ops for the reference
	}
	var proofs []proven
	for i := uint64(0); i < st.next; i += 10 {
		entry, ops := st.prove(b, "mq", protocol.IngressKey(i), version)
		proofs = append(proofs, proven{i, entry, ops, cmtOps(ops)})
	}

	b.Run("chainsync", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			p := proofs[n%len(proofs)]
			if _, _, err := chainsync.VerifyIngressEntry(appHash, p.index, p.entry, p.ops); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("sdk-reference", func(b *testing.B) {
		b.ReportAllocs()
		prt := rootmulti.DefaultProofRuntime()
		n := 0
		for b.Loop() {
			p := proofs[n%len(proofs)]
			path := merkle.KeyPath{}.AppendKey([]byte("mq"), merkle.KeyEncodingURL).AppendKey(protocol.IngressKey(p.index), merkle.KeyEncodingHex)
			if err := prt.VerifyValue(p.cmt, appHash, path.String(), p.entry); err != nil {
				b.Fatal(err)
			}
			if _, _, err := protocol.DecodeIngressEntry(p.entry); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	})
}

// BenchmarkVerifySkipping measures one skipping hop across 99 heights for
// validator sets of several sizes, against CometBFT's light.Verify (which
// checks only the first 2/3 of signatures) measured in the same run.
func BenchmarkVerifySkipping(b *testing.B) {
	opts := chainsync.DefaultOptions()
	for _, n := range []int{4, 32, 100} {
		vals := newValSet(fmt.Sprintf("bench%d", n), n)
		first := hdr{height: 1, time: timeAt(1), vals: vals}.build()
		target := hdr{height: 100, time: timeAt(100), vals: vals}.build()
		s, err := chainsync.Init(testChainID, protocol.TrustRoot{Hash: vals.set.Hash()}, first, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("vals=%d/chainsync", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(target, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hops/s")
		})
		trustedSH, trustedVals := cmtSH(s.Header), cmtVals(s.Validators)
		targetSH, targetVals := cmtSH(target.SignedHeader), cmtVals(target.Validators)
		tl := cmtFraction(opts.TrustLevel)
		b.Run(fmt.Sprintf("vals=%d/light-reference", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := light.Verify(trustedSH, trustedVals, targetSH, targetVals,
					opts.TrustingPeriod, target.SignedHeader.Time, opts.MaxClockDrift, tl); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hops/s")
		})
	}
}

// BenchmarkUnmarshalTrustedState measures loading a checkpointed state of
// 100 validators (decoding, consistency and signature checks).
func BenchmarkUnmarshalTrustedState(b *testing.B) {
	vals := newValSet("bench-codec", 100)
	u := hdr{height: 1, time: timeAt(1), vals: vals}.build()
	s, err := chainsync.Init(testChainID, protocol.TrustRoot{Hash: vals.set.Hash()}, u, chainsync.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	enc := mustMarshal(b, s)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := chainsync.UnmarshalTrustedState(enc); err != nil {
			b.Fatal(err)
		}
	}
}
