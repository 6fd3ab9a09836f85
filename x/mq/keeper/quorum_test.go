package keeper_test

import (
	"slices"
	"testing"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestRecheckQuorum: votes stored while the quorum was out of reach are
// delivered, in order and on every channel, by the end-block recheck once
// the gatekeeper set or gk_quorum changes; nothing happens while neither
// changed.
func TestRecheckQuorum(t *testing.T) {
	t.Parallel()
	lane := protocol.GatekeeperLane(testModule)
	tests := []struct {
		name string
		// quorum is gk_quorum while the votes are cast.
		quorum uint32
		// change is what happens between the votes and the recheck.
		change        func(t *testing.T, f *fixture)
		wantDelivered []string
		wantClamped   bool
	}{
		{
			name:          "removing a dead gatekeeper lowers the majority",
			change:        func(_ *testing.T, f *fixture) { f.senders.removeGatekeeper(pub(f.gks[3])) },
			wantDelivered: []string{"t0", "t1", "l0", "l1"},
		},
		{
			name:   "removal below gk_quorum clamps it to the set",
			quorum: 3,
			change: func(_ *testing.T, f *fixture) {
				f.senders.removeGatekeeper(pub(f.gks[3]))
				f.senders.removeGatekeeper(pub(f.gks[2]))
			},
			wantDelivered: []string{"t0", "t1", "l0", "l1"},
			wantClamped:   true,
		},
		{
			name:   "governance lowers gk_quorum",
			quorum: 3,
			change: func(t *testing.T, f *fixture) {
				f.setParams(t, func(p *types.Params) { p.GkQuorum = 2 })
			},
			wantDelivered: []string{"t0", "t1", "l0", "l1"},
		},
		{
			name: "a pRuntime migration swaps a dead gatekeeper's key",
			change: func(_ *testing.T, f *fixture) {
				// The successor has not voted: 2 of 4 still do not deliver.
				f.senders.gatekeepers[3] = pub(testKey(50))
			},
		},
		{
			name:   "nothing changed",
			change: func(*testing.T, *fixture) {},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			// Four gatekeepers, two of them dead: two votes are not a
			// majority.
			f.gks = append(f.gks, testKey(13))
			f.senders.workers[string(pub(f.gks[3]))] = true
			f.senders.gatekeepers = append(f.senders.gatekeepers, pub(f.gks[3]))
			if tc.quorum != 0 {
				f.setParams(t, func(p *types.Params) { p.GkQuorum = tc.quorum })
			}
			f.pushTasks(t, 2)
			// The recheck of the initial state (never checked) delivers
			// nothing, and records the basis.
			f.endBlock(t)
			var sms []types.SignedMessage
			for _, gk := range f.gks[:2] {
				for seq := range uint64(2) {
					sms = append(sms,
						sign(t, testChainID, gk, gkMsg(seq, "t"+string(rune('0'+seq)))),
						sign(t, testChainID, gk, protocol.Message{Origin: lane, Topic: topicEcho, Seq: seq, Payload: []byte("l" + string(rune('0'+seq)))}))
				}
			}
			f.mustSync(t, sms...)
			if len(f.handled) != 0 {
				t.Fatalf("delivered %q with 2 votes of 4", f.handledPayloads())
			}

			tc.change(t, f)
			evs := f.endBlock(t)
			if got := f.handledPayloads(); !slices.Equal(got, tc.wantDelivered) {
				t.Fatalf("recheck delivered %q, want %q", got, tc.wantDelivered)
			}
			if n := countEvents(evs, types.EventMessageDelivered); n != len(tc.wantDelivered) {
				t.Errorf("%d delivered events, want %d", n, len(tc.wantDelivered))
			}
			if got := hasEvent(evs, types.EventQuorumClamped, map[string]string{
				types.AttributeGkQuorum: "3", types.AttributeGatekeepers: "2", types.AttributeQuorum: "2",
			}); got != tc.wantClamped {
				t.Errorf("clamp event %v, want %v", got, tc.wantClamped)
			}
			wantNext := uint64(len(tc.wantDelivered) / 2)
			if got := f.nextSeq(t, protocol.GatekeeperOrigin()); got != wantNext {
				t.Errorf("task channel next seq %d, want %d", got, wantNext)
			}
			if got := f.nextSeq(t, lane); got != wantNext {
				t.Errorf("lane next seq %d, want %d", got, wantNext)
			}
			// A second recheck without a change does nothing.
			before := f.snapshot(t)
			if evs := f.endBlock(t); len(evs) != 0 {
				t.Errorf("unchanged recheck emitted %v", evs)
			}
			f.assertUnchanged(t, before)
		})
	}
}

// TestUpdateParamsQuorumUnreachable: governance cannot set a gk_quorum the
// current gatekeeper set cannot reach; the refusal stores nothing.
func TestUpdateParamsQuorumUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		gks     int
		quorum  uint32
		wantErr error
	}{
		{name: "majority of three", gks: 3, quorum: 0},
		{name: "all three", gks: 3, quorum: 3},
		{name: "above three", gks: 3, quorum: 4, wantErr: types.ErrQuorumUnreachable},
		{name: "majority of none", gks: 0, quorum: 0},
		{name: "one of none", gks: 0, quorum: 1, wantErr: types.ErrQuorumUnreachable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.senders.gatekeepers = f.senders.gatekeepers[:tc.gks]
			before := f.snapshot(t)
			p := types.DefaultParams()
			p.GkQuorum = tc.quorum
			_, err := f.msgs.UpdateParams(f.ctx, &types.MsgUpdateParams{Authority: f.authority, Params: p})
			wantErrIs(t, err, tc.wantErr)
			if tc.wantErr != nil {
				f.assertUnchanged(t, before)
				return
			}
			got, err := f.k.GetParams(f.ctx)
			if err != nil || got.GkQuorum != tc.quorum {
				t.Fatalf("stored gk_quorum %d (%v), want %d", got.GkQuorum, err, tc.quorum)
			}
		})
	}
}

// endBlock runs the gatekeeper quorum recheck as EndBlock does, with a fresh
// event manager, and returns its events.
func (f *fixture) endBlock(t *testing.T) sdk.Events {
	t.Helper()
	f.ctx = f.ctx.WithEventManager(sdk.NewEventManager())
	if err := f.k.RecheckQuorum(f.ctx); err != nil {
		t.Fatalf("RecheckQuorum: %v", err)
	}
	return f.ctx.EventManager().Events()
}
