package keeper_test

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// TestBeaconTasks runs EndBlock over heights 11-30 and lists the heights
// whose beacon the gatekeepers were asked for.
func TestBeaconTasks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		interval uint64
		launch   bool
		removeGK bool
		want     []uint64
	}{
		{name: "every 5 blocks", interval: 5, launch: true, want: []uint64{15, 20, 25, 30}},
		{name: "default interval", interval: types.DefaultBeaconIntervalBlocks, launch: true, want: []uint64{20, 30}},
		{name: "every block", interval: 1, launch: true, want: []uint64{11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30}},
		{name: "off", interval: 0, launch: true},
		{name: "no master key yet", interval: 5},
		{name: "no gatekeeper left", interval: 5, launch: true, removeGK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.registerSim(t, 1)
			f.addGatekeeper(t, 1)
			if tc.launch {
				f.launch(t, 1)
			}
			if tc.removeGK {
				f.removeGatekeeper(t, 1)
			}
			f.setParams(t, func(p *types.Params) { p.BeaconIntervalBlocks = tc.interval })
			mark := len(f.ingress(t))
			for h := int64(11); h <= 30; h++ {
				f.ctx = f.ctx.WithBlockHeight(h)
				if err := f.runEndBlock(f.ctx); err != nil {
					t.Fatalf("EndBlock at %d: %v", h, err)
				}
			}
			var got []uint64
			for _, m := range f.ingressSince(t, mark) {
				if m.Topic != protocol.TopicBeaconTask {
					t.Fatalf("unexpected ingress on %s", m.Topic)
				}
				task, err := protocol.DecodeGatekeeperTask(m.Payload)
				if err != nil {
					t.Fatal(err)
				}
				h, err := protocol.DecodeU64("height", task.Body)
				if err != nil {
					t.Fatal(err)
				}
				if reply, err := f.mq.Tasks.Get(f.ctx, task.Seq); err != nil || reply != protocol.TopicBeacon {
					t.Errorf("task at seq %d answered on %q (%v), want %s", task.Seq, reply, err, protocol.TopicBeacon)
				}
				got = append(got, h)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("beacon tasks for heights %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("beacon tasks for heights %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestHandleBeacon(t *testing.T) {
	t.Parallel()
	value := bytes.Repeat([]byte{0xbe}, protocol.BeaconLen)
	beacon := func(height uint64, version uint32) []byte {
		return protocol.Beacon{Height: height, Version: version, Value: value}.Encode()
	}
	const at = 50 // block height of delivery
	tests := []struct {
		name   string
		latest uint64 // a beacon already accepted for this height (0: none)
		m      protocol.Message
		want   error
	}{
		{name: "first beacon", m: fromGatekeepers(protocol.TopicBeacon, beacon(40, 0))},
		{name: "newer beacon", latest: 30, m: fromGatekeepers(protocol.TopicBeacon, beacon(40, 0))},
		{name: "beacon for this block", latest: 30, m: fromGatekeepers(protocol.TopicBeacon, beacon(at, 0))},
		{name: "same height again", latest: 40, m: fromGatekeepers(protocol.TopicBeacon, beacon(40, 0)), want: types.ErrStaleBeacon},
		{name: "older than the latest", latest: 40, m: fromGatekeepers(protocol.TopicBeacon, beacon(30, 0)), want: types.ErrStaleBeacon},
		{name: "for a future height", m: fromGatekeepers(protocol.TopicBeacon, beacon(at+1, 0)), want: types.ErrInvalidBeacon},
		{name: "for height 0", m: fromGatekeepers(protocol.TopicBeacon, beacon(0, 0)), want: types.ErrInvalidBeacon},
		{name: "unknown master key version", m: fromGatekeepers(protocol.TopicBeacon, beacon(40, 1)), want: types.ErrUnknownKeyVersion},
		{name: "short value", m: fromGatekeepers(protocol.TopicBeacon, beacon(40, 0)[:40]), want: types.ErrMalformedPayload},
		{name: "from a worker", m: fromWorker(1, protocol.TopicBeacon, beacon(40, 0)), want: types.ErrInvalidOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := launchedFixture(t, []byte{1}, nil)
			f.ctx = f.ctx.WithBlockHeight(at)
			if tc.latest != 0 {
				f.mustHandle(t, f.k.HandleBeacon, fromGatekeepers(protocol.TopicBeacon, beacon(tc.latest, 0)))
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			err := f.handle(t, f.k.HandleBeacon, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			b, _ := protocol.DecodeBeacon(tc.m.Payload)
			resp, err := f.query.Beacon(f.ctx, &types.QueryBeaconRequest{})
			if err != nil || resp.Beacon == nil || resp.Beacon.Height != b.Height || resp.Beacon.DeliveredHeight != at || !bytes.Equal(resp.Beacon.Value, value) {
				t.Errorf("Beacon query: %+v, %v", resp, err)
			}
			wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicBeacon, tc.m.Payload})
			if !hasEvent(f.ctx.EventManager().Events(), types.EventBeacon, map[string]string{types.AttributeHeight: "40"}) && b.Height == 40 {
				t.Errorf("no %s event", types.EventBeacon)
			}
		})
	}
}

func TestBeaconQueryBeforeFirst(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, err := f.query.Beacon(f.ctx, &types.QueryBeaconRequest{})
	if err != nil || resp.Beacon != nil {
		t.Fatalf("Beacon query on a new chain: %+v, %v; want none", resp, err)
	}
}
