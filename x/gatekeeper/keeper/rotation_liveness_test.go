package keeper_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

func keyAckMsg(from byte, cluster uint64, version uint32) protocol.Message {
	return fromWorker(from, protocol.TopicClusterKeyAck, protocol.ClusterKeyID{Cluster: cluster, Version: version}.Encode())
}

// verifiedAt is a finished, clean report of range r whose verify pass
// began at height h.
func verifiedAt(version, r uint32, n uint64, h int64) protocol.ReencryptProgress {
	p := finished(version, r, n)
	p.VerifiedHeight = uint64(h)
	return p
}

// TestRotationWaitsForWorkerAcks is issue 12 point 4 on the chain: ranges
// verified while a cluster member had not acknowledged the new version do
// not retire the old one; the member's acknowledgement sets the sweep
// height, reopens them and asks for a sweep; only reports whose verify
// began at or after it retire. Every malformed or misplaced
// acknowledgement is refused and stores nothing.
func TestRotationWaitsForWorkerAcks(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, []byte{4, 5, 6})
	f.setParams(t, func(p *types.Params) { p.BeaconIntervalBlocks = 0 })
	cluster := f.createCluster(t, 4, 5)
	f.publishClusterKey(t, cluster, 0)
	f.ctx = f.ctx.WithBlockHeight(20)
	toReencrypting(t, f)
	f.publishClusterKey(t, cluster, 1)
	r1, r2, r3 := f.rangeOf(t, 1), f.rangeOf(t, 2), f.rangeOf(t, 3)

	// Every range verified at 30; worker 5 (lagging) has not acknowledged.
	f.ctx = f.ctx.WithBlockHeight(30)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, verifiedAt(1, r1, 4, 30)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, verifiedAt(1, r2, 4, 30)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(3, verifiedAt(1, r3, 4, 30)))
	f.endBlock(t, 30)
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.SweepHeight != 0 {
		t.Fatalf("retired with no member acknowledgement: phase %s, sweep %d", types.PhaseName(r.Phase), r.SweepHeight)
	}

	// Worker 4 acknowledges: recorded, still waiting for 5.
	f.ctx = f.ctx.WithBlockHeight(32)
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(4, cluster, 1))
	if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterKeyAck, map[string]string{
		types.AttributeWorker: keyHex(4), types.AttributeWorkerAcks: "1",
	}) {
		t.Errorf("no %s event", types.EventClusterKeyAck)
	}
	f.endBlock(t, 33)
	r := f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.SweepHeight != 0 || !r.WorkerAcked(pub(testKey(4))) || r.WorkerAcked(pub(testKey(5))) {
		t.Fatalf("after worker 4's ack: %+v", r)
	}
	if un, err := f.k.UnackedWorkers(f.ctx, r); err != nil || len(un) != 1 || !bytes.Equal(un[0], pub(testKey(5))) {
		t.Fatalf("unacknowledged members %x, %v; want worker 5", un, err)
	}

	// Rejections store nothing.
	f.ctx = f.ctx.WithBlockHeight(34)
	before := f.snapshot(t)
	for _, tc := range []struct {
		name string
		m    protocol.Message
		want error
	}{
		{"not a member", keyAckMsg(6, cluster, 1), types.ErrNotClusterMember},
		{"another cluster", keyAckMsg(5, cluster+1, 1), types.ErrNotClusterMember},
		{"a version not granted", keyAckMsg(5, cluster, 2), types.ErrInvalidClusterKeyAck},
		{"twice", keyAckMsg(4, cluster, 1), types.ErrInvalidClusterKeyAck},
		{"malformed", fromWorker(5, protocol.TopicClusterKeyAck, []byte{1, 2, 3}), types.ErrMalformedPayload},
		{"trailing byte", fromWorker(5, protocol.TopicClusterKeyAck, append(protocol.ClusterKeyID{Cluster: cluster, Version: 1}.Encode(), 0)), types.ErrMalformedPayload},
		{"gatekeeper origin", protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicClusterKeyAck,
			Payload: protocol.ClusterKeyID{Cluster: cluster, Version: 1}.Encode()}, types.ErrInvalidOrigin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErrIs(t, f.handle(t, f.k.HandleClusterKeyAck, tc.m), tc.want)
		})
	}
	f.assertUnchanged(t, before)
	// An acknowledgement of the old version changes nothing, without error.
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(5, cluster, 0))
	f.assertUnchanged(t, before)

	// Worker 5 catches up at 40: sweep height 40, every range reopened, a
	// sweep asked for.
	f.ctx = f.ctx.WithBlockHeight(40)
	mark := len(f.ingress(t))
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(5, cluster, 1))
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicReencryptSweep, protocol.ReencryptSweep{ToVersion: 1, SweepHeight: 40}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventReencryptSweep, map[string]string{
		types.AttributeSweep: "40", types.AttributeReopened: "3", types.AttributeWorkerAcks: "2",
	}) {
		t.Errorf("no %s event", types.EventReencryptSweep)
	}
	r = f.rotation(t)
	if r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.SweepHeight != 40 {
		t.Fatalf("after the last ack: phase %s, sweep %d", types.PhaseName(r.Phase), r.SweepHeight)
	}
	for i, g := range r.Gatekeepers {
		if g.Finished {
			t.Errorf("range %d still finished after the sweep: %+v", i, g)
		}
	}

	// A report whose verify began before the sweep (in flight) does not
	// count; those that began at or after it retire v0.
	f.ctx = f.ctx.WithBlockHeight(41)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, verifiedAt(1, r1, 5, 39)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, verifiedAt(1, r2, 4, 40)))
	f.endBlock(t, 41)
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("retired on a verify from before the sweep")
	}
	f.ctx = f.ctx.WithBlockHeight(42)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(3, verifiedAt(1, r3, 4, 41)))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("retired with range %d verified before the sweep", r1)
	}
	f.ctx = f.ctx.WithBlockHeight(43)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, verifiedAt(1, r1, 5, 42)))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_RETIRING || r.RetiredHeight != 43 {
		t.Fatalf("after every range verified past the sweep: phase %s, retired %d", types.PhaseName(r.Phase), r.RetiredHeight)
	}
	// Acknowledgements after retirement change nothing.
	before = f.snapshot(t)
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(4, cluster, 1))
	f.assertUnchanged(t, before)
}

// TestRotationDeadWorkerRemoved: a member that never acknowledges holds
// retirement back; once its cluster owner removes it, the next block
// sweeps, and the ranges verified after that retire v0.
func TestRotationDeadWorkerRemoved(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, []byte{4, 5})
	f.setParams(t, func(p *types.Params) { p.BeaconIntervalBlocks = 0 })
	cluster := f.createCluster(t, 4, 5)
	f.publishClusterKey(t, cluster, 0)
	f.ctx = f.ctx.WithBlockHeight(20)
	toReencrypting(t, f)
	f.publishClusterKey(t, cluster, 1)
	f.ctx = f.ctx.WithBlockHeight(21)
	f.mustHandle(t, f.k.HandleClusterKeyAck, keyAckMsg(4, cluster, 1))
	for _, s := range []byte{1, 2, 3} {
		f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(s, verifiedAt(1, f.rangeOf(t, s), 2, 21)))
	}
	for h := int64(22); h < 30; h++ {
		f.endBlock(t, h)
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_REENCRYPTING || r.SweepHeight != 0 {
		t.Fatalf("a member that never acknowledged did not hold retirement back: %+v", r)
	}
	if _, err := f.msgs.RemoveClusterWorker(f.ctx, &types.MsgRemoveClusterWorker{Signer: f.operator, ClusterId: cluster, Worker: keyHex(5)}); err != nil {
		t.Fatalf("RemoveClusterWorker: %v", err)
	}
	mark := len(f.ingress(t))
	f.endBlock(t, 30)
	r := f.rotation(t)
	if r.SweepHeight != 30 || r.Phase != types.ROTATION_PHASE_REENCRYPTING {
		t.Fatalf("after the removal: sweep %d, phase %s", r.SweepHeight, types.PhaseName(r.Phase))
	}
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicReencryptSweep, protocol.ReencryptSweep{ToVersion: 1, SweepHeight: 30}.Encode()})
	f.ctx = f.ctx.WithBlockHeight(31)
	for _, s := range []byte{1, 2, 3} {
		f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(s, verifiedAt(1, f.rangeOf(t, s), 2, 30)))
	}
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("not retired after the sweep: %s", types.PhaseName(r.Phase))
	}
}

// TestRotationReassignsStalledRange is issue 12 point 5 on the chain: a
// range without progress for reencrypt_stall_blocks goes to the next
// gatekeeper of the snapshot that holds the new version, announced on
// ingress, in an event and in the query; the old assignee's later reports
// are refused; the new one resumes and finishes; a range whose job
// completed with failed objects is not moved.
func TestRotationReassignsStalledRange(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	f.setParams(t, func(p *types.Params) { p.ReencryptStallBlocks, p.BeaconIntervalBlocks = 10, 0 })
	f.ctx = f.ctx.WithBlockHeight(20)
	toReencrypting(t, f) // gatekeepers 1 and 2 acknowledged, 3 did not
	r := f.rotation(t)
	r1, r2, r3 := f.rangeOf(t, 1), f.rangeOf(t, 2), f.rangeOf(t, 3)
	k1, k2, k3 := pub(testKey(1)), pub(testKey(2)), pub(testKey(3))

	f.ctx = f.ctx.WithBlockHeight(25)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(1, protocol.ReencryptProgress{ToVersion: 1, Range: r1, Done: 3, Total: 10}))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, protocol.ReencryptProgress{ToVersion: 1, Range: r2, Done: 1, Total: 3, Failed: 2}))
	mark := len(f.ingress(t))
	f.endBlock(t, 29)
	if got := f.ingressSince(t, mark); len(got) != 0 {
		t.Fatalf("ingress before any range stalled for 10 blocks: %v", topics(got))
	}
	// At 30 gatekeeper 3's range has had no report for 10 blocks since
	// activation: it goes to the next snapshot gatekeeper after 3 that
	// acknowledged v1. Range 2 waits for its apps, not for gatekeeper 2.
	f.endBlock(t, 30)
	want := r.Gatekeepers[(int(r3)+1)%3].IdentityKey
	wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicReencryptReassigned,
		protocol.ReencryptReassigned{ToVersion: 1, Range: r3, Assignee: want, Previous: k3}.Encode()})
	if !hasEvent(f.ctx.EventManager().Events(), types.EventReencryptReassigned, map[string]string{
		types.AttributeRange: fmt.Sprint(r3), types.AttributePrevious: hex.EncodeToString(k3),
		types.AttributeAssignee: hex.EncodeToString(want), types.AttributeStalledFor: "10",
	}) {
		t.Errorf("no %s event", types.EventReencryptReassigned)
	}
	row := f.rotation(t).Gatekeepers[r3]
	if !bytes.Equal(row.RangeAssignee(), want) || row.AssignedHeight != 30 || row.Reassignments != 1 {
		t.Fatalf("range %d after the stall: %+v", r3, row)
	}
	if bytes.Equal(want, k3) || !(bytes.Equal(want, k1) || bytes.Equal(want, k2)) {
		t.Fatalf("range reassigned to %x", want)
	}
	wantSender := byte(1)
	if bytes.Equal(want, k2) {
		wantSender = 2
	}

	// The stalled gatekeeper's later report is refused and stores nothing.
	f.ctx = f.ctx.WithBlockHeight(31)
	before := f.snapshot(t)
	wantErrIs(t, f.handle(t, f.k.HandleReencryptProgress, progressMsg(3, finished(1, r3, 9))), types.ErrNotAssignee)
	f.assertUnchanged(t, before)

	// Gatekeeper 1's range stalls at 35 (last report 25): it moves too,
	// but not to the gatekeeper that holds a stalled range.
	f.endBlock(t, 34)
	mark = len(f.ingress(t))
	f.endBlock(t, 35)
	got := f.ingressSince(t, mark)
	if len(got) != 1 || got[0].Topic != protocol.TopicReencryptReassigned {
		t.Fatalf("ingress at 35: %v", topics(got))
	}
	moved, err := protocol.DecodeReencryptReassigned(got[0].Payload)
	if err != nil || moved.Range != r1 || bytes.Equal(moved.Assignee, k1) || bytes.Equal(moved.Assignee, k3) {
		t.Fatalf("range %d moved as %+v, %v (not to itself, nor to gatekeeper 3, which acknowledged nothing)", r1, moved, err)
	}

	// The new assignees resume and finish; v0 retires once range 2's apps
	// fixed their blobs.
	f.ctx = f.ctx.WithBlockHeight(36)
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(wantSender, finished(1, r3, 9)))
	sender1 := byte(2)
	if bytes.Equal(moved.Assignee, k1) {
		sender1 = 1
	}
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(sender1, finished(1, r1, 10)))
	f.mustHandle(t, f.k.HandleReencryptProgress, progressMsg(2, finished(1, r2, 3)))
	if r := f.rotation(t); r.Phase != types.ROTATION_PHASE_RETIRING {
		t.Fatalf("phase %s after every range finished", types.PhaseName(r.Phase))
	}
}

// TestRotationStallWithNobodyToTakeIt: with no other gatekeeper that holds
// the new version, a stalled range stays where it is (and is tried again
// every block) rather than go to one that cannot re-encrypt it.
func TestRotationStallWithNobodyToTakeIt(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	f.setParams(t, func(p *types.Params) { p.ReencryptStallBlocks, p.BeaconIntervalBlocks = 5, 0 })
	f.ctx = f.ctx.WithBlockHeight(20)
	toReencrypting(t, f)
	// Gatekeepers 1 and 2 (the only holders of v1) both stall: neither may
	// take the other's range, and 3 holds no v1.
	mark := len(f.ingress(t))
	f.endBlock(t, 25)
	got := slices.DeleteFunc(f.ingressSince(t, mark), func(m protocol.Message) bool { return m.Topic == protocol.TopicReencryptSweep })
	for _, m := range got {
		p, err := protocol.DecodeReencryptReassigned(m.Payload)
		if m.Topic != protocol.TopicReencryptReassigned || err != nil {
			t.Fatalf("ingress %s: %v", m.Topic, err)
		}
		if bytes.Equal(p.Assignee, pub(testKey(3))) || bytes.Equal(p.Assignee, pub(testKey(1))) || bytes.Equal(p.Assignee, pub(testKey(2))) {
			t.Fatalf("range %d given to %x, which holds no v1 or a stalled range", p.Range, p.Assignee)
		}
	}
	if len(got) != 0 {
		t.Fatalf("ranges moved with nobody eligible: %v", topics(got))
	}
}

func TestReencryptStallBlocksParam(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v  uint64
		ok bool
	}{{0, false}, {1, true}, {types.DefaultReencryptStallBlocks, true}, {types.MaxKeyRetention, true}, {types.MaxKeyRetention + 1, false}} {
		p := types.DefaultParams()
		p.ReencryptStallBlocks = tc.v
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("reencrypt_stall_blocks %d: %v", tc.v, err)
		} else if err != nil {
			wantErrIs(t, err, types.ErrInvalidParams)
		}
	}
}

// TestRotationGenesisSweep: a retiring rotation whose ranges were verified
// at or after its sweep height imports; one verified before it does not
// (TestRotationGenesisValidate), nor does one retired before sweep heights
// existed that has an unfinished range.
func TestRotationGenesisSweep(t *testing.T) {
	t.Parallel()
	f := rotationFixture(t, []byte{1, 2, 3}, nil)
	toReencrypting(t, f)
	base, err := f.exportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sweep := range []int64{0, 5} {
		var gs types.GenesisState
		f.cdc.MustUnmarshalJSON(f.cdc.MustMarshalJSON(base), &gs)
		r := &gs.Rotations[0]
		r.Phase, r.SweepHeight, r.RetiredHeight, r.EraseHeight = types.ROTATION_PHASE_RETIRING, sweep, 6, 10
		gs.MasterKeys[r.FromVersion].RetiredHeight = 6
		for i := range r.Gatekeepers {
			r.Gatekeepers[i].Finished, r.Gatekeepers[i].VerifiedHeight = true, 5
		}
		if err := gs.Validate(); err != nil {
			t.Errorf("sweep %d, verified at 5: %v", sweep, err)
		}
	}
}
