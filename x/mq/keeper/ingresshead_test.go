package keeper_test

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/keeper"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// recomputeHeads returns the heads at first … next over the stored entries,
// from base, as a pRuntime computes them.
func recomputeHeads(t *testing.T, f *fixture, first, next uint64, base protocol.IngressHead) map[uint64]protocol.IngressHead {
	t.Helper()
	heads := map[uint64]protocol.IngressHead{first: base}
	h := base
	for i := first; i < next; i++ {
		raw, err := f.k.Ingress.Get(f.ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		h = h.Next(raw)
		heads[i+1] = h
	}
	return heads
}

// assertHeads checks that the store holds exactly want, at the documented
// keys: nothing below first, nothing above next.
func assertHeads(t *testing.T, f *fixture, want map[uint64]protocol.IngressHead) {
	t.Helper()
	got := 0
	err := f.k.IngressHeads.Walk(f.ctx, nil, func(n uint64, v []byte) (bool, error) {
		got++
		w, ok := want[n]
		if !ok {
			t.Errorf("head at %d is stored; want none there", n)
			return false, nil
		}
		if !bytes.Equal(v, w[:]) {
			t.Errorf("head at %d = %x, want %x", n, v, w)
		}
		if raw := f.ctx.KVStore(f.storeKey).Get(types.IngressHeadStoreKey(n)); !bytes.Equal(raw, v) {
			t.Errorf("store key %x holds %x, want the head", types.IngressHeadStoreKey(n), raw)
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != len(want) {
		t.Errorf("%d heads stored, want %d", got, len(want))
	}
}

func TestIngressHeadsFollowPushAndPrune(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 10 })
	for i := range 6 {
		f.ctx = f.ctx.WithBlockHeight(int64(1 + i))
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	assertHeads(t, f, recomputeHeads(t, f, 0, 6, protocol.IngressHeadSeed()))
	all := recomputeHeads(t, f, 0, 6, protocol.IngressHeadSeed())

	// Entries 0-2 (heights 1-3) fall out of the window at height 14: their
	// heads go, the head at the new first index (over 0-2) stays.
	f.ctx = f.ctx.WithBlockHeight(14)
	if err := f.k.PruneIngress(f.ctx); err != nil {
		t.Fatal(err)
	}
	if first, err := f.k.FirstIngress.Get(f.ctx); err != nil || first != 3 {
		t.Fatalf("first = %d, %v; want 3", first, err)
	}
	want := map[uint64]protocol.IngressHead{3: all[3], 4: all[4], 5: all[5], 6: all[6]}
	assertHeads(t, f, want)

	// The chain goes on from the head at next.
	if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte("after")); err != nil {
		t.Fatal(err)
	}
	raw, err := f.k.Ingress.Get(f.ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	want[7] = all[6].Next(raw)
	assertHeads(t, f, want)
}

func TestIngressHeadMissingIsAnError(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte("a")); err != nil {
		t.Fatal(err)
	}
	// A store whose head at next is gone (what a version 1 store is
	// before its migration) refuses to append rather than start a new chain.
	if err := f.k.IngressHeads.Remove(f.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte("b")); !errors.Is(err, collections.ErrNotFound) {
		t.Fatalf("push without a head: %v, want ErrNotFound", err)
	}
}

func TestIngressHeadsGenesisImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 5 })
	for i := range 4 {
		f.ctx = f.ctx.WithBlockHeight(int64(1 + i))
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	f.ctx = f.ctx.WithBlockHeight(8) // entries at heights 1, 2 go
	if err := f.k.PruneIngress(f.ctx); err != nil {
		t.Fatal(err)
	}
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Heads are derived: the import starts the chain from the seed at the
	// first exported entry and computes the rest.
	g := newFixture(t)
	if err := g.k.InitGenesis(g.ctx, gs); err != nil {
		t.Fatal(err)
	}
	assertHeads(t, g, recomputeHeads(t, g, 2, 4, protocol.IngressHeadSeed()))
}

func TestMigrate1to2ComputesHeads(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 5 })
	for i := range 5 {
		f.ctx = f.ctx.WithBlockHeight(int64(1 + i))
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	f.ctx = f.ctx.WithBlockHeight(8) // entries at heights 1, 2 go
	if err := f.k.PruneIngress(f.ctx); err != nil {
		t.Fatal(err)
	}
	// Make it a version 1 store: entries, first and next, no heads.
	var ns []uint64
	if err := f.k.IngressHeads.Walk(f.ctx, nil, func(n uint64, _ []byte) (bool, error) {
		ns = append(ns, n)
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		if err := f.k.IngressHeads.Remove(f.ctx, n); err != nil {
			t.Fatal(err)
		}
	}

	if err := keeper.NewMigrator(f.k).Migrate1to2(f.ctx); err != nil {
		t.Fatal(err)
	}
	// The chain restarts from the seed at the first retained entry.
	want := recomputeHeads(t, f, 2, 5, protocol.IngressHeadSeed())
	assertHeads(t, f, want)
	// And appending continues it.
	if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte("after")); err != nil {
		t.Fatal(err)
	}
	raw, err := f.k.Ingress.Get(f.ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	want[6] = want[5].Next(raw)
	assertHeads(t, f, want)
}

func TestMigrate1to2EmptyLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := f.k.IngressHeads.Remove(f.ctx, 0); err != nil {
		t.Fatal(err)
	}
	if err := keeper.NewMigrator(f.k).Migrate1to2(f.ctx); err != nil {
		t.Fatal(err)
	}
	assertHeads(t, f, map[uint64]protocol.IngressHead{0: protocol.IngressHeadSeed()})
}

func mustHead(t *testing.T, f *fixture, n uint64) protocol.IngressHead {
	t.Helper()
	h, err := f.k.IngressHead(f.ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
