package keeper_test

import (
	"bytes"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// TestLaunch follows the master key launch: the first gatekeeper is told to
// launch; a second added meanwhile waits; when v0 arrives it is recorded,
// republished and requested for the second; a third added later is requested
// at once.
func TestLaunch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, s := range []byte{1, 2, 3} {
		f.registerSim(t, s)
	}
	k1, k2, k3 := pub(testKey(1)), pub(testKey(2)), pub(testKey(3))

	mark := len(f.ingress(t))
	f.addGatekeeper(t, 1)
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicGatekeeperAdded, k1}, entry{protocol.TopicGatekeeperLaunch, k1})
	if l, err := f.k.Launcher.Get(f.ctx); err != nil || !bytes.Equal(l, k1) {
		t.Fatalf("launcher %x, %v; want gatekeeper 1", l, err)
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventGatekeeperLaunch, map[string]string{types.AttributeIdentityKey: hex.EncodeToString(k1)}) {
		t.Errorf("no %s event", types.EventGatekeeperLaunch)
	}

	mark = len(f.ingress(t))
	f.addGatekeeper(t, 2)
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicGatekeeperAdded, k2})

	mark = len(f.ingress(t))
	rec := protocol.MasterKeyRecord{Version: 0, PublicKey: masterPub(t, 1)}.Encode()
	f.ctx = f.ctx.WithBlockHeight(testHeight + 5)
	f.mustHandle(t, f.k.HandleMasterKey, fromWorker(1, protocol.TopicMasterKey, rec))
	wantIngress(t, f.ingressSince(t, mark),
		entry{protocol.TopicMasterKey, rec},
		entry{protocol.TopicMasterKeyRequest, protocol.KeyRequest{Identity: k2, ReceiveKey: f.receiveKey(t, 2)}.Encode()})
	mk, err := f.k.MasterKeys.Get(f.ctx, 0)
	if err != nil || !bytes.Equal(mk.PublicKey, masterPub(t, 1)) || mk.Height != testHeight+5 || !bytes.Equal(mk.GeneratedBy, k1) {
		t.Fatalf("master key %+v, %v", mk, err)
	}
	if has, _ := f.k.Launcher.Has(f.ctx); has {
		t.Error("launcher still set after v0")
	}
	if g := f.gatekeeper(t, 1); g.LiveHeight != testHeight+5 {
		t.Errorf("launcher live at %d, want %d", g.LiveHeight, testHeight+5)
	}
	if g := f.gatekeeper(t, 2); g.LiveHeight != 0 {
		t.Errorf("gatekeeper 2 live at %d before it has the key", g.LiveHeight)
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMasterKeyRecorded, map[string]string{types.AttributePublicKey: hex.EncodeToString(masterPub(t, 1))}) {
		t.Errorf("no %s event", types.EventMasterKeyRecorded)
	}

	mark = len(f.ingress(t))
	f.addGatekeeper(t, 3)
	wantIngress(t, f.ingressSince(t, mark),
		entry{protocol.TopicGatekeeperAdded, k3},
		entry{protocol.TopicMasterKeyRequest, protocol.KeyRequest{Identity: k3, ReceiveKey: f.receiveKey(t, 3)}.Encode()})

	resp, err := f.query.MasterKeys(f.ctx, &types.QueryMasterKeysRequest{})
	if err != nil || len(resp.MasterKeys) != 1 || resp.MasterKeys[0].Version != 0 {
		t.Errorf("MasterKeys query: %+v, %v", resp, err)
	}
}

// TestLauncherRemoval: a launcher removed before it delivers v0 is replaced
// by the first remaining gatekeeper in key order, whose v0 is then the only
// one accepted.
func TestLauncherRemoval(t *testing.T) {
	t.Parallel()
	seeds := []byte{1, 2, 3}
	tests := []struct {
		name         string
		remove       byte
		wantLauncher func(remaining [][]byte) []byte
	}{
		{name: "launcher removed", remove: 1, wantLauncher: func(r [][]byte) []byte { return r[0] }},
		{name: "another gatekeeper removed", remove: 2, wantLauncher: func([][]byte) []byte { return pub(testKey(1)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range seeds {
				f.registerSim(t, s)
				f.addGatekeeper(t, s)
			}
			mark := len(f.ingress(t))
			if _, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(tc.remove)}); err != nil {
				t.Fatal(err)
			}
			var remaining [][]byte
			for _, s := range seeds {
				if s != tc.remove {
					remaining = append(remaining, pub(testKey(s)))
				}
			}
			slices.SortFunc(remaining, bytes.Compare)
			want := tc.wantLauncher(remaining)
			l, err := f.k.Launcher.Get(f.ctx)
			if err != nil || !bytes.Equal(l, want) {
				t.Fatalf("launcher %x, %v; want %x", l, err, want)
			}
			got := f.ingressSince(t, mark)
			removed := entry{protocol.TopicGatekeeperRemoved, pub(testKey(tc.remove))}
			if tc.remove == 1 {
				wantIngress(t, got, removed, entry{protocol.TopicGatekeeperLaunch, want})
			} else {
				wantIngress(t, got, removed)
			}
			resp, err := f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
			if err != nil || !bytes.Equal(resp.Launcher, want) || len(resp.Gatekeepers) != 2 {
				t.Errorf("Gatekeepers query: %+v, %v", resp, err)
			}

			// Only the current launcher's v0 counts.
			for _, s := range seeds {
				if bytes.Equal(pub(testKey(s)), want) {
					continue
				}
				m := fromWorker(s, protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: masterPub(t, s)}.Encode())
				before := f.snapshot(t)
				wantErrIs(t, f.handle(t, f.k.HandleMasterKey, m), types.ErrNotLauncher)
				f.assertUnchanged(t, before)
			}
			for _, s := range seeds {
				if bytes.Equal(pub(testKey(s)), want) {
					f.launch(t, s)
				}
			}
			if n, _ := f.k.MasterKeyCount(f.ctx); n != 1 {
				t.Fatalf("%d master key versions after the new launcher's v0", n)
			}
		})
	}
}

// Removing the only gatekeeper while it is the launcher leaves no launcher;
// the next gatekeeper added gets the launch.
func TestLauncherRemovalLastGatekeeper(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.registerSim(t, 1)
	f.registerSim(t, 2)
	f.addGatekeeper(t, 1)
	if _, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(1)}); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.k.Launcher.Has(f.ctx); has {
		t.Fatal("launcher set with no gatekeeper")
	}
	f.wantLastIngress(t, protocol.TopicGatekeeperRemoved, pub(testKey(1)))
	f.addGatekeeper(t, 2)
	f.wantLastIngress(t, protocol.TopicGatekeeperLaunch, pub(testKey(2)))
}

// Once v0 exists, removing a gatekeeper designates nobody.
func TestRemoveGatekeeperAfterLaunch(t *testing.T) {
	t.Parallel()
	f := launchedFixture(t, []byte{1, 2}, nil)
	if _, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(1)}); err != nil {
		t.Fatal(err)
	}
	if has, _ := f.k.Launcher.Has(f.ctx); has {
		t.Fatal("launcher designated after the master key exists")
	}
	f.wantLastIngress(t, protocol.TopicGatekeeperRemoved, pub(testKey(1)))
}

func TestHandleMasterKey(t *testing.T) {
	t.Parallel()
	rec := func(version uint32, pk []byte) []byte {
		return protocol.MasterKeyRecord{Version: version, PublicKey: pk}.Encode()
	}
	notOnCurve := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)
	uncompressedPrefix := append([]byte{0x04}, masterPub(t, 1)[1:]...)
	tests := []struct {
		name string
		// setup runs on a chain with workers 1-3 and gatekeepers 1 (the
		// launcher) and 2.
		setup func(t *testing.T, f *fixture)
		m     func(t *testing.T) protocol.Message
		want  error
	}{
		{name: "launcher's v0", m: func(t *testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, rec(0, masterPub(t, 1)))
		}},
		{name: "from another gatekeeper", want: types.ErrNotLauncher, m: func(t *testing.T) protocol.Message {
			return fromWorker(2, protocol.TopicMasterKey, rec(0, masterPub(t, 2)))
		}},
		{name: "from a worker that is no gatekeeper", want: types.ErrNotLauncher, m: func(t *testing.T) protocol.Message {
			return fromWorker(3, protocol.TopicMasterKey, rec(0, masterPub(t, 3)))
		}},
		{
			name: "second v0 from the launcher", want: types.ErrMasterKeyExists,
			setup: func(t *testing.T, f *fixture) { f.launch(t, 1) },
			m: func(t *testing.T) protocol.Message {
				return fromWorker(1, protocol.TopicMasterKey, rec(0, masterPub(t, 9)))
			},
		},
		{
			name: "second v0 from another gatekeeper", want: types.ErrMasterKeyExists,
			setup: func(t *testing.T, f *fixture) { f.launch(t, 1) },
			m: func(t *testing.T) protocol.Message {
				return fromWorker(2, protocol.TopicMasterKey, rec(0, masterPub(t, 2)))
			},
		},
		{name: "version 1 first", want: types.ErrInvalidMasterKey, m: func(t *testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, rec(1, masterPub(t, 1)))
		}},
		{name: "public key not on the curve", want: types.ErrInvalidMasterKey, m: func(*testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, rec(0, notOnCurve))
		}},
		{name: "public key with an uncompressed prefix", want: types.ErrInvalidMasterKey, m: func(*testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, rec(0, uncompressedPrefix))
		}},
		{name: "all-zero public key", want: types.ErrInvalidMasterKey, m: func(*testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, rec(0, make([]byte, protocol.MasterPublicKeyLen)))
		}},
		{name: "truncated payload", want: types.ErrMalformedPayload, m: func(t *testing.T) protocol.Message {
			b := rec(0, masterPub(t, 1))
			return fromWorker(1, protocol.TopicMasterKey, b[:len(b)-1])
		}},
		{name: "trailing byte", want: types.ErrMalformedPayload, m: func(t *testing.T) protocol.Message {
			return fromWorker(1, protocol.TopicMasterKey, append(rec(0, masterPub(t, 1)), 0))
		}},
		{name: "gatekeeper origin", want: types.ErrInvalidOrigin, m: func(t *testing.T) protocol.Message {
			return fromGatekeepers(protocol.TopicMasterKey, rec(0, masterPub(t, 1)))
		}},
		{
			name: "launcher removed meanwhile", want: types.ErrNotLauncher,
			setup: func(t *testing.T, f *fixture) {
				if _, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(1)}); err != nil {
					t.Fatal(err)
				}
			},
			m: func(t *testing.T) protocol.Message {
				return fromWorker(1, protocol.TopicMasterKey, rec(0, masterPub(t, 1)))
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range []byte{1, 2, 3} {
				f.registerSim(t, s)
			}
			f.addGatekeeper(t, 1)
			f.addGatekeeper(t, 2)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			before := f.snapshot(t)
			err := f.handle(t, f.k.HandleMasterKey, tc.m(t))
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if n, _ := f.k.MasterKeyCount(f.ctx); n != 1 {
				t.Errorf("%d versions, want 1", n)
			}
		})
	}
}

func TestHandleMasterKeyCopy(t *testing.T) {
	t.Parallel()
	// Gatekeepers 1 (launcher, live) and 2 (not live); worker 3.
	cp := func(recipient byte, first, count uint32) []byte {
		return protocol.MasterKeyCopy{Recipient: pub(testKey(recipient)), First: first, Count: count, Sealed: []byte("sealed")}.Encode()
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		m     protocol.Message
		want  error
	}{
		{name: "live gatekeeper to a gatekeeper", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 1))},
		{
			name:  "gatekeeper gone live to a new gatekeeper",
			setup: func(t *testing.T, f *fixture) { f.goLive(t, 2); f.registerSim(t, 4); f.addGatekeeper(t, 4) },
			m:     fromWorker(2, protocol.TopicMasterKeyCopy, cp(4, 0, 1)),
		},
		{name: "to a worker that is no gatekeeper", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(3, 0, 1)), want: types.ErrInvalidRecipient},
		{name: "to an unregistered key", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(9, 0, 1)), want: types.ErrInvalidRecipient},
		{name: "to itself", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(1, 0, 1)), want: types.ErrInvalidRecipient},
		{
			name:  "to a removed gatekeeper",
			setup: func(t *testing.T, f *fixture) { f.removeGatekeeper(t, 2) },
			m:     fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 1)),
			want:  types.ErrInvalidRecipient,
		},
		{name: "from a gatekeeper not live", m: fromWorker(2, protocol.TopicMasterKeyCopy, cp(1, 0, 1)), want: types.ErrNotLive},
		{name: "from a worker that is no gatekeeper", m: fromWorker(3, protocol.TopicMasterKeyCopy, cp(2, 0, 1)), want: types.ErrNotGatekeeper},
		{
			name:  "from a removed gatekeeper",
			setup: func(t *testing.T, f *fixture) { f.removeGatekeeper(t, 1) },
			m:     fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 1)),
			want:  types.ErrNotGatekeeper,
		},
		{name: "versions the chain does not have", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 2)), want: types.ErrUnknownKeyVersion},
		{name: "a version past the last", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 1, 1)), want: types.ErrUnknownKeyVersion},
		{name: "count 0", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 0)), want: types.ErrMalformedPayload},
		{name: "truncated", m: fromWorker(1, protocol.TopicMasterKeyCopy, cp(2, 0, 1)[:40]), want: types.ErrMalformedPayload},
		{name: "gatekeeper origin", m: fromGatekeepers(protocol.TopicMasterKeyCopy, cp(2, 0, 1)), want: types.ErrInvalidOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := launchedFixture(t, []byte{1, 2}, []byte{3})
			if tc.setup != nil {
				tc.setup(t, f)
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			err := f.handle(t, f.k.HandleMasterKeyCopy, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMasterKeyCopy, protocol.Relayed{Sender: tc.m.Origin.ID, Body: tc.m.Payload}.Encode()})
			if !hasEvent(f.ctx.EventManager().Events(), types.EventKeyCopyRelayed, map[string]string{types.AttributeSender: hex.EncodeToString(tc.m.Origin.ID)}) {
				t.Errorf("no %s event", types.EventKeyCopyRelayed)
			}
		})
	}
}

// goLive reports gatekeeper seed live with the chain's version count.
func (f *fixture) goLive(t testing.TB, seed byte) {
	t.Helper()
	n, err := f.k.MasterKeyCount(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.mustHandle(t, f.k.HandleGatekeeperLive, fromWorker(seed, protocol.TopicGatekeeperLive, protocol.EncodeU32(n)))
}

func (f *fixture) removeGatekeeper(t testing.TB, seed byte) {
	t.Helper()
	if _, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(seed)}); err != nil {
		t.Fatal(err)
	}
}

func TestHandleGatekeeperLive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		noLaunch   bool
		m          protocol.Message
		want       error
		wantHeight int64 // gatekeeper 2's live height afterwards
	}{
		{name: "whole history", m: fromWorker(2, protocol.TopicGatekeeperLive, protocol.EncodeU32(1)), wantHeight: testHeight + 1},
		{name: "too many versions", m: fromWorker(2, protocol.TopicGatekeeperLive, protocol.EncodeU32(2)), want: types.ErrKeyVersionMismatch},
		{name: "no version", m: fromWorker(2, protocol.TopicGatekeeperLive, protocol.EncodeU32(0)), want: types.ErrKeyVersionMismatch},
		{name: "before the launch", noLaunch: true, m: fromWorker(2, protocol.TopicGatekeeperLive, protocol.EncodeU32(0)), want: types.ErrNoMasterKey},
		{name: "from a worker that is no gatekeeper", m: fromWorker(3, protocol.TopicGatekeeperLive, protocol.EncodeU32(1)), want: types.ErrNotGatekeeper},
		{name: "payload of 8 bytes", m: fromWorker(2, protocol.TopicGatekeeperLive, protocol.EncodeU64(1)), want: types.ErrMalformedPayload},
		{name: "gatekeeper origin", m: fromGatekeepers(protocol.TopicGatekeeperLive, protocol.EncodeU32(1)), want: types.ErrInvalidOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			for _, s := range []byte{1, 2, 3} {
				f.registerSim(t, s)
			}
			f.addGatekeeper(t, 1)
			f.addGatekeeper(t, 2)
			if !tc.noLaunch {
				f.launch(t, 1)
			}
			f.ctx = f.ctx.WithBlockHeight(testHeight + 1)
			before := f.snapshot(t)
			err := f.handle(t, f.k.HandleGatekeeperLive, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if g := f.gatekeeper(t, 2); g.LiveHeight != tc.wantHeight {
				t.Errorf("live height %d, want %d", g.LiveHeight, tc.wantHeight)
			}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventGatekeeperLive, map[string]string{types.AttributeIdentityKey: keyHex(2)}) {
				t.Errorf("no %s event", types.EventGatekeeperLive)
			}
			// Reporting again later keeps the first height.
			f.ctx = f.ctx.WithBlockHeight(testHeight + 9)
			f.mustHandle(t, f.k.HandleGatekeeperLive, tc.m)
			if g := f.gatekeeper(t, 2); g.LiveHeight != tc.wantHeight {
				t.Errorf("live height %d after a second report, want %d", g.LiveHeight, tc.wantHeight)
			}
		})
	}
}

func TestHandleKeyFault(t *testing.T) {
	t.Parallel()
	fault := func(accused, kind byte, cluster uint64) []byte {
		return protocol.KeyFault{Sender: pub(testKey(accused)), Kind: kind, Cluster: cluster, Version: 0}.Encode()
	}
	master, cluster := protocol.FaultMasterKeyCopy, protocol.FaultClusterKeyCopy
	// Gatekeepers 1 (live) and 2; workers 3, 4 in cluster 1, worker 5 in
	// cluster 2, worker 6 in none.
	tests := []struct {
		name        string
		m           protocol.Message
		want        error
		wantAccused byte
	}{
		{name: "master key copy fault reported by a gatekeeper", m: fromWorker(2, protocol.TopicKeyFault, fault(1, master, 0)), wantAccused: 1},
		{name: "cluster key copy fault reported by a member", m: fromWorker(3, protocol.TopicKeyFault, fault(1, cluster, 1)), wantAccused: 1},
		{name: "master key copy fault reported by a worker", m: fromWorker(3, protocol.TopicKeyFault, fault(1, master, 0)), want: types.ErrNotGatekeeper},
		{name: "cluster fault reported by a member of another cluster", m: fromWorker(5, protocol.TopicKeyFault, fault(1, cluster, 1)), want: types.ErrNotClusterMember},
		{name: "cluster fault reported by a worker in no cluster", m: fromWorker(6, protocol.TopicKeyFault, fault(1, cluster, 1)), want: types.ErrNotClusterMember},
		{name: "cluster fault for a cluster that does not exist", m: fromWorker(3, protocol.TopicKeyFault, fault(1, cluster, 9)), want: types.ErrNotClusterMember},
		{name: "accused is no gatekeeper", m: fromWorker(2, protocol.TopicKeyFault, fault(6, master, 0)), want: types.ErrNotGatekeeper},
		{name: "unregistered reporter", m: fromWorker(9, protocol.TopicKeyFault, fault(1, master, 0)), want: registrytypes.ErrWorkerNotFound},
		{name: "unknown fault kind", m: fromWorker(2, protocol.TopicKeyFault, fault(1, 3, 0)), want: types.ErrMalformedPayload},
		{name: "gatekeeper origin", m: fromGatekeepers(protocol.TopicKeyFault, fault(1, master, 0)), want: types.ErrInvalidOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := launchedFixture(t, []byte{1, 2}, []byte{3, 4, 5, 6})
			f.createCluster(t, 3, 4)
			f.createCluster(t, 5)
			before := f.snapshot(t)
			err := f.handle(t, f.k.HandleKeyFault, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if g := f.gatekeeper(t, tc.wantAccused); g.Faults != 1 {
				t.Errorf("faults %d, want 1", g.Faults)
			}
			attrs := map[string]string{
				types.AttributeReporter: hex.EncodeToString(tc.m.Origin.ID),
				types.AttributeAccused:  keyHex(tc.wantAccused),
				types.AttributeFaults:   "1",
			}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventKeyFault, attrs) {
				t.Errorf("no %s event with %v in %v", types.EventKeyFault, attrs, f.ctx.EventManager().Events())
			}
			f.mustHandle(t, f.k.HandleKeyFault, tc.m)
			if g := f.gatekeeper(t, tc.wantAccused); g.Faults != 2 {
				t.Errorf("faults %d after a second report, want 2", g.Faults)
			}
			resp, err := f.query.Gatekeepers(f.ctx, &types.QueryGatekeepersRequest{})
			if err != nil || !slices.ContainsFunc(resp.Gatekeepers, func(g types.Gatekeeper) bool { return g.Faults == 2 && g.LiveHeight != 0 }) {
				t.Errorf("Gatekeepers query does not show the faults: %+v, %v", resp, err)
			}
		})
	}
}
