package app_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/crypto"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// gov executes msg as a passed governance proposal would (see
// apptest.AddGatekeepers): through the app's Msg router, as the gov
// authority, in the state the next block commits, which it commits. A
// failing msg changes nothing.
func (n *gkNet) gov(msg sdk.Msg) error {
	n.t.Helper()
	c := n.c
	ctx := c.App.NewUncachedContext(false, cmtproto.Header{ChainID: apptest.ChainID, Height: c.App.LastBlockHeight() + 1, Time: c.Time})
	cached, write := ctx.CacheContext()
	_, err := c.App.MsgServiceRouter().Handler(msg)(cached, msg)
	if err == nil {
		write()
	}
	c.NextBlock()
	return err
}

func (n *gkNet) rotation() gatekeepertypes.Rotation {
	n.t.Helper()
	resp, err := n.c.App.GatekeeperKeeper.Rotations.Get(n.c.CommittedContext(), 1)
	if err != nil {
		n.t.Fatal(err)
	}
	return resp
}

// TestMasterKeyRotation runs a governance rotation through real blocks and
// the real message queue: the gatekeepers' proposal, acknowledgements and
// progress arrive as signed worker-origin egress; the new cluster key as a
// quorum answer to the task the activation appended; the old version is
// erased by EndBlock key_retention blocks after retirement; the state
// survives an export and re-import midway.
func TestMasterKeyRotation(t *testing.T) {
	t.Parallel()
	const retention = 3
	n := newGKNetWith(t, 3, 2, func(gs *gatekeepertypes.GenesisState) {
		gs.Params.BeaconIntervalBlocks, gs.Params.KeyRetention = 0, retention
	})
	gk1, gk2, gk3, w1 := n.gks[0], n.gks[1], n.gks[2], n.workers[0]
	n.launch()
	auth := n.c.App.RegistryKeeper.Authority()
	res := n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: n.operator.Address.String(), Workers: []string{w1.Hex()}})
	requireOK(t, "create cluster", res.Code, res.Log)
	ts := tasks(t, n.c.Ingress(), protocol.TopicClusterTask)
	clusterKey := func(version uint32, b byte) []byte {
		return protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1, Version: version}, PublicKey: bytes.Repeat([]byte{b}, 32)}.Encode()
	}
	n.vote(gk1, ts[0].Seq, protocol.TopicClusterKey, clusterKey(0, 0xc0))
	n.requireHandled(n.vote(gk2, ts[0].Seq, protocol.TopicClusterKey, clusterKey(0, 0xc0)))

	// Start by governance: the snapshot is announced.
	mark := len(n.c.Ingress())
	if err := n.gov(&gatekeepertypes.MsgRotateMasterKey{Authority: auth}); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	got := n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicRotationStart}) {
		t.Fatalf("ingress after the start: %q", topics(got))
	}
	start, err := protocol.DecodeRotationStart(got[0].Payload)
	if err != nil || start.From != 0 || start.To != 1 || len(start.Gatekeepers) != 3 {
		t.Fatalf("rotation start %+v, %v", start, err)
	}
	rangeOf := map[string]uint32{}
	for i, m := range start.Gatekeepers {
		rangeOf[string(m.Identity)] = uint32(i)
	}
	if err := n.gov(&gatekeepertypes.MsgRotateMasterKey{Authority: auth}); !errors.Is(err, gatekeepertypes.ErrRotationInProgress) {
		t.Fatalf("second rotation: %v", err)
	}
	w2 := n.workers[1]
	if err := n.gov(&gatekeepertypes.MsgAddGatekeeper{Authority: auth, IdentityKey: w2.Hex()}); !errors.Is(err, gatekeepertypes.ErrRotationInProgress) {
		t.Fatalf("add gatekeeper during the rotation: %v", err)
	}

	// The first valid proposal wins.
	newKey, err := crypto.MasterKeyFromSecret(1, bytes.Repeat([]byte{0x43}, crypto.MasterSecretSize))
	if err != nil {
		t.Fatal(err)
	}
	prop := protocol.RotationProposal{ToVersion: 1, PublicKey: newKey.PublicKey(), Copies: [][]byte{[]byte("c0"), []byte("c1"), []byte("c2")}}
	n.requireRejected("proposal with two copies", n.send(gk2, protocol.TopicRotationProposal,
		protocol.RotationProposal{ToVersion: 1, PublicKey: newKey.PublicKey(), Copies: prop.Copies[:2]}.Encode()), gatekeepertypes.ErrInvalidProposal)
	n.requireHandled(n.send(gk2, protocol.TopicRotationProposal, prop.Encode()))
	n.requireRejected("second proposal", n.send(gk1, protocol.TopicRotationProposal, prop.Encode()), gatekeepertypes.ErrProposalTaken)
	last := n.c.Ingress()[len(n.c.Ingress())-1]
	if p, err := protocol.DecodeRotationProposed(last.Payload); last.Topic != protocol.TopicRotationProposed || err != nil || !bytes.Equal(p.Proposer, gk2.PublicKey()) {
		t.Fatalf("last ingress %s: %+v, %v", last.Topic, p, err)
	}

	// A quorum of acknowledgements activates v1.
	n.requireRejected("ack from a worker", n.send(w1, protocol.TopicRotationAck, protocol.EncodeU32(1)), gatekeepertypes.ErrNotGatekeeper)
	n.requireHandled(n.send(gk3, protocol.TopicRotationAck, protocol.EncodeU32(1)))
	mark = len(n.c.Ingress())
	n.requireHandled(n.send(gk1, protocol.TopicRotationAck, protocol.EncodeU32(1)))
	got = n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicMasterKey, protocol.TopicClusterTask, protocol.TopicReencryptStart}) {
		t.Fatalf("ingress at activation: %q", topics(got))
	}
	if rec, err := protocol.DecodeMasterKeyRecord(got[0].Payload); err != nil || rec.Version != 1 || !bytes.Equal(rec.PublicKey, newKey.PublicKey()) {
		t.Fatalf("republished master key %+v, %v", rec, err)
	}
	// The cluster's v1 key takes a quorum answer to the new task.
	task := tasks(t, got, protocol.TopicClusterTask)[0]
	n.vote(gk1, task.Seq, protocol.TopicClusterKey, clusterKey(1, 0xc1))
	mark = len(n.c.Ingress())
	n.requireHandled(n.vote(gk3, task.Seq, protocol.TopicClusterKey, clusterKey(1, 0xc1)))
	if got := topics(n.ingressSince(mark)); !slices.Equal(got, []string{protocol.TopicClusterKey, protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after the v1 cluster key: %q", got)
	}

	// The member stores its v1 key and acknowledges it: the sweep height.
	n.requireRejected("cluster key ack from a non-member", n.send(w2, protocol.TopicClusterKeyAck,
		protocol.ClusterKeyID{Cluster: 1, Version: 1}.Encode()), gatekeepertypes.ErrNotClusterMember)
	n.requireHandled(n.send(w1, protocol.TopicClusterKeyAck, protocol.ClusterKeyID{Cluster: 1, Version: 1}.Encode()))
	if r := n.rotation(); r.SweepHeight == 0 || !r.WorkerAcked(w1.PublicKey()) {
		t.Fatalf("after the member's ack: %+v", r)
	}

	// Midway, the state survives an export and re-import.
	_, reg1 := moduleStates(t, n.c.Export())
	imported := n.c.Import(t, n.c.Export())
	if _, reg2 := moduleStates(t, imported.Export()); !bytes.Equal(reg1, reg2) {
		t.Errorf("registry state differs after export and import:\n%s\n%s", reg1, reg2)
	}
	rgs := gatekeeperState(t, n.c, reg1)
	if len(rgs.Rotations) != 1 || rgs.Rotations[0].Phase != gatekeepertypes.ROTATION_PHASE_REENCRYPTING || rgs.Params.KeyRetention != retention {
		t.Fatalf("exported rotations %+v", rgs.Rotations)
	}

	// Progress: only the assignee of a range reports it; a failed blob holds
	// retirement back until a later report clears it.
	progress := func(gk *apptest.Worker, p protocol.ReencryptProgress) []byte {
		p.ToVersion, p.Range = 1, rangeOf[string(gk.PublicKey())]
		if p.Finished {
			p.VerifiedHeight = uint64(n.c.App.LastBlockHeight())
		}
		return p.Encode()
	}
	n.requireRejected("progress of another range", n.send(gk1, protocol.TopicReencryptProgress,
		protocol.ReencryptProgress{ToVersion: 1, Range: rangeOf[string(gk2.PublicKey())]}.Encode()), gatekeepertypes.ErrNotAssignee)
	n.requireHandled(n.send(gk1, protocol.TopicReencryptProgress, progress(gk1, protocol.ReencryptProgress{Done: 5, Total: 5, Finished: true})))
	n.requireHandled(n.send(gk2, protocol.TopicReencryptProgress, progress(gk2, protocol.ReencryptProgress{
		Done: 2, Failed: 1, Total: 3, Finished: true, FailedNames: []string{"cluster-1/app/x"},
	})))
	n.requireHandled(n.send(gk3, protocol.TopicReencryptProgress, progress(gk3, protocol.ReencryptProgress{Finished: true})))
	if p := n.rotation().Phase; p != gatekeepertypes.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("phase %s with a failed blob", gatekeepertypes.PhaseName(p))
	}
	evs := n.send(gk2, protocol.TopicReencryptProgress, progress(gk2, protocol.ReencryptProgress{Done: 3, Total: 3, Finished: true}))
	n.requireHandled(evs)
	if len(events(evs, gatekeepertypes.EventMasterKeyRetired)) != 1 {
		t.Fatal("no master_key_retired event when the last failure cleared")
	}
	r := n.rotation()
	if r.Phase != gatekeepertypes.ROTATION_PHASE_RETIRING || r.EraseHeight != r.RetiredHeight+retention {
		t.Fatalf("rotation after the ranges: %+v", r)
	}
	// The gatekeeper set is unlocked again.
	if err := n.gov(&gatekeepertypes.MsgAddGatekeeper{Authority: auth, IdentityKey: w2.Hex()}); err != nil {
		t.Fatalf("add gatekeeper after retirement: %v", err)
	}

	// EndBlock erases v0 at the erase height.
	for n.c.App.LastBlockHeight() < r.EraseHeight {
		n.c.NextBlock()
	}
	var erases []uint32
	for _, m := range n.c.Ingress() {
		if m.Topic == protocol.TopicMasterKeyErase {
			v, err := protocol.DecodeU32("version", m.Payload)
			if err != nil {
				t.Fatal(err)
			}
			erases = append(erases, v)
		}
	}
	if !slices.Equal(erases, []uint32{0}) {
		t.Fatalf("erase orders %v, want one for v0", erases)
	}
	r = n.rotation()
	mk, err := n.c.App.GatekeeperKeeper.MasterKeys.Get(n.c.CommittedContext(), 0)
	if err != nil || r.Phase != gatekeepertypes.ROTATION_PHASE_DONE || mk.ErasedHeight != r.EraseHeight || len(mk.PublicKey) == 0 {
		t.Fatalf("after the erase height: rotation %+v, v0 %+v, %v", r, mk, err)
	}
	// No live gatekeeper may hand out the erased version.
	n.requireRejected("copy of the erased version", n.send(gk1, protocol.TopicMasterKeyCopy,
		protocol.MasterKeyCopy{Recipient: w2.PublicKey(), First: 0, Count: 2, Sealed: []byte("s")}.Encode()), gatekeepertypes.ErrKeyErased)
	n.requireHandled(n.send(gk1, protocol.TopicMasterKeyCopy,
		protocol.MasterKeyCopy{Recipient: w2.PublicKey(), First: 1, Count: 1, Sealed: []byte("s")}.Encode()))
	if rej := events(n.send(gk3, protocol.TopicRotationAck, protocol.EncodeU32(1)), mqtypes.EventMessageRejected); len(rej) != 1 {
		t.Fatal("an ack after the rotation ended was not rejected")
	}
}
