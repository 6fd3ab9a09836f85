package keeper

import (
	"testing"

	storetypes "cosmossdk.io/store/types"

	"github.com/cosmos/cosmos-sdk/testutil"
)

// A branch drops every write of a failed handler and keeps every write of an
// accepted one, in each store it opened, including writes a handler made
// through a nested cache context it committed; stores it never opened are
// left as they were.
func TestBranchWritesOnlyOnWrite(t *testing.T) {
	t.Parallel()
	a, b, c := storetypes.NewKVStoreKey("a"), storetypes.NewKVStoreKey("b"), storetypes.NewKVStoreKey("c")
	tc := testutil.DefaultContextWithDB(t, a, storetypes.NewTransientStoreKey("t"))
	// DefaultContextWithDB mounts one store; mount the others on the same CMS.
	tc.CMS.MountStoreWithDB(b, storetypes.StoreTypeIAVL, tc.DB)
	tc.CMS.MountStoreWithDB(c, storetypes.StoreTypeIAVL, tc.DB)
	if err := tc.CMS.LoadLatestVersion(); err != nil {
		t.Fatal(err)
	}
	ctx := tc.Ctx.WithMultiStore(tc.CMS.CacheMultiStore())
	ctx.KVStore(c).Set([]byte("k"), []byte("before"))

	handler := func(br *branch) {
		hctx := ctx.WithMultiStore(br)
		hctx.KVStore(a).Set([]byte("k"), []byte("a"))
		nested, write := hctx.CacheContext()
		nested.KVStore(b).Set([]byte("k"), []byte("b"))
		write()
		if got := string(hctx.KVStore(c).Get([]byte("k"))); got != "before" {
			t.Fatalf("branch reads %q from an unopened store, want the parent's", got)
		}
	}

	rejected := newBranch(ctx.MultiStore())
	handler(rejected)
	for _, key := range []storetypes.StoreKey{a, b} {
		if v := ctx.KVStore(key).Get([]byte("k")); v != nil {
			t.Fatalf("store %s holds %q from a branch never written", key.Name(), v)
		}
	}

	accepted := newBranch(ctx.MultiStore())
	handler(accepted)
	accepted.Write()
	for key, want := range map[storetypes.StoreKey]string{a: "a", b: "b", c: "before"} {
		if got := string(ctx.KVStore(key).Get([]byte("k"))); got != want {
			t.Fatalf("store %s = %q after Write, want %q", key.Name(), got, want)
		}
	}
	if len(accepted.order) != 3 {
		t.Fatalf("branch opened %d stores, want the 3 the handler used", len(accepted.order))
	}
}
