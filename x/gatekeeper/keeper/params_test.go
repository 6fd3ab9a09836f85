package keeper_test

import (
	"math"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	withRotation := func(interval, retention uint64) types.Params {
		p := types.DefaultParams()
		p.RotationInterval, p.KeyRetention = interval, retention
		return p
	}
	withInvite := func(blocks uint64) types.Params {
		p := types.DefaultParams()
		p.ClusterInviteBlocks = blocks
		return p
	}
	withClusters := func(beacon uint64, max uint32) types.Params {
		p := types.DefaultParams()
		p.BeaconIntervalBlocks, p.MaxClusterWorkers = beacon, max
		return p
	}
	tests := []struct {
		name string
		p    types.Params
		want error
	}{
		{name: "default", p: types.DefaultParams()},
		{name: "strictest", p: types.Params{MaxClusterWorkers: 1, KeyRetention: 1, ClusterInviteBlocks: 1, ReencryptStallBlocks: 1}},
		{name: "loosest", p: types.Params{BeaconIntervalBlocks: math.MaxInt64, MaxClusterWorkers: types.MaxClusterWorkersLimit,
			RotationInterval: math.MaxInt64, KeyRetention: types.MaxKeyRetention, ClusterInviteBlocks: types.MaxClusterInviteBlocks, ReencryptStallBlocks: types.MaxKeyRetention}},
		{name: "cluster invitations never valid", p: withInvite(0), want: types.ErrInvalidParams},
		{name: "cluster invitations beyond the bound", p: withInvite(types.MaxClusterInviteBlocks + 1), want: types.ErrInvalidParams},
		{name: "rotation every block, erase a block after retirement", p: withRotation(1, 1)},
		{name: "rotation interval beyond any height", p: withRotation(math.MaxInt64+1, 100), want: types.ErrInvalidParams},
		{name: "key retention 0", p: withRotation(0, 0), want: types.ErrInvalidParams},
		{name: "key retention above the bound", p: withRotation(0, types.MaxKeyRetention+1), want: types.ErrInvalidParams},
		{name: "beacon off", p: withClusters(0, 64)},
		{name: "beacon every block", p: withClusters(1, 64)},
		{name: "beacon interval beyond any height", p: withClusters(math.MaxInt64+1, 64), want: types.ErrInvalidParams},
		{name: "max cluster workers 0", p: withClusters(10, 0), want: types.ErrInvalidParams},
		{name: "max cluster workers above the limit", p: withClusters(10, types.MaxClusterWorkersLimit+1), want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantErrIs(t, tc.p.Validate(), tc.want)
		})
	}
}
