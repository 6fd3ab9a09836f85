package keeper_test

import (
	"cmp"
	"slices"

	"bytes"
	addresscodec "github.com/cosmos/cosmos-sdk/codec/address"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestGenesisRoundTripKeys exports a registry with master keys, live and
// faulted gatekeepers, clusters (one published) and a beacon, imports it,
// and checks that the re-export is identical and the imported registry
// carries on: cluster ids continue, the member index is rebuilt, the beacon
// only moves forward.
func TestGenesisRoundTripKeys(t *testing.T) {
	t.Parallel()
	f := launchedFixture(t, []byte{1, 2}, []byte{3, 4, 5, 6})
	f.goLive(t, 2)
	f.mustHandle(t, f.k.HandleKeyFault, fromWorker(2, protocol.TopicKeyFault,
		protocol.KeyFault{Sender: pub(testKey(1)), Kind: protocol.FaultMasterKeyCopy}.Encode()))
	f.createCluster(t, 3, 4)
	f.createCluster(t, 5)
	f.publishClusterKey(t, 1, 0)
	if _, err := f.msgs.InviteClusterWorker(f.ctx, &types.MsgInviteClusterWorker{Owner: f.operator, ClusterId: 1, Worker: keyHex(6)}); err != nil {
		t.Fatal(err)
	}
	f.mustHandle(t, f.k.HandleBeacon, fromGatekeepers(protocol.TopicBeacon,
		protocol.Beacon{Height: testHeight, Version: 0, Value: bytes.Repeat([]byte{7}, protocol.BeaconLen)}.Encode()))

	exported, err := f.exportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis does not validate: %v", err)
	}
	if len(exported.MasterKeys) != 1 || len(exported.Clusters) != 2 || exported.NextClusterId != 3 || len(exported.ClusterInvitations) != 1 ||
		exported.LatestBeacon == nil || len(exported.Launcher) != 0 || len(exported.Clusters[0].PublicKey) == 0 {
		t.Fatalf("export misses records: %+v", exported)
	}
	raw := f.cdc.MustMarshalJSON(exported)

	var gs types.GenesisState
	f.cdc.MustUnmarshalJSON(raw, &gs)
	g := newFixture(t)
	g.importRegistry(t, f)
	if err := g.initGenesis(g.ctx, &gs); err != nil {
		t.Fatalf("InitGenesis: %v", err)
	}
	again, err := g.exportGenesis(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := g.cdc.MustMarshalJSON(again); !bytes.Equal(raw, b) {
		t.Errorf("re-export differs:\nfirst  %s\nsecond %s", raw, b)
	}
	if gk := g.gatekeeper(t, 1); gk.Faults != 1 || gk.LiveHeight == 0 {
		t.Errorf("gatekeeper 1 after import: %+v", gk)
	}
	for _, s := range []byte{3, 4, 5} {
		if _, ok, _ := clusterOf(g, s); !ok {
			t.Errorf("worker %d not indexed after import", s)
		}
	}
	// The member index is rebuilt: a member cannot join a second cluster.
	_, err = g.msgs.CreateCluster(g.ctx, &types.MsgCreateCluster{Owner: g.operator, Workers: []string{keyHex(3)}})
	wantErrIs(t, err, types.ErrWorkerInCluster)
	if id := g.createCluster(t, 6); id != 3 {
		t.Errorf("next cluster id after import %d, want 3", id)
	}
	err = g.handle(t, g.k.HandleBeacon, fromGatekeepers(protocol.TopicBeacon,
		protocol.Beacon{Height: testHeight, Version: 0, Value: bytes.Repeat([]byte{8}, protocol.BeaconLen)}.Encode()))
	wantErrIs(t, err, types.ErrStaleBeacon)
	// The launcher's master key is there: no second v0.
	err = g.handle(t, g.k.HandleMasterKey, fromWorker(1, protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: masterPub(t, 9)}.Encode()))
	wantErrIs(t, err, types.ErrMasterKeyExists)
}

// A genesis with gatekeepers but neither a master key nor a launcher (written
// by hand) designates the first gatekeeper in key order, so that one
// launches.
func TestInitGenesisDesignatesLauncher(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	worker := func(seed byte) registrytypes.Worker {
		return registrytypes.Worker{IdentityKey: pub(testKey(seed)), ReceiveKey: make([]byte, protocol.ReceiveKeyLen), TeeKind: attest.KindSim}
	}
	for _, w := range []registrytypes.Worker{worker(1), worker(2)} {
		if err := f.reg.Workers.Set(f.ctx, w.IdentityKey, w); err != nil {
			t.Fatal(err)
		}
	}
	gs := types.DefaultGenesisState()
	gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(1))}, {IdentityKey: pub(testKey(2))}}
	if err := f.initGenesis(f.ctx, gs); err != nil {
		t.Fatal(err)
	}
	first := pub(testKey(1))
	if bytes.Compare(pub(testKey(2)), first) < 0 {
		first = pub(testKey(2))
	}
	if l, err := f.k.Launcher.Get(f.ctx); err != nil || !bytes.Equal(l, first) {
		t.Fatalf("launcher %x, %v; want %x", l, err, first)
	}
	f.wantLastIngress(t, protocol.TopicGatekeeperLaunch, first)
}

func clusterOf(f *fixture, seed byte) (uint64, bool, error) {
	id, err := f.k.WorkerCluster.Get(f.ctx, pub(testKey(seed)))
	return id, err == nil, err
}

func TestGenesisValidate(t *testing.T) {
	t.Parallel()
	worker := func(seed byte) registrytypes.Worker {
		return registrytypes.Worker{IdentityKey: pub(testKey(seed)), ReceiveKey: make([]byte, protocol.ReceiveKeyLen), TeeKind: attest.KindSim}
	}
	// launched: workers 1-4, gatekeeper 1, master key v0 from it.
	launched := func(gs *bothGenesis) {
		gs.Workers = []registrytypes.Worker{worker(1), worker(2), worker(3), worker(4)}
		gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(1)), LiveHeight: 5}}
		gs.MasterKeys = []types.MasterKey{{Version: 0, PublicKey: masterPub(t, 1), Height: 5, GeneratedBy: pub(testKey(1))}}
	}
	owner := registrytest.MustAddr(t, addresscodec.Bech32Codec{Bech32Prefix: "gk"}, bytes.Repeat([]byte{0x0a}, 20))
	cluster := func(id uint64, seeds ...byte) types.Cluster {
		var ws [][]byte
		for _, s := range seeds {
			ws = append(ws, pub(testKey(s)))
		}
		slices.SortFunc(ws, bytes.Compare)
		return types.Cluster{Id: id, Owner: owner, Workers: ws}
	}
	inv := func(id uint64, seed byte) types.ClusterInvitation {
		return types.ClusterInvitation{ClusterId: id, Worker: pub(testKey(seed)), InvitedHeight: 5, ExpiresHeight: 15}
	}
	// invited: launched, cluster 1 = {2}, cluster 2 = {}, next id 3.
	invited := func(gs *bothGenesis, invs ...types.ClusterInvitation) {
		launched(gs)
		gs.Clusters = []types.Cluster{cluster(1, 2), cluster(2)}
		gs.NextClusterId = 3
		gs.ClusterInvitations = invs
	}
	// sorted returns invs in the (cluster, worker) order genesis wants.
	sorted := func(invs ...types.ClusterInvitation) []types.ClusterInvitation {
		slices.SortFunc(invs, func(a, b types.ClusterInvitation) int {
			if a.ClusterId != b.ClusterId {
				return cmp.Compare(a.ClusterId, b.ClusterId)
			}
			return bytes.Compare(a.Worker, b.Worker)
		})
		return invs
	}
	tests := []struct {
		name   string
		mutate func(gs *bothGenesis)
		want   error
		// wantInit is what InitGenesis says when it differs from Validate.
		wantInit error
	}{
		{name: "default", mutate: func(*bothGenesis) {}},
		{
			name: "full",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1), worker(2)}
				gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(2))}}
			},
		},
		{
			name: "gatekeeper that is not a worker",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1)}
				gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(2))}}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "duplicate gatekeeper",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1)}
				gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(1))}, {IdentityKey: pub(testKey(1))}}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "negative live height",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1)}
				gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(1)), LiveHeight: -1}}
			},
			want: types.ErrInvalidGenesis,
		},
		{name: "launched", mutate: launched},
		{
			name: "launcher before the launch",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1)}
				gs.Gatekeepers = []types.Gatekeeper{{IdentityKey: pub(testKey(1))}}
				gs.Launcher = pub(testKey(1))
			},
		},
		{
			name: "launcher that is no gatekeeper",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(1)}
				gs.Launcher = pub(testKey(1))
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "launcher after the launch",
			mutate: func(gs *bothGenesis) { launched(gs); gs.Launcher = pub(testKey(1)) },
			want:   types.ErrInvalidGenesis,
		},
		{
			name:   "master keys starting at version 1",
			mutate: func(gs *bothGenesis) { launched(gs); gs.MasterKeys[0].Version = 1 },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "master key versions with a gap",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				mk := gs.MasterKeys[0]
				mk.Version = 2
				gs.MasterKeys = append(gs.MasterKeys, mk)
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "invalid master public key",
			mutate: func(gs *bothGenesis) { launched(gs); gs.MasterKeys[0].PublicKey[0] = 0x04 },
			want:   types.ErrInvalidGenesis,
		},
		{
			name:   "master key without its generator",
			mutate: func(gs *bothGenesis) { launched(gs); gs.MasterKeys[0].GeneratedBy = nil },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "clusters",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(1, 2), cluster(3, 3, 4)}
				gs.Clusters[1].PublicKey = make([]byte, protocol.ClusterPublicKeyLen)
				gs.NextClusterId = 4
			},
		},
		{
			name: "empty cluster",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(1)}
				gs.NextClusterId = 2
			},
		},
		{
			name:   "cluster next id 0 means 1",
			mutate: func(gs *bothGenesis) { gs.NextClusterId = 0 },
		},
		{
			name:   "cluster id 0",
			mutate: func(gs *bothGenesis) { launched(gs); gs.Clusters = []types.Cluster{cluster(0, 2)} },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "cluster id at next_cluster_id",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(1, 2)}
				gs.NextClusterId = 1
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "clusters out of order",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(2, 2), cluster(1, 3)}
				gs.NextClusterId = 3
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "worker in two clusters",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(1, 2), cluster(2, 2)}
				gs.NextClusterId = 3
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "cluster members not sorted",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				c := cluster(1, 2, 3)
				c.Workers[0], c.Workers[1] = c.Workers[1], c.Workers[0]
				gs.Clusters = []types.Cluster{c}
				gs.NextClusterId = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{name: "cluster invitations", mutate: func(gs *bothGenesis) { invited(gs, sorted(inv(1, 3), inv(1, 4), inv(2, 3))...) }},
		{name: "gatekeeper as cluster member", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) {
			invited(gs)
			gs.Clusters[0] = cluster(1, 1, 2)
		}},
		{name: "invitation of a gatekeeper", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(1, 1)) }},
		{name: "invitation of a member", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(2, 2)) }},
		{name: "invitation of no worker", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(1, 9)) }},
		{name: "invitation to a missing cluster", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(7, 3)) }},
		{name: "invitations out of order", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(2, 3), inv(1, 3)) }},
		{name: "invitation twice", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) { invited(gs, inv(1, 3), inv(1, 3)) }},
		{name: "invitation expiring before it was made", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) {
			i := inv(1, 3)
			i.ExpiresHeight = 4
			invited(gs, i)
		}},
		{name: "more invitations than max_cluster_workers", want: types.ErrInvalidGenesis, mutate: func(gs *bothGenesis) {
			invited(gs, sorted(inv(1, 3), inv(1, 4))...)
			gs.Params.MaxClusterWorkers = 1
		}},
		{name: "zero cluster_invite_blocks", want: types.ErrInvalidParams, mutate: func(gs *bothGenesis) { gs.Params.ClusterInviteBlocks = 0 }},
		{
			name: "cluster member that is no worker",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.Clusters = []types.Cluster{cluster(1, 9)}
				gs.NextClusterId = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "cluster before the master key",
			mutate: func(gs *bothGenesis) {
				gs.Workers = []registrytypes.Worker{worker(2)}
				gs.Clusters = []types.Cluster{cluster(1, 2)}
				gs.NextClusterId = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "cluster public key of the wrong size",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				c := cluster(1, 2)
				c.PublicKey = []byte{1}
				gs.Clusters = []types.Cluster{c}
				gs.NextClusterId = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "cluster without owner",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				c := cluster(1, 2)
				c.Owner = ""
				gs.Clusters = []types.Cluster{c}
				gs.NextClusterId = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "cluster owner that is no address",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				c := cluster(1, 2)
				c.Owner = "not-an-address"
				gs.Clusters = []types.Cluster{c}
				gs.NextClusterId = 2
			},
			wantInit: types.ErrInvalidGenesis,
		},
		{
			name: "beacon",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.LatestBeacon = &types.Beacon{Height: 10, Value: make([]byte, protocol.BeaconLen), DeliveredHeight: 11}
			},
		},
		{
			name: "beacon of an unknown version",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.LatestBeacon = &types.Beacon{Height: 10, Version: 1, Value: make([]byte, protocol.BeaconLen)}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "beacon value of the wrong size",
			mutate: func(gs *bothGenesis) {
				launched(gs)
				gs.LatestBeacon = &types.Beacon{Height: 10, Value: make([]byte, 31)}
			},
			want: types.ErrInvalidGenesis,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gs := bothGenesis{GenesisState: types.DefaultGenesisState()}
			tc.mutate(&gs)
			rgs := registrytypes.DefaultGenesisState()
			rgs.Params.AllowSimulatedTee = true
			rgs.Workers = gs.Workers
			workers := map[string]bool{}
			for _, w := range gs.Workers {
				workers[string(w.IdentityKey)] = true
			}
			// x/gatekeeper validates against x/registry's genesis.
			wantErrIs(t, gs.ValidateAgainst(workers, nil), tc.want)
			wantInit := tc.want
			if tc.wantInit != nil {
				wantInit = tc.wantInit
			}
			f := newFixture(t)
			if err := f.reg.InitGenesis(f.ctx, rgs); err != nil {
				t.Fatal(err)
			}
			before := f.snapshot(t)
			err := f.initGenesis(f.ctx, gs.GenesisState)
			wantErrIs(t, err, wantInit)
			if tc.want != nil {
				// Validation runs before any write.
				f.assertUnchanged(t, before)
			}
		})
	}
}

// bothGenesis is what TestGenesisValidate's table writes: x/gatekeeper's
// genesis and the workers of x/registry's it names.
type bothGenesis struct {
	*types.GenesisState
	Workers []registrytypes.Worker
}
