package ics23_test

import (
	"testing"

	cics23 "github.com/cosmos/ics23/go"

	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync/ics23"
)

// BenchmarkVerifyMembership measures what chainsync does per proven value —
// decode the IAVL key proof and the multistore proof, verify the first
// and the store root the second commits to — against cosmos/ics23/go
// doing the same (gogoproto decoding included) in the same run. Compare
// the ns/op of the two sub-benchmarks for the ratio.
func BenchmarkVerifyMembership(b *testing.B) {
	f := sharedFixture()
	q := f.query(b, "mq", mqKey(77))
	key, value := mqKey(77), q.value
	b.Run("ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			kp, err := ics23.Decode(q.keyProof)
			if err != nil {
				b.Fatal(err)
			}
			sp, err := ics23.Decode(q.storeProof)
			if err != nil {
				b.Fatal(err)
			}
			root, err := ics23.ExistenceRoot(ics23.IAVL, kp, key, value)
			if err != nil {
				b.Fatal(err)
			}
			if err := ics23.VerifyMembership(ics23.Tendermint, f.appHash, sp, []byte("mq"), root); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ics23-reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var kp, sp cics23.CommitmentProof
			if err := kp.Unmarshal(q.keyProof); err != nil {
				b.Fatal(err)
			}
			if err := sp.Unmarshal(q.storeProof); err != nil {
				b.Fatal(err)
			}
			root, err := kp.Calculate()
			if err != nil {
				b.Fatal(err)
			}
			if !cics23.VerifyMembership(cics23.IavlSpec, root, &kp, key, value) ||
				!cics23.VerifyMembership(cics23.TendermintSpec, f.appHash, &sp, []byte("mq"), root) {
				b.Fatal("does not verify")
			}
		}
	})
}
