package keeper

import (
	"errors"
	"io"

	"cosmossdk.io/store/cachekv"
	storetypes "cosmossdk.io/store/types"
)

// branch is a CacheMultiStore that branches only the stores a handler opens.
//
// Deliver needs a branch per message so that a handler that fails leaves no
// writes behind while its message still counts as delivered. The SDK's
// CacheMultiStore builds a cachekv store for every module store up front
// (eleven in gkd), which cost more than the endpoint handler itself; a
// handler touches one or two. branch creates a store's cachekv on first use
// and writes back only those, so a rejected handler's writes are dropped and
// an accepted one's are written, exactly as with a full branch.
//
// Write order cannot matter: each cachekv writes into its own parent store,
// and the stores are independent.
type branch struct {
	storetypes.MultiStore // the parent: what is not branched is read through it
	stores                map[storetypes.StoreKey]*cachekv.Store
	order                 []storetypes.StoreKey // first-use order, for Write
}

var _ storetypes.CacheMultiStore = (*branch)(nil)

func newBranch(parent storetypes.MultiStore) *branch {
	return &branch{MultiStore: parent, stores: make(map[storetypes.StoreKey]*cachekv.Store, 2)}
}

// GetKVStore returns key's store, branched on first use.
func (b *branch) GetKVStore(key storetypes.StoreKey) storetypes.KVStore {
	if s, ok := b.stores[key]; ok {
		return s
	}
	s := cachekv.NewStore(b.MultiStore.GetKVStore(key))
	b.stores[key] = s
	b.order = append(b.order, key)
	return s
}

// GetStore returns key's store, branched on first use.
func (b *branch) GetStore(key storetypes.StoreKey) storetypes.Store { return b.GetKVStore(key) }

// CacheMultiStore branches the branch, so a nested cache context's writes
// land here and not in the parent.
func (b *branch) CacheMultiStore() storetypes.CacheMultiStore { return newBranch(b) }

// CacheWrap branches the branch.
func (b *branch) CacheWrap() storetypes.CacheWrap { return newBranch(b) }

// CacheWrapWithTrace branches the branch; tracing is the parent's.
func (b *branch) CacheWrapWithTrace(io.Writer, storetypes.TraceContext) storetypes.CacheWrap {
	return newBranch(b)
}

// CacheMultiStoreWithVersion is not available on a branch: a handler reads
// the state it runs on, never an older version.
func (b *branch) CacheMultiStoreWithVersion(int64) (storetypes.CacheMultiStore, error) {
	return nil, errors.New("mq: a delivery branch has no older versions")
}

// Write writes the branched stores into the parent.
func (b *branch) Write() {
	for _, key := range b.order {
		b.stores[key].Write()
	}
}
