package keeper_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

func TestAddGatekeeper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params func(p *registrytypes.Params)
		key    string
		want   error
	}{
		{name: "simulated worker while sim is allowed", key: keyHex(simWorker)},
		{name: "level 1", key: keyHex(level1)},
		{name: "level 3 at the default limit", key: keyHex(level3)},
		{name: "upper-case hex key", key: strings.ToUpper(keyHex(level1))},
		{name: "level 4 above the default limit", key: keyHex(level4), want: types.ErrConfidenceTooLow},
		{
			name:   "level 4 under a raised limit",
			params: func(p *registrytypes.Params) { p.GatekeeperConfidenceLimit = 4 },
			key:    keyHex(level4),
		},
		{
			name:   "level 3 under a lowered limit",
			params: func(p *registrytypes.Params) { p.GatekeeperConfidenceLimit = 2 },
			key:    keyHex(level3),
			want:   types.ErrConfidenceTooLow,
		},
		{
			name:   "simulated worker once sim is disallowed",
			params: func(p *registrytypes.Params) { p.AllowSimulatedTee = false },
			key:    keyHex(simWorker),
			want:   types.ErrConfidenceTooLow,
		},
		{name: "base64 key", key: base64.StdEncoding.EncodeToString(pub(testKey(level1)))},
		{name: "unknown worker", key: keyHex(unknownSeed), want: registrytypes.ErrWorkerNotFound},
		{name: "already a gatekeeper", key: keyHex(gatekeeper), want: types.ErrAlreadyGatekeeper},
		{name: "key not hex", key: "zz", want: types.ErrInvalidKey},
		{name: "short key", key: keyHex(level1)[:62], want: types.ErrInvalidKey},
		{name: "long key", key: keyHex(level1) + "00", want: types.ErrInvalidKey},
		{name: "empty key", key: "", want: types.ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := gatekeeperFixture(t)
			if tc.params != nil {
				f.setRegistryParams(t, tc.params)
			}
			before := f.snapshot(t)
			gksBefore, _ := f.k.GatekeeperKeys(f.ctx)
			_, err := f.msgs.AddGatekeeper(f.ctx, &types.MsgAddGatekeeper{Authority: f.authority, IdentityKey: tc.key})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			key, _ := types.ParseKey(tc.key)
			gks, err := f.k.GatekeeperKeys(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(gks) != len(gksBefore)+1 || !slices.ContainsFunc(gks, func(k []byte) bool { return bytes.Equal(k, key) }) {
				t.Errorf("gatekeepers %x, want %x added", gks, key)
			}
			g, err := f.k.Gatekeepers.Get(f.ctx, key)
			if err != nil || g.AddedHeight != testHeight {
				t.Errorf("stored gatekeeper %+v, %v", g, err)
			}
			f.wantLastIngress(t, protocol.TopicGatekeeperAdded, key)
			// The event names the key in lower-case hex, whatever encoding
			// the message used.
			if !hasEvent(f.ctx.EventManager().Events(), types.EventGatekeeperAdded, map[string]string{types.AttributeIdentityKey: hex.EncodeToString(key)}) {
				t.Errorf("no %s event", types.EventGatekeeperAdded)
			}
		})
	}
}

func TestRemoveGatekeeper(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		want error
	}{
		{name: "gatekeeper", key: keyHex(gatekeeper)},
		{name: "upper-case hex key", key: strings.ToUpper(keyHex(gatekeeper))},
		{name: "worker that is not a gatekeeper", key: keyHex(level1), want: types.ErrNotGatekeeper},
		{name: "unknown key", key: keyHex(unknownSeed), want: types.ErrNotGatekeeper},
		{name: "key not hex", key: "zz", want: types.ErrInvalidKey},
		{name: "short key", key: keyHex(gatekeeper)[:62], want: types.ErrInvalidKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := gatekeeperFixture(t)
			before := f.snapshot(t)
			_, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: tc.key})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			key := pub(testKey(gatekeeper))
			if gks, _ := f.k.GatekeeperKeys(f.ctx); len(gks) != 0 {
				t.Errorf("gatekeepers after removal: %x", gks)
			}
			if ok, _ := f.reg.IsWorker(f.ctx, key); !ok {
				t.Error("removing a gatekeeper removed the worker")
			}
			f.wantLastIngress(t, protocol.TopicGatekeeperRemoved, key)
			if !hasEvent(f.ctx.EventManager().Events(), types.EventGatekeeperRemoved, map[string]string{types.AttributeIdentityKey: hex.EncodeToString(key)}) {
				t.Errorf("no %s event", types.EventGatekeeperRemoved)
			}
			// Adding it back works and is announced again; as the only
			// gatekeeper of a chain without a master key, it must launch.
			f.addGatekeeper(t, gatekeeper)
			es := f.ingress(t)
			if len(es) < 2 || es[len(es)-2].Topic != protocol.TopicGatekeeperAdded || !bytes.Equal(es[len(es)-2].Payload, key) {
				t.Errorf("no %s entry for the re-added gatekeeper", protocol.TopicGatekeeperAdded)
			}
			f.wantLastIngress(t, protocol.TopicGatekeeperLaunch, key)
		})
	}
}

// Workers of TestAddGatekeeper and TestRemoveGatekeeper, by key seed.
const (
	simWorker   = 1 // sim, level 128
	level1      = 2
	level3      = 3
	level4      = 4
	gatekeeper  = 5 // level 1, already a gatekeeper
	unknownSeed = 9 // never registered
)

func gatekeeperFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.registerSim(t, simWorker)
	f.registerFake(t, level1, 1)
	f.registerFake(t, level3, 3)
	f.registerFake(t, level4, 4)
	f.registerFake(t, gatekeeper, 1)
	f.addGatekeeper(t, gatekeeper)
	return f
}

func TestGovAuthority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		send func(ctx context.Context, s types.MsgServer, authority string) error
	}{
		{
			name: "update params",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.UpdateParams(ctx, &types.MsgUpdateParams{Authority: a, Params: types.DefaultParams()})
				return err
			},
		},
		{
			name: "add gatekeeper",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.AddGatekeeper(ctx, &types.MsgAddGatekeeper{Authority: a, IdentityKey: keyHex(1)})
				return err
			},
		},
		{
			name: "remove gatekeeper",
			send: func(ctx context.Context, s types.MsgServer, a string) error {
				_, err := s.RemoveGatekeeper(ctx, &types.MsgRemoveGatekeeper{Authority: a, IdentityKey: keyHex(2)})
				return err
			},
		},
	}
	for _, tc := range tests {
		for _, who := range []string{"operator", "empty", "authority in upper case"} {
			t.Run(tc.name+"/"+who, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				f.registerSim(t, 1)
				f.registerSim(t, 2)
				f.addGatekeeper(t, 2)
				sender := map[string]string{"operator": f.operator, "empty": "", "authority in upper case": strings.ToUpper(f.authority)}[who]
				before := f.snapshot(t)
				wantErrIs(t, tc.send(f.ctx, f.msgs, sender), types.ErrInvalidAuthority)
				f.assertUnchanged(t, before)
				// The same message from the authority goes through.
				wantErrIs(t, tc.send(f.ctx, f.msgs, f.authority), nil)
			})
		}
	}
}

func TestUpdateParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params types.Params
		want   error
	}{
		{name: "defaults", params: types.DefaultParams()},
		{name: "strictest", params: types.Params{MaxClusterWorkers: 1, KeyRetention: 1, ClusterInviteBlocks: 1, ReencryptStallBlocks: 1}},
		{name: "automatic rotation", params: func() types.Params {
			p := types.DefaultParams()
			p.RotationInterval, p.KeyRetention = 1000, 50
			return p
		}()},
		{name: "zero key retention", params: types.Params{MaxClusterWorkers: 1, ClusterInviteBlocks: 1, ReencryptStallBlocks: 1}, want: types.ErrInvalidParams},
		{name: "zero max cluster workers", params: types.Params{KeyRetention: 1, ClusterInviteBlocks: 1, ReencryptStallBlocks: 1}, want: types.ErrInvalidParams},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := f.snapshot(t)
			_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: tc.params})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			resp, err := f.query.Params(f.ctx, &types.QueryParamsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(resp.Params, tc.params) {
				t.Errorf("params = %+v, want %+v", resp.Params, tc.params)
			}
		})
	}
}
