package ics23_test

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
)

// storeNames are the stores of the test multistore; several, so that the
// store proofs have depth and both child positions.
var storeNames = []string{"acc", "bank", "mq", "registry", "staking"}

// fixture is a real SDK multistore with IAVL stores, committed once.
type fixture struct {
	ms      *rootmulti.Store
	appHash []byte
	roots   map[string][]byte // store name → its root in the multistore
}

// mqKey is the i-th key of store "mq": 0x01 || u16 big-endian i*2, so that
// odd indices fall between keys.
func mqKey(i int) []byte { return []byte{0x01, byte(i * 2 >> 8), byte(i * 2)} }

// mqValue is the value at mqKey(i).
func mqValue(i int) []byte { return fmt.Appendf(nil, "value %d", i) }

const mqKeys = 200

// sharedFixture builds the store once for every test: 200 keys in "mq",
// a few in every other store.
var sharedFixture = sync.OnceValue(func() *fixture {
	ms := rootmulti.NewStore(dbm.NewMemDB(), log.NewNopLogger(), metrics.NewNoOpMetrics())
	ms.SetPruning(pruningtypes.NewPruningOptions(pruningtypes.PruningNothing))
	keys := map[string]*storetypes.KVStoreKey{}
	for _, name := range storeNames {
		keys[name] = storetypes.NewKVStoreKey(name)
		ms.MountStoreWithDB(keys[name], storetypes.StoreTypeIAVL, nil)
	}
	if err := ms.LoadLatestVersion(); err != nil {
		panic(err)
	}
	f := &fixture{ms: ms, roots: map[string][]byte{}}
	for i := range mqKeys {
		ms.GetKVStore(keys["mq"]).Set(mqKey(i), mqValue(i))
	}
	for _, name := range storeNames {
		if name != "mq" {
			ms.GetKVStore(keys[name]).Set([]byte("k/"+name), []byte("v"))
		}
	}
	f.appHash = ms.Commit().Hash
	for _, name := range storeNames {
		f.roots[name] = ms.GetCommitKVStore(keys[name]).LastCommitID().Hash
	}
	return f
})

// query is one proven query: the value (nil if absent) and the data of the
// two proof ops.
type query struct {
	value      []byte
	keyProof   []byte // ics23:iavl
	storeProof []byte // ics23:simple
}

func (f *fixture) query(t testing.TB, store string, key []byte) query {
	t.Helper()
	res, err := f.ms.Query(&storetypes.RequestQuery{Path: "/" + store + "/key", Data: key, Height: 1, Prove: true})
	if err != nil {
		t.Fatalf("query %s %X: %v", store, key, err)
	}
	if res.ProofOps == nil || len(res.ProofOps.Ops) != 2 {
		t.Fatalf("query %s %X: %d proof ops", store, key, len(res.ProofOps.GetOps()))
	}
	return query{value: res.Value, keyProof: res.ProofOps.Ops[0].Data, storeProof: res.ProofOps.Ops[1].Data}
}
