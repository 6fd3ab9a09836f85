package keeper_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

func TestGatekeepersQueryOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	seeds := []byte{4, 1, 3, 2}
	for _, s := range seeds {
		f.registerSim(t, s)
	}
	resp, err := f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
	if err != nil || len(resp.Gatekeepers) != 0 {
		t.Fatalf("empty set: %v, %v", resp, err)
	}
	for i, s := range seeds {
		f.ctx = f.ctx.WithBlockHeight(testHeight + int64(i))
		f.addGatekeeper(t, s)
	}
	resp, err = f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	for _, g := range resp.Gatekeepers {
		got = append(got, g.IdentityKey)
	}
	want := sortedKeys(seeds...)
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("gatekeepers %x, want key order %x", got, want)
	}
	// x/mq sees the same set in the same order.
	keys, err := f.k.GatekeeperKeys(f.ctx)
	if err != nil || !slices.EqualFunc(keys, want, bytes.Equal) {
		t.Errorf("GatekeeperKeys = %x, %v; want %x", keys, err, want)
	}
	for _, g := range resp.Gatekeepers {
		i := slices.IndexFunc(seeds, func(s byte) bool { return bytes.Equal(pub(testKey(s)), g.IdentityKey) })
		if g.AddedHeight != testHeight+int64(i) {
			t.Errorf("gatekeeper %x added at %d, want %d", g.IdentityKey, g.AddedHeight, testHeight+int64(i))
		}
	}
}

// sortedKeys returns the identity keys of seeds in store order.
func sortedKeys(seeds ...byte) [][]byte {
	var keys [][]byte
	for _, s := range seeds {
		keys = append(keys, pub(testKey(s)))
	}
	slices.SortFunc(keys, bytes.Compare)
	return keys
}
