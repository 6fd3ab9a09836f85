package keeper_test

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/attest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestGenesisRoundTrip exports a registry with workers, an endpoint and
// measurements, imports it into a fresh store and checks that
// the re-export is identical and the imported registry answers x/mq alike.
func TestGenesisRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 3)
	f.registerSim(t, 1)
	f.registerFake(t, 2, 2)
	if err := f.k.HandleEndpoint(f.ctx, protocol.Message{Origin: protocol.WorkerOrigin(pub(testKey(1))), Topic: protocol.TopicWorkerEndpoint, Payload: []byte("http://w1.example.com")}); err != nil {
		t.Fatal(err)
	}
	f.setParams(t, func(p *types.Params) { p.AttestationMaxAgeSeconds = 600 })
	if _, err := f.msgs.AddMeasurement(f.ctx, &types.MsgAddMeasurement{Authority: f.authority, TeeKind: attest.KindSim, Measurement: "0102", Description: "two"}); err != nil {
		t.Fatal(err)
	}

	exported, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis does not validate: %v", err)
	}
	if len(exported.Workers) != 3 || len(exported.Measurements) != 3 {
		t.Fatalf("export misses records: %+v", exported)
	}
	raw := f.cdc.MustMarshalJSON(exported)

	var gs types.GenesisState
	f.cdc.MustUnmarshalJSON(raw, &gs)
	g := newFixture(t)
	if err := g.k.InitGenesis(g.ctx, &gs); err != nil {
		t.Fatalf("InitGenesis: %v", err)
	}
	again, err := g.k.ExportGenesis(g.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := g.cdc.MustMarshalJSON(again); !bytes.Equal(raw, b) {
		t.Errorf("re-export differs:\nfirst  %s\nsecond %s", raw, b)
	}
	for _, s := range []byte{1, 2, 3} {
		if ok, _ := g.k.IsWorker(g.ctx, pub(testKey(s))); !ok {
			t.Errorf("worker %d missing after import", s)
		}
	}
}

func TestGenesisDefault(t *testing.T) {
	t.Parallel()
	gs := types.DefaultGenesisState()
	if err := gs.Validate(); err != nil {
		t.Fatal(err)
	}
	if gs.Params.AllowSimulatedTee {
		t.Error("default genesis allows simulated TEEs")
	}
}

func TestGenesisValidate(t *testing.T) {
	t.Parallel()
	worker := func(seed byte) types.Worker {
		return types.Worker{IdentityKey: pub(testKey(seed)), ReceiveKey: make([]byte, protocol.ReceiveKeyLen), TeeKind: attest.KindSim}
	}
	simM := types.Measurement{TeeKind: attest.KindSim, Measurement: simMeasurement[:]}
	tests := []struct {
		name   string
		mutate func(gs *types.GenesisState)
		want   error
		// wantInit is what InitGenesis says when it differs from Validate.
		wantInit error
	}{
		{name: "default", mutate: func(*types.GenesisState) {}},
		{
			name: "full",
			mutate: func(gs *types.GenesisState) {
				gs.Measurements = []types.Measurement{simM, {TeeKind: registrytest.FakeKind, Measurement: simMeasurement[:]}}
				gs.Workers = []types.Worker{worker(1), worker(2)}
			},
		},
		{
			name:   "invalid params",
			mutate: func(gs *types.GenesisState) { gs.Params.AttestationMaxAgeSeconds = 0 },
			want:   types.ErrInvalidParams,
		},
		{
			name:   "measurement without kind",
			mutate: func(gs *types.GenesisState) { gs.Measurements = []types.Measurement{{Measurement: []byte{1}}} },
			want:   types.ErrInvalidGenesis,
		},
		{
			name:   "empty measurement",
			mutate: func(gs *types.GenesisState) { gs.Measurements = []types.Measurement{{TeeKind: attest.KindSim}} },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "measurement too long",
			mutate: func(gs *types.GenesisState) {
				gs.Measurements = []types.Measurement{{TeeKind: attest.KindSim, Measurement: make([]byte, types.MaxMeasurementLen+1)}}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "duplicate measurement",
			mutate: func(gs *types.GenesisState) { gs.Measurements = []types.Measurement{simM, simM} },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "measurement of a kind this chain does not know",
			mutate: func(gs *types.GenesisState) {
				gs.Measurements = []types.Measurement{{TeeKind: "tdx", Measurement: []byte{1}}}
			},
			wantInit: types.ErrUnknownTEEKind,
		},
		{
			name: "worker key too short",
			mutate: func(gs *types.GenesisState) {
				w := worker(1)
				w.IdentityKey = w.IdentityKey[:31]
				gs.Workers = []types.Worker{w}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "worker receive key of the wrong size",
			mutate: func(gs *types.GenesisState) {
				w := worker(1)
				w.ReceiveKey = w.ReceiveKey[1:]
				gs.Workers = []types.Worker{w}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "duplicate worker",
			mutate: func(gs *types.GenesisState) { gs.Workers = []types.Worker{worker(1), worker(1)} },
			want:   types.ErrInvalidGenesis,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gs := types.DefaultGenesisState()
			tc.mutate(gs)
			wantErrIs(t, gs.Validate(), tc.want)
			wantInit := tc.want
			if tc.wantInit != nil {
				wantInit = tc.wantInit
			}
			f := newFixture(t)
			before := f.snapshot(t)
			err := f.k.InitGenesis(f.ctx, gs)
			wantErrIs(t, err, wantInit)
			if tc.want != nil {
				// Validation runs before any write.
				f.assertUnchanged(t, before)
			}
		})
	}
}
