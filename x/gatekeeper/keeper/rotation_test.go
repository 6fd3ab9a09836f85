package keeper_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// rotationFixture is a launched chain whose gatekeepers gks are all live,
// with workers as given.
func rotationFixture(t testing.TB, gks, workers []byte) *fixture {
	t.Helper()
	f := launchedFixture(t, gks, workers)
	for _, s := range gks[1:] {
		f.goLive(t, s)
	}
	return f
}

// rotate starts a rotation by governance and returns the new version.
func (f *fixture) rotate(t testing.TB) uint32 {
	t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	resp, err := f.msgs.RotateMasterKey(f.ctx, &types.MsgRotateMasterKey{Authority: f.authority})
	if err != nil {
		t.Fatalf("RotateMasterKey: %v", err)
	}
	return resp.ToVersion
}

// rotation returns the running or last rotation, as the query shows it.
func (f *fixture) rotation(t testing.TB) types.Rotation {
	t.Helper()
	resp, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{})
	if err != nil || resp.Rotation == nil {
		t.Fatalf("Rotation query: %+v, %v", resp, err)
	}
	return *resp.Rotation
}

// rangeOf is the snapshot index (re-encryption range) of gatekeeper seed.
func (f *fixture) rangeOf(t testing.TB, seed byte) uint32 {
	t.Helper()
	i := f.rotation(t).Member(pub(testKey(seed)))
	if i < 0 {
		t.Fatalf("gatekeeper %d is not in the snapshot", seed)
	}
	return uint32(i)
}

// proposal is a proposal of version with the public key masterPub(seed)
// and n copies.
func proposal(t testing.TB, version uint32, pkSeed byte, n int) protocol.RotationProposal {
	t.Helper()
	copies := make([][]byte, n)
	for i := range copies {
		copies[i] = []byte(fmt.Sprintf("sealed copy %d", i))
	}
	return protocol.RotationProposal{ToVersion: version, PublicKey: masterPub(t, pkSeed), Copies: copies}
}

func proposalMsg(t testing.TB, from byte, p protocol.RotationProposal) protocol.Message {
	t.Helper()
	return fromWorker(from, protocol.TopicRotationProposal, p.Encode())
}

func ackMsg(from byte, version uint32) protocol.Message {
	return fromWorker(from, protocol.TopicRotationAck, protocol.EncodeU32(version))
}

func progressMsg(from byte, p protocol.ReencryptProgress) protocol.Message {
	return fromWorker(from, protocol.TopicReencryptProgress, p.Encode())
}

// finished is a finished, clean report of range r of version with n
// objects, whose verify pass began after any sweep these tests reach.
func finished(version, r uint32, n uint64) protocol.ReencryptProgress {
	return protocol.ReencryptProgress{ToVersion: version, Range: r, Done: n, Total: n, Finished: true, VerifiedHeight: 1 << 40}
}

// endBlock runs the registry's EndBlock at height.
func (f *fixture) endBlock(t testing.TB, height int64) {
	t.Helper()
	f.ctx = f.ctx.WithBlockHeight(height).WithEventManager(sdk.NewEventManager())
	if err := f.runEndBlock(f.ctx); err != nil {
		t.Fatalf("EndBlock at %d: %v", height, err)
	}
}

// toReencrypting runs a rotation of a rotationFixture of gatekeepers 1-3
// through proposal (by gatekeeper 2, public key masterPub(9)) and a quorum
// of acknowledgements (1 and 2) to re-encryption.
func toReencrypting(t testing.TB, f *fixture) {
	t.Helper()
	v := f.rotate(t)
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, proposal(t, v, 9, 3)))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(1, v))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(2, v))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("phase %s after a quorum of acks", types.PhaseName(r.Phase))
	}
}

// TestRotationHappyPath follows a governance rotation with three gatekeepers
// and a cluster from the start to the erasure of the old version, checking
// every ingress message, record, event and query on the way.
func TestRotationHappyPath(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, []byte{4, 5, 6})
	cluster := f.createCluster(t, 4, 5)
	f.publishClusterKey(t, cluster, 0)
	k1, k2, k3 := pub(testKey(1)), pub(testKey(2)), pub(testKey(3))
	sorted := [][]byte{k1, k2, k3}
	slices.SortFunc(sorted, bytes.Compare)

	// Start: snapshot in key order with receive keys, announced.
	f.ctx = f.ctx.WithBlockHeight(20)
	mark := len(f.ingress(t))
	if v := f.rotate(t); v != 1 {
		t.Fatalf("rotation to v%d, want v1", v)
	}
	var members []protocol.RotationMember
	for _, k := range sorted {
		w, err := f.reg.GetWorker(f.ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, protocol.RotationMember{Identity: k, ReceiveKey: w.ReceiveKey})
	}
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicRotationStart, protocol.RotationStart{From: 0, To: 1, Gatekeepers: members}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventRotationStarted, map[string]string{
		types.AttributeFromVersion: "0", types.AttributeToVersion: "1", types.AttributeTrigger: "governance", types.AttributeGatekeepers: "3",
	}) {
		t.Errorf("no %s event", types.EventRotationStarted)
	}
	r := f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_PROPOSING || r.StartHeight != 20 || !r.ByGovernance || len(r.Gatekeepers) != 3 ||
		!bytes.Equal(r.Gatekeepers[0].IdentityKey, sorted[0]) || !bytes.Equal(r.Gatekeepers[2].IdentityKey, sorted[2]) {
		t.Fatalf("rotation after start: %+v", r)
	}

	// Proposal by gatekeeper 2: taken, republished with its proposer.
	f.ctx = f.ctx.WithBlockHeight(21)
	p := proposal(t, 1, 9, 3)
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, p))
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicRotationProposed, protocol.RotationProposed{Proposer: k2, RotationProposal: p}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventRotationProposed, map[string]string{
		types.AttributeProposer: hex.EncodeToString(k2), types.AttributePublicKey: hex.EncodeToString(masterPub(t, 9)),
	}) {
		t.Errorf("no %s event", types.EventRotationProposed)
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_ACKING || !bytes.Equal(r.Proposer, k2) || r.ProposedHeight != 21 {
		t.Fatalf("rotation after the proposal: %+v", r)
	}

	// One ack of three: no quorum yet.
	f.ctx = f.ctx.WithBlockHeight(22)
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(1, 1))
	if got := f.ingressSince(t, mark); len(got) != 0 || f.rotation(t).Phase != types.ROTATION_PHASE_ACKING {
		t.Fatalf("after one ack: phase %s, ingress %v", types.PhaseName(f.rotation(t).Phase), got)
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventRotationAck, map[string]string{types.AttributeAcks: "1", types.AttributeQuorum: "2"}) {
		t.Errorf("no %s event", types.EventRotationAck)
	}

	// The second ack activates v1: recorded and republished like v0; the
	// cluster moves to v1 through a cluster task; ranges are assigned.
	f.ctx = f.ctx.WithBlockHeight(23)
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(3, 1))
	got := f.ingressSince(t, mark)
	if len(got) != 3 {
		t.Fatalf("ingress at activation: %v", got)
	}
	wantIngress(t, got[:1], entry{protocol.TopicMasterKey, protocol.MasterKeyRecord{Version: 1, PublicKey: masterPub(t, 9)}.Encode()})
	task, err := protocol.DecodeGatekeeperTask(got[1].Payload)
	if err != nil || got[1].Topic != protocol.TopicClusterTask || !bytes.Equal(task.Body, protocol.ClusterKeyID{Cluster: cluster, Version: 1}.Encode()) {
		t.Fatalf("cluster task at activation: %s %+v, %v", got[1].Topic, task, err)
	}
	if reply, err := f.mq.Tasks.Get(f.ctx, task.Seq); err != nil || reply != protocol.TopicClusterKey {
		t.Errorf("cluster task answered on %q, %v", reply, err)
	}
	wantIngress(t, got[2:], entry{protocol.TopicReencryptStart, protocol.ReencryptStart{From: 0, To: 1, Ranges: 3}.Encode()})
	mk, err := f.k.MasterKeys.Get(f.ctx, 1)
	if err != nil || mk.Version != 1 || !bytes.Equal(mk.PublicKey, masterPub(t, 9)) || mk.Height != 23 || !bytes.Equal(mk.GeneratedBy, k2) {
		t.Fatalf("master key v1 %+v, %v", mk, err)
	}
	if c, err := f.k.GetCluster(f.ctx, cluster); err != nil || c.KeyVersion != 1 || len(c.PublicKey) != 0 {
		t.Fatalf("cluster after activation: %+v, %v", c, err)
	}
	for _, ev := range []struct {
		typ   string
		attrs map[string]string
	}{
		{types.EventMasterKeyRecorded, map[string]string{types.AttributeVersion: "1", types.AttributeSender: hex.EncodeToString(k2)}},
		{types.EventMasterKeyActivated, map[string]string{types.AttributeVersion: "1", types.AttributeClusters: "1", types.AttributeRanges: "3"}},
	} {
		if !hasEvent(f.ctx.EventManager().Events(), ev.typ, ev.attrs) {
			t.Errorf("no %s event", ev.typ)
		}
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.ActivatedHeight != 23 || r.Acks() != 2 {
		t.Fatalf("rotation after activation: %+v", r)
	}
	// The gatekeepers publish the cluster's v1 key; its members are granted.
	mark = len(f.ingress(t))
	f.publishClusterKey(t, cluster, 1)
	if got := topics(f.ingressSince(t, mark)); !slices.Equal(got, []string{protocol.TopicClusterKey, protocol.TopicClusterGrant, protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after the v1 cluster key: %q", got)
	}

	// A slower gatekeeper's ack after activation is still recorded.
	f.ctx = f.ctx.WithBlockHeight(24)
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(2, 1))
	if r := f.rotation(t); r.Acks() != 3 || r.Phase != types.ROTATION_PHASE_REENCRYPTING || len(f.ingressSince(t, mark)) != 0 {
		t.Fatalf("after a late ack: acks %d, phase %s", r.Acks(), types.PhaseName(r.Phase))
	}
	// The cluster's members acknowledge v1 (their pRuntimes stored it):
	// nothing was verified yet, so the sweep height is set and announced
	// (a pass running now began before it), nothing reopened.
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(4, cluster, 1))
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(5, cluster, 1))
	if r := f.rotation(t); r.SweepHeight != 24 || len(f.ingressSince(t, mark)) != 1 || f.ingressSince(t, mark)[0].Topic != protocol.TopicReencryptSweep {
		t.Fatalf("after the members' acks: sweep %d, ingress %v", r.SweepHeight, topics(f.ingressSince(t, mark)))
	}

	// Progress: each gatekeeper reports its own range; the last finished
	// range retires v0.
	f.ctx = f.ctx.WithBlockHeight(30)
	r1, r2, r3 := f.rangeOf(t, 1), f.rangeOf(t, 2), f.rangeOf(t, 3)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: r1, Done: 5, Total: 20}))
	if !hasEvent(f.ctx.EventManager().Events(), types.EventReencryptProgress, map[string]string{
		types.AttributeRange: fmt.Sprint(r1), types.AttributeDone: "5", types.AttributeTotal: "20", types.AttributeFinished: "false",
	}) {
		t.Errorf("no %s event", types.EventReencryptProgress)
	}
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, finished(1, r1, 20)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, finished(1, r2, 0)))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("retired with range %d unreported", r3)
	}
	f.ctx = f.ctx.WithBlockHeight(31)
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(3, finished(1, r3, 7)))
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMasterKeyRetired, protocol.MasterKeyRetired{Version: 0, EraseHeight: 131}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMasterKeyRetired, map[string]string{types.AttributeVersion: "0", types.AttributeEraseHeight: "131"}) {
		t.Errorf("no %s event", types.EventMasterKeyRetired)
	}
	r = f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_RETIRING || r.RetiredHeight != 31 || r.EraseHeight != 131 {
		t.Fatalf("rotation after the last range: %+v", r)
	}
	if mk, _ := f.k.MasterKeys.Get(f.ctx, 0); mk.RetiredHeight != 31 || mk.ErasedHeight != 0 {
		t.Fatalf("v0 after retirement: %+v", mk)
	}
	if g := r.Gatekeepers[r1]; g.Done != 20 || g.Total != 20 || !g.Finished || g.ProgressHeight != 30 {
		t.Errorf("range %d row %+v", r1, g)
	}
	// Late progress is refused once retired.
	wantErrIs(t, f.handle(t, f.k.HandleReencryptProgress, progressMsg(1, finished(1, r1, 20))), types.ErrRotationPhase)

	// Erasure at erase_height, not before.
	f.endBlock(t, 130)
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("phase %s before the erase height", types.PhaseName(r.Phase))
	}
	mark = len(f.ingress(t))
	f.endBlock(t, 131)
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicMasterKeyErase, protocol.EncodeU32(0)})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMasterKeyErase, map[string]string{types.AttributeVersion: "0"}) {
		t.Errorf("no %s event", types.EventMasterKeyErase)
	}
	r = f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_DONE || r.ErasedHeight != 131 || r.StartHeight != 20 {
		t.Fatalf("rotation after erasure: %+v", r)
	}
	mk, _ = f.k.MasterKeys.Get(f.ctx, 0)
	if mk.ErasedHeight != 131 || !bytes.Equal(mk.PublicKey, masterPub(t, 1)) {
		t.Fatalf("v0 after erasure: %+v (the public key stays as history)", mk)
	}

	// The erased version is never relayed again; the new one is.
	cp := func(first, count uint32) protocol.Message {
		return fromWorker(1, protocol.TopicMasterKeyCopy, protocol.MasterKeyCopy{Recipient: k2, First: first, Count: count, Sealed: []byte("s")}.Encode())
	}
	wantErrIs(t, f.handle(t, f.k.HandleMasterKeyCopy, cp(0, 2)), types.ErrKeyErased)
	wantErrIs(t, f.handle(t, f.k.HandleMasterKeyCopy, cp(0, 1)), types.ErrKeyErased)
	f.mustHandle(t, f.k.HandleMasterKeyCopy, cp(1, 1))

	// The query names both versions' records; the next rotation goes to v2.
	resp, err := f.query.MasterKeys(f.ctx, &types.QueryMasterKeysRequest{})
	if err != nil || len(resp.MasterKeys) != 2 {
		t.Fatalf("MasterKeys query: %+v, %v", resp, err)
	}
	if v := f.rotate(t); v != 2 {
		t.Fatalf("second rotation to v%d, want v2", v)
	}
	if r := f.rotation(t); r.FromVersion != 1 || r.Phase != types.ROTATION_PHASE_PROPOSING {
		t.Fatalf("second rotation %+v", r)
	}
	// History: the first rotation stays queryable by version.
	old, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{ToVersion: 1})
	if err != nil || old.Rotation.Phase != types.ROTATION_PHASE_DONE {
		t.Fatalf("rotation to v1 from the history: %+v, %v", old, err)
	}
	_, err = f.query.Rotation(f.ctx, &types.QueryRotationRequest{ToVersion: 7})
	wantErrIs(t, err, types.ErrNoRotation)
}

func topics(ms []protocol.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Topic)
	}
	return out
}

// TestRotationLocksGatekeeperSet: from the start to the end of
// re-encryption, governance cannot add or remove a gatekeeper; after
// retirement it can again.
func TestRotationLocksGatekeeperSet(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, []byte{6})
	tryAdd := func() error {
		_, err := f.msgs.AddGatekeeper(f.ctx, &types.MsgAddGatekeeper{Authority: f.authority, IdentityKey: keyHex(6)})
		return err
	}
	tryRemove := func() error {
		_, err := f.msgs.RemoveGatekeeper(f.ctx, &types.MsgRemoveGatekeeper{Authority: f.authority, IdentityKey: keyHex(3)})
		return err
	}
	locked := func(phase string) {
		t.Helper()
		before := f.snapshot(t)
		for _, err := range []error{tryAdd(), tryRemove()} {
			wantErrIs(t, err, types.ErrRotationInProgress)
			if want := "gatekeeper set is locked while master key rotation to v1 is in phase " + phase; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		f.assertUnchanged(t, before)
	}
	f.rotate(t)
	locked("PROPOSING")
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 1, proposal(t, 1, 9, 3)))
	locked("ACKING")
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(1, 1))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(2, 1))
	locked("REENCRYPTING")
	for _, s := range []byte{1, 2, 3} {
		f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(s, finished(1, f.rangeOf(t, s), 1)))
	}
	if p := f.rotation(t).Phase; p != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("phase %s", types.PhaseName(p))
	}
	// Retiring: the set may change again; a new gatekeeper gets the history.
	mark := len(f.ingress(t))
	if err := tryAdd(); err != nil {
		t.Fatalf("add during RETIRING: %v", err)
	}
	if got := topics(f.ingressSince(t, mark)); !slices.Equal(got, []string{protocol.TopicGatekeeperAdded, protocol.TopicMasterKeyRequest}) {
		t.Fatalf("ingress after adding a gatekeeper: %q", got)
	}
	if err := tryRemove(); err != nil {
		t.Fatalf("remove during RETIRING: %v", err)
	}
	// But no second rotation starts before this one ends.
	_, err := f.msgs.RotateMasterKey(f.ctx, &types.MsgRotateMasterKey{Authority: f.authority})
	wantErrIs(t, err, types.ErrRotationInProgress)
}

// TestRotateMasterKeyRejected: the governance message fails, changing
// nothing, unless a rotation may start.
func TestRotateMasterKeyRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T) *fixture
		authority func(f *fixture) string
		want      error
	}{
		{name: "not the authority", want: types.ErrInvalidAuthority,
			setup:     func(t *testing.T) *fixture { return rotationFixture(t, []byte{1}, nil) },
			authority: func(f *fixture) string { return f.operator }},
		{name: "no master key", want: types.ErrNoMasterKey, setup: func(t *testing.T) *fixture {
			f := newFixture(t)
			f.registerSim(t, 1)
			f.addGatekeeper(t, 1)
			return f
		}},
		{name: "a rotation is running", want: types.ErrRotationInProgress, setup: func(t *testing.T) *fixture {
			f := rotationFixture(t, []byte{1, 2}, nil)
			f.rotate(t)
			return f
		}},
		{name: "one live gatekeeper of three", want: types.ErrQuorumNotLive,
			setup: func(t *testing.T) *fixture { return launchedFixture(t, []byte{1, 2, 3}, nil) }},
		{name: "gk_quorum above the set needs all of it live", want: types.ErrQuorumNotLive, setup: func(t *testing.T) *fixture {
			// Two of three live are a majority, but gk_quorum 5 is clamped
			// to the whole set (x/mq Params.Quorum), not to a majority.
			f := launchedFixture(t, []byte{1, 2, 3}, nil)
			f.goLive(t, 2)
			p, err := f.mq.GetParams(f.ctx)
			if err != nil {
				t.Fatal(err)
			}
			p.GkQuorum = 5
			if err := f.mq.Params.Set(f.ctx, p); err != nil {
				t.Fatal(err)
			}
			return f
		}},
		{name: "no gatekeeper left", want: types.ErrQuorumNotLive, setup: func(t *testing.T) *fixture {
			f := rotationFixture(t, []byte{1}, nil)
			f.removeGatekeeper(t, 1)
			return f
		}},
		{name: "more gatekeepers than a proposal has copies for", want: types.ErrTooManyGatekeepers, setup: func(t *testing.T) *fixture {
			var gks []byte
			for s := byte(1); s <= protocol.MaxRotationGatekeepers+1; s++ {
				gks = append(gks, s)
			}
			return rotationFixture(t, gks, nil)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.setup(t)
			authority := f.authority
			if tc.authority != nil {
				authority = tc.authority(f)
			}
			before := f.snapshot(t)
			_, err := f.msgs.RotateMasterKey(f.ctx, &types.MsgRotateMasterKey{Authority: authority})
			wantErrIs(t, err, tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

// TestRotationMessagesRejected: each rotation message is refused, changing
// nothing, when its sender, version, phase or content is wrong.
func TestRotationMessagesRejected(t *testing.T) {
	t.Parallel()
	// Each setup runs on a chain with live gatekeepers 1-3 and workers 4-5.
	started := func(t *testing.T, f *fixture) { f.rotate(t) }
	proposed := func(t *testing.T, f *fixture) {
		f.rotate(t)
		f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, proposal(t, 1, 9, 3)))
	}
	reencrypting := func(t *testing.T, f *fixture) { toReencrypting(t, f) }
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		m     func(t *testing.T, f *fixture) protocol.Message
		want  error
	}{
		// Proposals.
		{name: "proposal from a worker that is no gatekeeper", setup: started, want: types.ErrNotGatekeeper,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 4, proposal(t, 1, 9, 3)) }},
		{name: "proposal from a gatekeeper not live", want: types.ErrNotLive,
			setup: func(t *testing.T, f *fixture) {
				f.removeGatekeeper(t, 3)
				f.addGatekeeper(t, 3) // back, not live: two of three live is a quorum
				f.rotate(t)
			},
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 3, proposal(t, 1, 9, 3)) }},
		{name: "proposal of the wrong version", setup: started, want: types.ErrKeyVersionMismatch,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 1, proposal(t, 2, 9, 3)) }},
		{name: "proposal while no rotation runs", want: types.ErrNoRotation,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 1, proposal(t, 1, 9, 3)) }},
		{name: "second proposal", setup: proposed, want: types.ErrProposalTaken,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 1, proposal(t, 1, 8, 3)) }},
		{name: "proposal after activation", setup: reencrypting, want: types.ErrProposalTaken,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 3, proposal(t, 1, 8, 3)) }},
		{name: "proposal with a copy too few", setup: started, want: types.ErrInvalidProposal,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 1, proposal(t, 1, 9, 2)) }},
		{name: "proposal with a copy too many", setup: started, want: types.ErrInvalidProposal,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 1, proposal(t, 1, 9, 4)) }},
		{name: "proposal with an empty copy", setup: started, want: types.ErrMalformedPayload,
			m: func(t *testing.T, _ *fixture) protocol.Message {
				p := proposal(t, 1, 9, 3)
				b := p.Encode()
				// Zero the last copy's length and drop its bytes.
				n := len(p.Copies[2])
				b = b[:len(b)-n]
				b[len(b)-1], b[len(b)-2] = 0, 0
				return fromWorker(1, protocol.TopicRotationProposal, b)
			}},
		{name: "proposal with a public key off the curve", setup: started, want: types.ErrInvalidMasterKey,
			m: func(t *testing.T, _ *fixture) protocol.Message {
				p := proposal(t, 1, 9, 3)
				p.PublicKey = append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)
				return proposalMsg(t, 1, p)
			}},
		{name: "proposal of the old public key", setup: started, want: types.ErrInvalidMasterKey,
			m: func(t *testing.T, _ *fixture) protocol.Message { return proposalMsg(t, 2, proposal(t, 1, 1, 3)) }},
		{name: "proposal from the gatekeeper origin", setup: started, want: types.ErrInvalidOrigin,
			m: func(t *testing.T, _ *fixture) protocol.Message {
				return fromGatekeepers(protocol.TopicRotationProposal, proposal(t, 1, 9, 3).Encode())
			}},
		{name: "truncated proposal", setup: started, want: types.ErrMalformedPayload,
			m: func(t *testing.T, _ *fixture) protocol.Message {
				b := proposal(t, 1, 9, 3).Encode()
				return fromWorker(1, protocol.TopicRotationProposal, b[:len(b)-1])
			}},

		// Acknowledgements.
		{name: "ack before a proposal", setup: started, want: types.ErrRotationPhase,
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(1, 1) }},
		{name: "ack of the wrong version", setup: proposed, want: types.ErrKeyVersionMismatch,
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(1, 2) }},
		{name: "ack from a worker that is no gatekeeper", setup: proposed, want: types.ErrNotGatekeeper,
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(4, 1) }},
		{name: "duplicate ack", want: types.ErrDuplicateAck,
			setup: func(t *testing.T, f *fixture) {
				proposed(t, f)
				f.mustHandle(t, f.k.HandleRotationAck, ackMsg(1, 1))
			},
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(1, 1) }},
		{name: "duplicate ack after activation", setup: reencrypting, want: types.ErrDuplicateAck,
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(2, 1) }},
		{name: "ack while no rotation runs", want: types.ErrNoRotation,
			m: func(*testing.T, *fixture) protocol.Message { return ackMsg(1, 1) }},
		{name: "malformed ack", setup: proposed, want: types.ErrMalformedPayload,
			m: func(*testing.T, *fixture) protocol.Message {
				return fromWorker(1, protocol.TopicRotationAck, []byte{0, 0, 1})
			}},

		// Re-encryption progress.
		{name: "progress before activation", setup: proposed, want: types.ErrRotationPhase,
			m: func(*testing.T, *fixture) protocol.Message { return progressMsg(1, finished(1, 0, 1)) }},
		{name: "progress of another gatekeeper's range", setup: reencrypting, want: types.ErrNotAssignee,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, finished(1, f.rangeOf(t, 2), 1))
			}},
		{name: "progress of a range that does not exist", setup: reencrypting, want: types.ErrNotAssignee,
			m: func(*testing.T, *fixture) protocol.Message { return progressMsg(1, finished(1, 3, 1)) }},
		{name: "progress from a worker that is no gatekeeper", setup: reencrypting, want: types.ErrNotGatekeeper,
			m: func(*testing.T, *fixture) protocol.Message { return progressMsg(4, finished(1, 0, 1)) }},
		{name: "progress of the wrong version", setup: reencrypting, want: types.ErrKeyVersionMismatch,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, finished(2, f.rangeOf(t, 1), 1))
			}},
		{name: "done above total", setup: reencrypting, want: types.ErrInvalidProgress,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: f.rangeOf(t, 1), Done: 11, Total: 10})
			}},
		{name: "done and failed above total", setup: reencrypting, want: types.ErrInvalidProgress,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: f.rangeOf(t, 1), Done: 8, Failed: 3, Total: 10, FailedNames: []string{"a"}})
			}},
		{name: "finished before every object is handled", setup: reencrypting, want: types.ErrInvalidProgress,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: f.rangeOf(t, 1), Done: 9, Total: 10, Finished: true})
			}},
		{name: "more failed names than failures", setup: reencrypting, want: types.ErrInvalidProgress,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: f.rangeOf(t, 1), Done: 9, Failed: 1, Total: 10, FailedNames: []string{"a", "b"}})
			}},
		{name: "a finished range going back", want: types.ErrInvalidProgress,
			setup: func(t *testing.T, f *fixture) {
				reencrypting(t, f)
				f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, protocol.ReencryptProgress{
					ToVersion: 1, Range: f.rangeOf(t, 1), Done: 9, Failed: 1, Total: 10, Finished: true, FailedNames: []string{"cluster-1/app/x"},
					VerifiedHeight: 1 << 40,
				}))
			},
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: f.rangeOf(t, 1), Done: 9, Total: 11})
			}},
		{name: "a finished range losing done objects", want: types.ErrInvalidProgress,
			setup: func(t *testing.T, f *fixture) {
				reencrypting(t, f)
				f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, protocol.ReencryptProgress{
					ToVersion: 1, Range: f.rangeOf(t, 1), Done: 9, Failed: 1, Total: 10, Finished: true, VerifiedHeight: 1 << 40,
				}))
			},
			m: func(t *testing.T, f *fixture) protocol.Message {
				return progressMsg(1, finished(1, f.rangeOf(t, 1), 8))
			}},
		{name: "malformed progress", setup: reencrypting, want: types.ErrMalformedPayload,
			m: func(t *testing.T, f *fixture) protocol.Message {
				b := finished(1, f.rangeOf(t, 1), 1).Encode()
				return fromWorker(1, protocol.TopicReencryptProgress, append(b, 0))
			}},
		{name: "progress from the gatekeeper origin", setup: reencrypting, want: types.ErrInvalidOrigin,
			m: func(t *testing.T, f *fixture) protocol.Message {
				return fromGatekeepers(protocol.TopicReencryptProgress, finished(1, f.rangeOf(t, 1), 1).Encode())
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := rotationFixture(t, []byte{1, 2, 3}, []byte{4, 5})
			if tc.setup != nil {
				tc.setup(t, f)
			}
			m := tc.m(t, f)
			h := map[string]func(sdk.Context, protocol.Message) error{
				protocol.TopicRotationProposal:  f.k.HandleRotationProposal,
				protocol.TopicRotationAck:       f.k.HandleRotationAck,
				protocol.TopicReencryptProgress: f.k.HandleReencryptProgress,
			}[m.Topic]
			before := f.snapshot(t)
			wantErrIs(t, f.handle(t, h, m), tc.want)
			f.assertUnchanged(t, before)
		})
	}
}

// TestFailedBlobBlocksRetirement: a range that finished with failures
// holds retirement back, and the old version stays, until a later report of
// that range says there are none.
func TestFailedBlobBlocksRetirement(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	toReencrypting(t, f)
	r1, r2, r3 := f.rangeOf(t, 1), f.rangeOf(t, 2), f.rangeOf(t, 3)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, finished(1, r1, 4)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, protocol.ReencryptProgress{
		ToVersion: 1, Range: r2, Done: 8, Failed: 2, Total: 10, Finished: true, FailedNames: []string{"cluster-1/app/a", "cluster-1/app/b"},
	}))
	mark := len(f.ingress(t))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(3, finished(1, r3, 6)))
	r := f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_REENCRYPTING || len(f.ingressSince(t, mark)) != 0 {
		t.Fatalf("phase %s with two failed blobs", types.PhaseName(r.Phase))
	}
	if g := r.Gatekeepers[r2]; g.Failed != 2 || !slices.Equal(g.FailedNames, []string{"cluster-1/app/a", "cluster-1/app/b"}) || !g.Finished {
		t.Fatalf("range %d row %+v", r2, g)
	}
	// Blocks pass; nothing is erased.
	for h := int64(testHeight + 1); h < testHeight+300; h += 50 {
		f.endBlock(t, h)
	}
	if mk, _ := f.k.MasterKeys.Get(f.ctx, 0); mk.RetiredHeight != 0 || mk.ErasedHeight != 0 {
		t.Fatalf("v0 %+v while a range has failures", mk)
	}
	// One of the two restored: still blocked.
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, protocol.ReencryptProgress{
		ToVersion: 1, Range: r2, Done: 9, Failed: 1, Total: 10, Finished: true, FailedNames: []string{"cluster-1/app/b"},
	}))
	if p := f.rotation(t).Phase; p != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("phase %s with one failed blob", types.PhaseName(p))
	}
	// The retry cleared them: retired.
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, finished(1, r2, 10)))
	f.wantLastIngress(t, protocol.TopicMasterKeyRetired, protocol.MasterKeyRetired{Version: 0, EraseHeight: uint64(f.ctx.BlockHeight()) + types.DefaultKeyRetention}.Encode())
	if p := f.rotation(t).Phase; p != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("phase %s after the failures cleared", types.PhaseName(p))
	}
}

// TestRotationInterval: with rotation_interval set the chain rotates on its
// own, interval blocks after the newest master key (first) or the last
// rotation's start, waits while a quorum is not live, and never runs two
// rotations at once.
func TestRotationInterval(t *testing.T) {
	t.Parallel()
	f := launchedFixture(t, []byte{1, 2, 3}, nil) // v0 at height testHeight; only 1 live
	f.setParams(t, func(p *types.Params) { p.RotationInterval, p.KeyRetention = 5, 2 })
	running := func() bool {
		resp, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Rotation != nil && resp.Rotation.Running()
	}
	resp, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{})
	if err != nil || resp.Rotation != nil || resp.NextAutomaticHeight != testHeight+5 {
		t.Fatalf("query before the first rotation: %+v, %v", resp, err)
	}
	f.endBlock(t, testHeight+4)
	if running() {
		t.Fatal("rotation before the interval passed")
	}
	// Due, but one live gatekeeper of three is no quorum: it waits.
	f.endBlock(t, testHeight+5)
	if running() {
		t.Fatal("rotation without a live quorum")
	}
	f.goLive(t, 2)
	f.endBlock(t, testHeight+6)
	r := f.rotation(t)
	if !r.Running() || r.ByGovernance || r.StartHeight != testHeight+6 || r.ToVersion != 1 {
		t.Fatalf("automatic rotation %+v", r)
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventRotationStarted, map[string]string{types.AttributeTrigger: "interval"}) {
		t.Errorf("no %s event with trigger interval", types.EventRotationStarted)
	}
	// While it runs, no second one starts, however long it takes.
	f.endBlock(t, testHeight+20)
	if got := f.rotation(t); got.ToVersion != 1 {
		t.Fatalf("second rotation to v%d while v1 runs", got.ToVersion)
	}
	// Run it to the end: proposal, acks, ranges, erasure after 2 blocks.
	f.ctx = f.ctx.WithBlockHeight(testHeight + 21)
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 1, proposal(t, 1, 9, 3)))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(1, 1))
	f.mustHandle(t, f.k.HandleRotationAck, ackMsg(2, 1))
	for _, s := range []byte{1, 2, 3} {
		f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(s, finished(1, f.rangeOf(t, s), 0)))
	}
	f.endBlock(t, testHeight+22)
	if !running() {
		t.Fatal("erased before key_retention passed")
	}
	// At the erase height v0 is erased, and the next rotation, due
	// interval blocks after the last start (testHeight+11), is overdue: it
	// starts in the same block.
	f.endBlock(t, testHeight+23)
	old, err := f.query.Rotation(f.ctx, &types.QueryRotationRequest{ToVersion: 1})
	if err != nil || old.Rotation.Phase != types.ROTATION_PHASE_DONE || old.Rotation.ErasedHeight != testHeight+23 {
		t.Fatalf("first rotation after its erase height: %+v, %v", old, err)
	}
	if r := f.rotation(t); r.ToVersion != 2 || r.StartHeight != testHeight+23 || r.ByGovernance {
		t.Fatalf("second automatic rotation %+v", r)
	}
	resp, err = f.query.Rotation(f.ctx, &types.QueryRotationRequest{})
	if err != nil || resp.NextAutomaticHeight != testHeight+28 || resp.AckQuorum != 2 {
		t.Fatalf("query during the second rotation: %+v, %v", resp, err)
	}
	// Turned off: a finished rotation is not followed by another.
	f.setParams(t, func(p *types.Params) { p.RotationInterval = 0 })
	resp, err = f.query.Rotation(f.ctx, &types.QueryRotationRequest{})
	if err != nil || resp.NextAutomaticHeight != 0 {
		t.Fatalf("query with the interval off: %+v, %v", resp, err)
	}
}

// TestRotationProposalFaults: a proposal that so many snapshot gatekeepers
// report faulty that a quorum can no longer acknowledge it is dropped; the
// rotation takes proposals again, but not from that proposer.
func TestRotationProposalFaults(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	f.rotate(t)
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, proposal(t, 1, 9, 3)))
	fault := func(reporter byte, version uint32) protocol.Message {
		return fromWorker(reporter, protocol.TopicKeyFault, protocol.KeyFault{Sender: pub(testKey(2)), Kind: protocol.FaultMasterKeyCopy, Version: version}.Encode())
	}
	// A fault about another version is only counted against the sender.
	f.mustHandle(t, f.k.HandleKeyFault, fault(1, 0))
	if r := f.rotation(t); r.Gatekeepers[f.rangeOf(t, 1)].FaultedHeight != 0 {
		t.Fatal("a fault about v0 counted against the proposal")
	}
	// One fault of three: two may still acknowledge.
	f.mustHandle(t, f.k.HandleKeyFault, fault(1, 1))
	r := f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_ACKING || r.Gatekeepers[f.rangeOf(t, 1)].FaultedHeight == 0 {
		t.Fatalf("after one fault: %+v", r)
	}
	if g := f.gatekeeper(t, 2); g.Faults != 2 {
		t.Errorf("proposer faults %d, want 2", g.Faults)
	}
	// The second: no quorum can acknowledge it; dropped.
	mark := len(f.ingress(t))
	f.mustHandle(t, f.k.HandleKeyFault, fault(3, 1))
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicRotationProposalRejected, protocol.RotationRejected{ToVersion: 1, Proposer: pub(testKey(2))}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventRotationProposalRejected, map[string]string{types.AttributeProposer: keyHex(2)}) {
		t.Errorf("no %s event", types.EventRotationProposalRejected)
	}
	r = f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_PROPOSING || len(r.Proposer) != 0 || len(r.PublicKey) != 0 || r.Acks() != 0 ||
		len(r.RejectedProposers) != 1 || !bytes.Equal(r.RejectedProposers[0], pub(testKey(2))) {
		t.Fatalf("after the proposal was dropped: %+v", r)
	}
	for _, g := range r.Gatekeepers {
		if g.FaultedHeight != 0 {
			t.Fatalf("fault marks kept after the proposal was dropped: %+v", g)
		}
	}
	before := f.snapshot(t)
	wantErrIs(t, f.handle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, proposal(t, 1, 8, 3))), types.ErrProposerRejected)
	f.assertUnchanged(t, before)
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 3, proposal(t, 1, 8, 3)))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_ACKING || !bytes.Equal(r.Proposer, pub(testKey(3))) {
		t.Fatalf("after a new proposal: %+v", r)
	}
}

// TestRotationGenesisRoundTrip exports a chain in the middle of a rotation
// (and one with a finished rotation), imports it, and checks that the
// re-export is identical and the imported chain carries the rotation on.
func TestRotationGenesisRoundTrip(t *testing.T) {
	t.Parallel()
	roundTrip := func(t *testing.T, f *fixture) *fixture {
		t.Helper()
		exported, err := f.exportGenesis(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := exported.Validate(); err != nil {
			t.Fatalf("exported genesis does not validate: %v", err)
		}
		raw := f.cdc.MustMarshalJSON(exported)
		var gs types.GenesisState
		f.cdc.MustUnmarshalJSON(raw, &gs)
		g := newFixture(t)
		g.importRegistry(t, f)
		g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight())
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
		return g
	}

	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	f.setParams(t, func(p *types.Params) { p.RotationInterval, p.KeyRetention = 1000, 7 })
	toReencrypting(t, f)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, protocol.ReencryptProgress{
		ToVersion: 1, Range: f.rangeOf(t, 1), Done: 3, Failed: 1, Total: 4, Finished: true, FailedNames: []string{"cluster-1/app/x"},
	}))
	g := roundTrip(t, f)
	if p, _ := g.k.Params.Get(g.ctx); p.RotationInterval != 1000 || p.KeyRetention != 7 {
		t.Errorf("params after import: %+v", p)
	}
	// The imported chain carries on: the set is still locked, the ranges
	// finish, v0 retires and is erased key_retention blocks later.
	_, err := g.msgs.RemoveGatekeeper(g.ctx, &types.MsgRemoveGatekeeper{Authority: g.authority, IdentityKey: keyHex(3)})
	wantErrIs(t, err, types.ErrRotationInProgress)
	for _, s := range []byte{1, 2, 3} {
		g.mustHandle(t, g.k.HandleReencryptProgress, progressMsg(s, finished(1, g.rangeOf(t, s), 4)))
	}
	r := g.rotation(t)
	if r.Phase != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("imported rotation did not retire: %+v", r)
	}
	g.endBlock(t, r.EraseHeight)
	if r := g.rotation(t); r.Phase != types.ROTATION_PHASE_DONE {
		t.Fatalf("imported rotation not erased at its height: %+v", r)
	}
	roundTrip(t, g)
}

// TestRotationGenesisValidate: genesis rotations must agree with the master
// keys and the gatekeeper set.
func TestRotationGenesisValidate(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	toReencrypting(t, f)
	base, err := f.exportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(gs *types.GenesisState)
	}{
		{"activated version missing", func(gs *types.GenesisState) { gs.MasterKeys = gs.MasterKeys[:1] }},
		{"versions not consecutive", func(gs *types.GenesisState) { gs.Rotations[0].FromVersion = 5 }},
		{"unknown phase", func(gs *types.GenesisState) { gs.Rotations[0].Phase = 9 }},
		{"proposer outside the snapshot", func(gs *types.GenesisState) { gs.Rotations[0].Proposer = pub(testKey(9)) }},
		{"snapshot out of order", func(gs *types.GenesisState) {
			g := gs.Rotations[0].Gatekeepers
			g[0], g[1] = g[1], g[0]
		}},
		{"locked snapshot member is no gatekeeper", func(gs *types.GenesisState) { gs.Gatekeepers = gs.Gatekeepers[1:] }},
		{"done above total", func(gs *types.GenesisState) {
			gs.Rotations[0].Gatekeepers[0].Done, gs.Rotations[0].Gatekeepers[0].Total = 2, 1
		}},
		{"retiring with an unfinished range", func(gs *types.GenesisState) { gs.Rotations[0].Phase = types.ROTATION_PHASE_RETIRING }},
		{"new key differs from the proposal", func(gs *types.GenesisState) { gs.Rotations[0].PublicKey = masterPub(t, 8) }},
		{"erased without retirement", func(gs *types.GenesisState) { gs.MasterKeys[0].ErasedHeight = 5 }},
		{"newest version retired", func(gs *types.GenesisState) { gs.MasterKeys[1].RetiredHeight = 5 }},
		{"key retention 0", func(gs *types.GenesisState) { gs.Params.KeyRetention = 0 }},
		{"reencrypt stall blocks 0", func(gs *types.GenesisState) { gs.Params.ReencryptStallBlocks = 0 }},
		{"assignee outside the snapshot", func(gs *types.GenesisState) { gs.Rotations[0].Gatekeepers[0].Assignee = pub(testKey(9)) }},
		{"worker acks out of order", func(gs *types.GenesisState) {
			gs.Rotations[0].WorkerAcks = [][]byte{bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{1}, 32)}
		}},
		{"retiring before the sweep", func(gs *types.GenesisState) {
			r := &gs.Rotations[0]
			r.Phase, r.SweepHeight, r.RetiredHeight, r.EraseHeight = types.ROTATION_PHASE_RETIRING, 5, 6, 10
			gs.MasterKeys[r.FromVersion].RetiredHeight = 6
			for i := range r.Gatekeepers {
				r.Gatekeepers[i].Finished, r.Gatekeepers[i].VerifiedHeight = true, 4
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var gs types.GenesisState
			f.cdc.MustUnmarshalJSON(f.cdc.MustMarshalJSON(base), &gs)
			tc.mutate(&gs)
			if err := gs.Validate(); err == nil {
				t.Fatal("accepted")
			}
			g := newFixture(t)
			g.importRegistry(t, f)
			if err := g.initGenesis(g.ctx, &gs); err == nil {
				t.Fatal("InitGenesis accepted")
			}
		})
	}
}

// TestRotationRefetchesFaultedGatekeeper: a gatekeeper that reported its
// copy faulty while a quorum acknowledged is, at activation, marked not
// live and asked for its history again; a gatekeeper that simply has not
// acknowledged yet is left alone.
func TestRotationRefetchesFaultedGatekeeper(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3, 4}, nil)
	v := f.rotate(t)
	f.mustHandle(t, f.k.HandleRotationProposal, proposalMsg(t, 2, proposal(t, v, 9, 4)))
	f.mustHandle(t, f.k.HandleKeyFault, fromWorker(3, protocol.TopicKeyFault,
		protocol.KeyFault{Sender: pub(testKey(2)), Kind: protocol.FaultMasterKeyCopy, Version: v}.Encode()))
	mark := len(f.ingress(t))
	for _, s := range []byte{1, 2, 4} {
		f.mustHandle(t, f.k.HandleRotationAck, ackMsg(s, v))
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("phase %s after a quorum of acks", types.PhaseName(r.Phase))
	}
	var requests [][]byte
	for _, m := range f.ingressSince(t, mark) {
		if m.Topic == protocol.TopicMasterKeyRequest {
			req, err := protocol.DecodeKeyRequest(m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			requests = append(requests, req.Identity)
		}
	}
	if len(requests) != 1 || !bytes.Equal(requests[0], pub(testKey(3))) {
		t.Fatalf("key requests at activation for %x, want only the faulted gatekeeper 3", requests)
	}
	if g := f.gatekeeper(t, 3); g.LiveHeight != 0 {
		t.Fatal("the faulted gatekeeper is still live on chain")
	}
	if !hasEvent(f.ctx.EventManager().Events(), types.EventMasterKeyRefetch, map[string]string{types.AttributeIdentityKey: keyHex(3)}) {
		t.Errorf("no %s event", types.EventMasterKeyRefetch)
	}
	for _, s := range []byte{1, 2, 4} {
		if g := f.gatekeeper(t, s); g.LiveHeight == 0 {
			t.Fatalf("gatekeeper %d lost its live state", s)
		}
	}
}

// A gatekeeper that was behind reports its copy faulty only after the
// activation: it is refetched then.
func TestRotationRefetchesLateFault(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	toReencrypting(t, f) // 1 and 2 acknowledged
	mark := len(f.ingress(t))
	f.mustHandle(t, f.k.HandleKeyFault, fromWorker(3, protocol.TopicKeyFault,
		protocol.KeyFault{Sender: pub(testKey(2)), Kind: protocol.FaultMasterKeyCopy, Version: 1}.Encode()))
	got := f.ingressSince(t, mark)
	if len(got) != 1 || got[0].Topic != protocol.TopicMasterKeyRequest {
		t.Fatalf("ingress after a late fault: %+v", got)
	}
	if g := f.gatekeeper(t, 3); g.LiveHeight != 0 {
		t.Fatal("the faulted gatekeeper is still live on chain")
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.Gatekeepers[f.rangeOf(t, 3)].FaultedHeight == 0 {
		t.Fatalf("rotation after a late fault: %+v", r)
	}
	// Reported again: nothing more.
	mark = len(f.ingress(t))
	f.mustHandle(t, f.k.HandleKeyFault, fromWorker(3, protocol.TopicKeyFault,
		protocol.KeyFault{Sender: pub(testKey(2)), Kind: protocol.FaultMasterKeyCopy, Version: 1}.Encode()))
	if got := f.ingressSince(t, mark); len(got) != 0 {
		t.Fatalf("a second late fault pushed %+v", got)
	}
}
