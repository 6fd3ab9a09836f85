package chainsync_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
)

// The fuzz targets check what every decoder of untrusted bytes here must
// have: it never panics, its errors match the package's sentinels, and what
// it accepts is sound — a decoded state re-encodes to exactly the input, and
// a verified proof only ever proves what the store really holds. Seeds come
// from testdata/fuzz/<FuzzName>/ and from f.Add below.

func FuzzUnmarshalTrustedState(f *testing.F) {
	f.Add(mustMarshal(f, mustInit(f, genesisRoot(valsA), chainA.at(1))))
	f.Add(mustMarshal(f, mustInit(f, headerRoot(chainRotated.at(51)), chainRotated.at(51))))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := chainsync.UnmarshalTrustedState(b)
		if err != nil {
			if !errors.Is(err, chainsync.ErrMalformedState) {
				t.Fatalf("error %v does not match ErrMalformedState", err)
			}
			return
		}
		again, err := s.Marshal()
		if err != nil {
			t.Fatalf("decoded state does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n  in %x\n out %x", b, again)
		}
	})
}

// fuzzOps rebuilds proof ops from their data, keyed as the caller asks.
func fuzzOps(key []byte, storeName string, keyProof, storeProof []byte) *chainsync.ProofOps {
	return &chainsync.ProofOps{Ops: []chainsync.ProofOp{
		{Type: chainsync.ProofOpIAVL, Key: key, Data: keyProof},
		{Type: chainsync.ProofOpSimple, Key: []byte(storeName), Data: storeProof},
	}}
}

// storeEntriesAt is how many ingress entries the shared store holds at each
// version.
var storeEntriesAt = map[int64]uint64{1: 100, 2: 150, 3: 151, 4: 152}

func FuzzVerifyIngressEntry(f *testing.F) {
	st := sharedStore()
	for _, seed := range []struct {
		version int64
		index   uint64
	}{{1, 0}, {1, 42}, {2, 120}, {2, 5}, {3, 150}, {4, 151}} {
		entry, ops := st.prove(f, "mq", protocol.IngressKey(seed.index), seed.version)
		f.Add(uint64(seed.version), seed.index, entry, ops.Ops[0].Data, ops.Ops[1].Data)
	}
	f.Fuzz(func(t *testing.T, version, index uint64, entry, keyProof, storeProof []byte) {
		v := int64(1 + version%4)
		ops := fuzzOps(protocol.IngressKey(index), "mq", keyProof, storeProof)
		_, m, err := chainsync.VerifyIngressEntry(st.appHash[v], index, entry, ops)
		proved := err == nil || errors.Is(err, chainsync.ErrBadEntry)
		if err != nil && !proved && !errors.Is(err, chainsync.ErrBadProof) {
			t.Fatalf("error %v matches neither ErrBadProof nor ErrBadEntry", err)
		}
		if proved && (index >= storeEntriesAt[v] || !bytes.Equal(entry, st.entries[index])) {
			t.Fatalf("proved entry %d = %x at version %d, which the store does not hold", index, entry, v)
		}
		if err == nil && m.Seq != index {
			t.Fatalf("entry %d carries seq %d", index, m.Seq)
		}
	})
}

func FuzzVerifyNonMembership(f *testing.F) {
	st := sharedStore()
	for _, seed := range []struct {
		version int64
		key     []byte
	}{{1, protocol.IngressKey(100)}, {2, protocol.IngressKey(1 << 40)}, {2, []byte{0}}} {
		_, ops := st.prove(f, "mq", seed.key, seed.version)
		f.Add(uint64(seed.version), seed.key, ops.Ops[0].Data, ops.Ops[1].Data)
	}
	f.Fuzz(func(t *testing.T, version uint64, key, keyProof, storeProof []byte) {
		v := int64(1 + version%4)
		err := chainsync.VerifyNonMembership(st.appHash[v], "mq", key, fuzzOps(key, "mq", keyProof, storeProof))
		if err != nil {
			if !errors.Is(err, chainsync.ErrBadProof) {
				t.Fatalf("error %v does not match ErrBadProof", err)
			}
			return
		}
		if value, _ := st.prove(t, "mq", key, v); value != nil {
			t.Fatalf("proved key %X absent at version %d, where it holds %x", key, v, value)
		}
	})
}
