package pruntime

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/internal/tokenomics"
)

// busyParams challenges every worker every block, so that tests see
// heartbeats and settlements at once.
func busyParams(t testing.TB) []byte {
	t.Helper()
	p := tokenomics.DefaultParams()
	p.ExpectedHeartbeatCount = 1_000
	p.MaxHeartbeatsPerWorkerHour = 3_600_000
	p.BlockTimeMs = 1_000
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sessionStarted(n *testNode, session uint64) protocol.Message {
	stake := tokenomics.FromInt(1_000_000)
	sb, _ := stake.MarshalBinary()
	return ingress(protocol.TopicSessionStarted, protocol.SessionStarted{
		Worker: n.id(), Session: session, Score: 1_000, Level: 1, Stake: sb,
	}.Encode())
}

func blockTask(seq, height uint64) protocol.Message {
	seed := bytes.Repeat([]byte{byte(height)}, 32)
	body := protocol.ComputationBlock{Height: height, Seed: seed}.Encode()
	return protocol.Message{Origin: protocol.ModuleOrigin("computation"), Topic: protocol.TopicBlockTask,
		Payload: protocol.GatekeeperTask{Seq: seq, Body: body}.Encode()}
}

func compIngress(topic string, payload []byte) protocol.Message {
	return protocol.Message{Origin: protocol.ModuleOrigin("computation"), Topic: topic, Payload: payload}
}

// A computing worker answers its challenges; live gatekeepers publish the
// engine's output, byte-identical to an independent engine run on the same
// blocks, including a gatekeeper that queued the blocks before going live.
func TestComputationRole(t *testing.T) {
	t.Parallel()
	a, b, w := newTestNode(t), newTestNode(t), newTestNode(t)
	pub := launch(t, a)
	params := compIngress(protocol.TopicComputationParams, busyParams(t))
	b.mustApply(ingress(protocol.TopicGatekeeperAdded, b.id()), ingress(protocol.TopicMasterKey, protocol.MasterKeyRecord{PublicKey: pub}.Encode()))

	// Block 10: w starts computing. Block 11: w's heartbeat for block 10.
	block10 := []protocol.Message{params, sessionStarted(w, 1), blockTask(0, 10)}
	for _, n := range []*testNode{a, b, w} {
		n.mustApply(block10...)
	}
	if got := w.r.Info().Session; got != 1 {
		t.Fatalf("worker session %d, want 1", got)
	}
	hb := w.takeOne(protocol.TopicHeartbeat)
	h, err := protocol.DecodeHeartbeat(hb.Payload)
	if err != nil || h.Session != 1 || h.Challenge != 10 {
		t.Fatalf("heartbeat %+v, %v", h, err)
	}
	block11 := []protocol.Message{compIngress(protocol.TopicHeartbeat, protocol.Relayed{Sender: w.id(), Body: hb.Payload}.Encode()), blockTask(1, 11)}
	for _, n := range []*testNode{a, b, w} {
		n.mustApply(block11...)
	}

	// The reference: the engine alone on the same blocks.
	p := tokenomics.DefaultParams()
	if err := p.UnmarshalBinary(busyParams(t)); err != nil {
		t.Fatal(err)
	}
	var wk tokenomics.WorkerKey
	copy(wk[:], w.id())
	st := tokenomics.NewState(9)
	var want [][]byte
	for _, blk := range []tokenomics.Block{
		{Height: 10, Started: []tokenomics.Start{{Worker: wk, Session: 1, P: 1_000, Level: 1, Stake: tokenomics.FromInt(1_000_000)}}},
		{Height: 11, Heartbeats: []tokenomics.Heartbeat{{Worker: wk, Session: 1, Challenge: 10}}},
	} {
		copy(blk.Seed[:], bytes.Repeat([]byte{byte(blk.Height)}, 32))
		out, rej, err := st.Apply(p, blk)
		if err != nil || len(rej) != 0 {
			t.Fatalf("reference block %d: %v %v", blk.Height, err, rej)
		}
		want = append(want, out.Encode())
	}
	if out, _ := tokenomics.DecodeOutput(want[1]); len(out.Settlements) != 1 || out.Settlements[0].Payout.IsZero() {
		t.Fatalf("the heartbeat did not settle a payout: %+v", out)
	}

	// a is live: it published both blocks. b queued them and publishes the
	// same bytes once it receives the history.
	deliverHistory(t, b, a)
	for _, n := range []*testNode{a, b} {
		got := n.take(protocol.TopicSettlement)
		if len(got) != 2 {
			t.Fatalf("%d settlements, want 2", len(got))
		}
		for i, m := range got {
			if m.Origin.Kind != protocol.OriginGatekeeper || m.Seq != uint64(i) || !bytes.Equal(m.Payload, want[i]) {
				t.Fatalf("settlement %d: seq %d, payload differs from the engine's: %t", i, m.Seq, !bytes.Equal(m.Payload, want[i]))
			}
		}
	}
	// A worker that is not computing never sends heartbeats, and a
	// non-gatekeeper publishes nothing.
	if len(w.take(protocol.TopicSettlement)) != 0 || len(a.take(protocol.TopicHeartbeat)) != 0 {
		t.Fatal("a role acted that it does not hold")
	}

	// Stop: the session ends on the worker.
	w.mustApply(compIngress(protocol.TopicSessionStopped, protocol.SessionRef{Worker: w.id(), Session: 1}.Encode()), blockTask(2, 12))
	if w.r.Info().Session != 0 {
		t.Fatal("session still running after stop")
	}
}

// With no computing worker the engine resumes at whatever height the chain
// closes next; with workers a skipped block is a protocol error.
func TestComputationHeights(t *testing.T) {
	t.Parallel()
	w := newTestNode(t)
	w.mustApply(blockTask(0, 5), blockTask(1, 50))
	w.mustApply(sessionStarted(w, 1), blockTask(2, 51))
	if err := w.apply(blockTask(3, 53)); err == nil {
		t.Fatal("a skipped block with workers computing was accepted")
	}
}
