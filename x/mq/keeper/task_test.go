package keeper_test

import (
	"errors"
	"testing"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

func TestPushGatekeeperTask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		module    string
		taskTopic string
		reply     string
		want      error
	}{
		{name: "valid", module: testModule, taskTopic: topicTask, reply: topicEcho},
		{name: "reply on another routed topic", module: testModule, taskTopic: topicTask, reply: topicAlt},
		{name: "task topic of another module", module: testModule, taskTopic: "gatekeeper/cluster_task", reply: topicEcho, want: types.ErrNotIngressOrigin},
		{name: "reply topic of another module", module: testModule, taskTopic: topicTask, reply: "gatekeeper/cluster_key", want: types.ErrInvalidTopic},
		{name: "unrouted reply topic", module: testModule, taskTopic: topicTask, reply: "test/nowhere", want: types.ErrInvalidTopic},
		{name: "reply topic for workers only", module: testModule, taskTopic: topicTask, reply: topicWorkerOnly, want: types.ErrInvalidTopic},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.pushTasks(t, 2) // seqs 0 and 1
			before := f.snapshot(t)
			next := f.nextIngress(t)
			seq, err := f.k.PushGatekeeperTask(f.ctx, tc.module, tc.taskTopic, tc.reply, []byte("body"))
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if seq != 2 {
				t.Errorf("seq %d, want 2", seq)
			}
			if reply, err := f.k.Tasks.Get(f.ctx, seq); err != nil || reply != tc.reply {
				t.Errorf("task at %d = %q, %v; want %q", seq, reply, err, tc.reply)
			}
			if n, _ := f.k.NextTask.Get(f.ctx); n != 3 {
				t.Errorf("next task %d, want 3", n)
			}
			m := f.ingressAt(t, next)
			task, err := protocol.DecodeGatekeeperTask(m.Payload)
			if err != nil || m.Topic != tc.taskTopic || !m.Origin.Equal(protocol.ModuleOrigin(tc.module)) || task.Seq != seq || string(task.Body) != "body" {
				t.Errorf("ingress %s %s %x (%+v, %v), want the task", m.Origin, m.Topic, m.Payload, task, err)
			}
			attrs := map[string]string{types.AttributeSeq: "2", types.AttributeTopic: tc.taskTopic, types.AttributeReply: tc.reply}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventTaskPushed, attrs) {
				t.Errorf("no %s event with %v", types.EventTaskPushed, attrs)
			}
		})
	}
}

// A chain whose gatekeeper channel is ahead of its task counter (a genesis
// from before tasks existed) numbers new tasks from the channel's head: a
// task below it could never be answered.
func TestPushGatekeeperTaskFollowsChannelHead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gs := types.DefaultGenesisState()
	gs.Sequences = []types.SenderSequence{{Origin: protocol.GatekeeperOrigin().Key(), NextSeq: 5}}
	if err := f.k.InitGenesis(f.ctx, gs); err != nil {
		t.Fatal(err)
	}
	if seqs := f.pushTasks(t, 2); seqs[0] != 5 || seqs[1] != 6 {
		t.Fatalf("tasks at %v, want [5 6]", seqs)
	}
}

// TestTaskLifecycle runs one task from allocation to delivery: a vote needs
// the task, on its reply topic; delivery deletes the task, after which a late
// vote is stale (skipped), not an error.
func TestTaskLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	vote := func(gk int, seq uint64, topic string) types.SignedMessage {
		m := gkMsg(seq, "answer")
		m.Topic = topic
		return sign(t, testChainID, f.gks[gk], m)
	}
	steps := []struct {
		name     string
		before   func()
		vote     types.SignedMessage
		wantErr  error
		wantResp types.MsgSyncMessagesResponse
	}{
		{name: "vote before any task", vote: vote(0, 0, topicEcho), wantErr: types.ErrNoTask},
		{name: "task allocated", before: func() { f.pushTasks(t, 1) }, vote: vote(0, 0, topicEcho), wantResp: types.MsgSyncMessagesResponse{Voted: 1}},
		{name: "vote past the last task", vote: vote(0, 1, topicEcho), wantErr: types.ErrNoTask},
		{name: "vote on another topic than the reply", vote: vote(1, 0, topicAlt), wantErr: types.ErrInvalidTopic},
		{name: "quorum delivers", vote: vote(1, 0, topicEcho), wantResp: types.MsgSyncMessagesResponse{Accepted: 1}},
		{name: "late vote is stale", vote: vote(2, 0, topicEcho), wantErr: types.ErrStaleSequence, wantResp: types.MsgSyncMessagesResponse{Skipped: 1}},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		before := f.snapshot(t)
		_, err := f.k.CheckEgress(f.ctx, s.vote)
		if !isErr(err, s.wantErr) {
			t.Fatalf("%s: CheckEgress = %v, want %v", s.name, err, s.wantErr)
		}
		resp, err := f.sync(s.vote)
		if s.wantErr != nil && !errors.Is(s.wantErr, types.ErrStaleSequence) {
			if !isErr(err, s.wantErr) {
				t.Fatalf("%s: SyncMessages = %v, want %v", s.name, err, s.wantErr)
			}
			f.assertUnchanged(t, before)
			continue
		}
		if err != nil || *resp != s.wantResp {
			t.Fatalf("%s: SyncMessages = %+v, %v; want %+v", s.name, resp, err, s.wantResp)
		}
	}
	if has, err := f.k.Tasks.Has(f.ctx, 0); err != nil || has {
		t.Errorf("task 0 still stored after delivery (%v)", err)
	}
	if got := f.handledPayloads(); len(got) != 1 {
		t.Errorf("handled %q, want one delivery", got)
	}
	if _, err := f.k.Votes.Get(f.ctx, collections.Join3(protocol.GatekeeperOrigin().Key(), uint64(0), []byte(pub(f.gks[0])))); !errors.Is(err, collections.ErrNotFound) {
		t.Errorf("vote at the delivered seq left in state (%v)", err)
	}
}

// ingressAt returns ingress entry index, decoded.
func (f *fixture) ingressAt(t testing.TB, index uint64) protocol.Message {
	t.Helper()
	raw, err := f.k.Ingress.Get(f.ctx, index)
	if err != nil {
		t.Fatalf("ingress %d: %v", index, err)
	}
	e, _, err := protocol.DecodeIngressEntry(raw)
	if err != nil {
		t.Fatal(err)
	}
	m, err := protocol.DecodeMessage(e.Message)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
