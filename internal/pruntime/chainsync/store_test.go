package chainsync_test

import (
	"fmt"
	"sync"
	"testing"

	"cosmossdk.io/log"
	"cosmossdk.io/store/metrics"
	pruningtypes "cosmossdk.io/store/pruning/types"
	"cosmossdk.io/store/rootmulti"
	storetypes "cosmossdk.io/store/types"
	dbm "github.com/cosmos/cosmos-db"
	gogoproto "github.com/cosmos/gogoproto/proto"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/pruntime/chainsync"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// testStore is a real Cosmos SDK multistore (IAVL stores on an in-memory
// database) holding an ingress log in store "mq", as the chain lays it out.
type testStore struct {
	ms      *rootmulti.Store
	keys    map[string]*storetypes.KVStoreKey
	appHash map[int64][]byte // version → app hash (the AppHash of header version+1)
	entries map[uint64][]byte
	heads   map[uint64]protocol.IngressHead // n → head at n, as x/mq keeps them
	next    uint64
}

// storeNames are the stores of the test multistore; several, so that the
// multistore proof has depth.
var storeNames = []string{"acc", "bank", "mq", "registry", "staking"}

func newTestStore(t testing.TB) *testStore {
	t.Helper()
	ms := rootmulti.NewStore(dbm.NewMemDB(), log.NewNopLogger(), metrics.NewNoOpMetrics())
	ms.SetPruning(pruningtypes.NewPruningOptions(pruningtypes.PruningNothing))
	s := &testStore{ms: ms, keys: map[string]*storetypes.KVStoreKey{}, appHash: map[int64][]byte{}, entries: map[uint64][]byte{}, heads: map[uint64]protocol.IngressHead{0: protocol.IngressHeadSeed()}}
	for _, name := range storeNames {
		s.keys[name] = storetypes.NewKVStoreKey(name)
		ms.MountStoreWithDB(s.keys[name], storetypes.StoreTypeIAVL, nil)
	}
	if err := ms.LoadLatestVersion(); err != nil {
		t.Fatal(err)
	}
	seed := protocol.IngressHeadSeed()
	ms.GetKVStore(s.keys["mq"]).Set(mqtypes.IngressHeadStoreKey(0), seed[:])
	return s
}

// testMessage is the ingress message at index i.
func testMessage(i uint64) protocol.Message {
	return protocol.Message{
		Origin:  protocol.ModuleOrigin("registry"),
		Topic:   protocol.TopicWorkerRegistered,
		Seq:     i,
		Payload: fmt.Appendf(nil, "payload of entry %d", i),
	}
}

// appendEntries appends n ingress entries and unrelated state to other
// stores, then commits a version.
func (s *testStore) appendEntries(t testing.TB, n int) int64 {
	t.Helper()
	height := s.ms.LastCommitID().Version + 1
	mq := s.ms.GetKVStore(s.keys["mq"])
	for range n {
		m := testMessage(s.next)
		body, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		s.putEntry(s.next, protocol.IngressEntry{Height: uint64(height), Message: body}.Encode())
		s.next++
	}
	mq.Set([]byte{0x02}, fmt.Appendf(nil, "%d", s.next))
	for _, name := range []string{"acc", "bank", "staking"} {
		s.ms.GetKVStore(s.keys[name]).Set(fmt.Appendf(nil, "key/%d", height), []byte("value"))
	}
	return s.commit()
}

// putEntry stores raw bytes at ingress index i and the head at i+1 over
// them, as x/mq's PushIngress does (without committing).
func (s *testStore) putEntry(i uint64, value []byte) {
	mq := s.ms.GetKVStore(s.keys["mq"])
	mq.Set(mqtypes.IngressStoreKey(i), value)
	s.entries[i] = value
	h := s.heads[i].Next(value)
	s.heads[i+1] = h
	mq.Set(mqtypes.IngressHeadStoreKey(i+1), h[:])
}

func (s *testStore) commit() int64 {
	cid := s.ms.Commit()
	s.appHash[cid.Version] = cid.Hash
	return cid.Version
}

// prove queries key in store with a proof at version, as a relayer's
// abci_query with prove=true does, and returns the value and proof ops,
// encoded as the chain sends them and decoded as the enclave reads them.
func (s *testStore) prove(t testing.TB, store string, key []byte, version int64) ([]byte, *chainsync.ProofOps) {
	t.Helper()
	res, err := s.ms.Query(&storetypes.RequestQuery{Path: "/" + store + "/key", Data: key, Height: version, Prove: true})
	if err != nil {
		t.Fatalf("query %s %X at %d: %v", store, key, version, err)
	}
	if res.ProofOps == nil || len(res.ProofOps.Ops) != 2 {
		t.Fatalf("query %s %X at %d: %d proof ops", store, key, version, len(res.ProofOps.GetOps()))
	}
	b, err := gogoproto.Marshal(res.ProofOps)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := chainsync.DecodeProofOps(b)
	if err != nil {
		t.Fatalf("query %s %X at %d: %v", store, key, version, err)
	}
	return res.Value, ops
}

// sharedStore is one store for all tests that only read it: 150 entries,
// 100 committed at version 1 and 50 more at version 2; versions 3 and 4
// hold a malformed entry and one with the wrong sequence.
var sharedStore = sync.OnceValue(func() *testStore {
	t := &panicTB{}
	s := newTestStore(t)
	s.appendEntries(t, 100)
	s.appendEntries(t, 50)
	s.putEntry(150, []byte("not an ingress entry"))
	s.next = 151
	s.commit()
	body, err := (&protocol.Message{Origin: protocol.ModuleOrigin("registry"), Topic: protocol.TopicWorkerRegistered, Seq: 7}).Encode()
	if err != nil {
		panic(err)
	}
	s.putEntry(151, protocol.IngressEntry{Height: 4, Message: body}.Encode())
	s.next = 152
	s.commit()
	return s
})

// panicTB lets fixtures built outside a test use the helpers above.
type panicTB struct{ testing.TB }

func (*panicTB) Helper()                   {}
func (*panicTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (*panicTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
