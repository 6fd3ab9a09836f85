package keeper_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

func TestPushIngress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		module  string
		topic   string
		payload []byte
		want    error
	}{
		{name: "own topic", module: testModule, topic: topicEchoOut, payload: []byte("p")},
		{name: "empty payload", module: testModule, topic: topicEchoOut},
		{name: "nested topic", module: "registry", topic: "registry/a/b", payload: []byte("p")},
		{name: "largest payload", module: testModule, topic: topicEchoOut, payload: make([]byte, protocol.MaxPayloadLen)},
		{name: "another module's topic", module: testModule, topic: protocol.TopicWorkerRegistered, want: types.ErrNotIngressOrigin},
		{name: "module name is a prefix of the owner", module: "reg", topic: "registry/x", want: types.ErrNotIngressOrigin},
		{name: "empty module", module: "", topic: topicEchoOut, want: types.ErrNotIngressOrigin},
		{name: "topic without name", module: testModule, topic: testModule, want: types.ErrMalformedMessage},
		{name: "invalid module name", module: "Test", topic: "Test/x", want: types.ErrMalformedMessage},
		{name: "payload too large", module: testModule, topic: topicEchoOut, payload: make([]byte, protocol.MaxPayloadLen+1), want: types.ErrMalformedMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := f.snapshot(t)
			index, err := f.k.PushIngress(f.ctx, tc.module, tc.topic, tc.payload)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if index != 0 {
				t.Errorf("first index = %d, want 0", index)
			}
			raw, err := f.k.Ingress.Get(f.ctx, index)
			if err != nil {
				t.Fatal(err)
			}
			// The value lives at the documented key in the documented layout,
			// because pRuntimes prove exactly that key.
			if got := f.ctx.KVStore(f.storeKey).Get(types.IngressStoreKey(index)); !bytes.Equal(got, raw) {
				t.Errorf("store key %x holds %x, want the entry", types.IngressStoreKey(index), got)
			}
			e, m, err := protocol.DecodeIngressEntry(raw)
			if err != nil {
				t.Fatal(err)
			}
			if e.Height != testHeight {
				t.Errorf("height = %d, want %d", e.Height, testHeight)
			}
			want := protocol.Message{Origin: protocol.ModuleOrigin(tc.module), Topic: tc.topic, Seq: index, Payload: tc.payload}
			if !m.Origin.Equal(want.Origin) || m.Topic != want.Topic || m.Seq != want.Seq || !bytes.Equal(m.Payload, want.Payload) {
				t.Errorf("message = %+v, want %+v", m, want)
			}
			attrs := map[string]string{types.AttributeIndex: "0", types.AttributeOrigin: "module:" + tc.module, types.AttributeTopic: tc.topic}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventIngressAppended, attrs) {
				t.Errorf("no %s event with %v", types.EventIngressAppended, attrs)
			}
		})
	}
}

func TestPushIngressIndexes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i := range uint64(5) {
		f.ctx = f.ctx.WithBlockHeight(int64(100 + i))
		got, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte{byte(i)})
		if err != nil {
			t.Fatal(err)
		}
		if got != i {
			t.Fatalf("push %d got index %d", i, got)
		}
	}
	// A rejected push does not consume an index.
	if _, err := f.k.PushIngress(f.ctx, testModule, "registry/x", nil); err == nil {
		t.Fatal("push on another module's topic succeeded")
	}
	got, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, nil)
	if err != nil || got != 5 {
		t.Fatalf("push after rejection = %d, %v; want 5", got, err)
	}
	resp, err := f.query.Ingress(f.ctx, &types.QueryIngressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range resp.Entries {
		if e.Index != uint64(i) || e.Height != uint64(100+min(i, 4)) {
			t.Errorf("entry %d: index %d height %d", i, e.Index, e.Height)
		}
	}
}

func TestPruneIngress(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		retention uint64
		heights   []int64 // one entry appended at each
		pruneAt   int64
		wantFirst uint64
		wantLeft  []uint64
		pushAfter bool // then append one more entry and expect it at next
	}{
		{
			name: "retention 0 keeps everything", retention: 0,
			heights: []int64{1, 2, 3}, pruneAt: 1_000_000,
			wantFirst: 0, wantLeft: []uint64{0, 1, 2},
		},
		{
			name: "chain younger than retention", retention: 10,
			heights: []int64{1, 2, 3}, pruneAt: 10,
			wantFirst: 0, wantLeft: []uint64{0, 1, 2},
		},
		{
			name: "only entries older than retention go", retention: 10,
			heights: []int64{1, 2, 3, 5, 8}, pruneAt: 13,
			wantFirst: 2, wantLeft: []uint64{2, 3, 4},
		},
		{
			name: "entry exactly at the cutoff stays", retention: 10,
			heights: []int64{3, 3, 4}, pruneAt: 13,
			wantFirst: 0, wantLeft: []uint64{0, 1, 2},
		},
		{
			name: "several entries of one height", retention: 1,
			heights: []int64{2, 2, 2, 3}, pruneAt: 4,
			wantFirst: 3, wantLeft: []uint64{3},
		},
		{
			name: "everything pruned, then appended", retention: 5,
			heights: []int64{1, 2}, pruneAt: 100,
			wantFirst: 2, wantLeft: []uint64{2}, pushAfter: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = tc.retention })
			for _, h := range tc.heights {
				f.ctx = f.ctx.WithBlockHeight(h)
				if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, nil); err != nil {
					t.Fatal(err)
				}
			}
			f.ctx = f.ctx.WithBlockHeight(tc.pruneAt)
			if err := f.k.PruneIngress(f.ctx); err != nil {
				t.Fatal(err)
			}
			// Pruning again at the same height changes nothing.
			before := f.snapshot(t)
			if err := f.k.PruneIngress(f.ctx); err != nil {
				t.Fatal(err)
			}
			f.assertUnchanged(t, before)
			if tc.pushAfter {
				if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, nil); err != nil {
					t.Fatal(err)
				}
			}
			resp, err := f.query.Ingress(f.ctx, &types.QueryIngressRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if resp.FirstIndex != tc.wantFirst {
				t.Errorf("first index = %d, want %d", resp.FirstIndex, tc.wantFirst)
			}
			wantNext := uint64(len(tc.heights))
			if tc.pushAfter {
				wantNext++
			}
			if resp.NextIndex != wantNext {
				t.Errorf("next index = %d, want %d", resp.NextIndex, wantNext)
			}
			var left []uint64
			err = f.k.Ingress.Walk(f.ctx, nil, func(i uint64, _ []byte) (bool, error) {
				left = append(left, i)
				return false, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(left, tc.wantLeft) {
				t.Errorf("entries left %v, want %v", left, tc.wantLeft)
			}
		})
	}
}

// TestPruneIngressBounded checks that one call prunes at most 1000 entries
// and the next call continues where it stopped.
func TestPruneIngressBounded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 1 })
	const n = 1_500
	f.ctx = f.ctx.WithBlockHeight(1)
	for range n {
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.ctx = f.ctx.WithBlockHeight(100)
	for _, want := range []uint64{1_000, n, n} {
		if err := f.k.PruneIngress(f.ctx); err != nil {
			t.Fatal(err)
		}
		first, err := f.k.FirstIngress.Get(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if first != want {
			t.Fatalf("first = %d, want %d", first, want)
		}
		if has, _ := f.k.Ingress.Has(f.ctx, first-1); has {
			t.Errorf("entry %d below first survived", first-1)
		}
	}
}

func TestIngressQuery(t *testing.T) {
	t.Parallel()
	// Entries 0-4 at heights 1-5; retention 3 at height 6 prunes 0 and 1.
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 3 })
		for i := range 5 {
			f.ctx = f.ctx.WithBlockHeight(int64(i + 1))
			if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, fmt.Appendf(nil, "p%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		f.ctx = f.ctx.WithBlockHeight(6)
		if err := f.k.PruneIngress(f.ctx); err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name string
		req  *types.QueryIngressRequest
		want []uint64
		err  error
	}{
		{name: "nil request", req: nil, err: types.ErrInvalidQuery},
		{name: "from zero starts at first", req: &types.QueryIngressRequest{}, want: []uint64{2, 3, 4}},
		{name: "from first", req: &types.QueryIngressRequest{Start: 2}, want: []uint64{2, 3, 4}},
		{name: "from the middle", req: &types.QueryIngressRequest{Start: 3}, want: []uint64{3, 4}},
		{name: "limit", req: &types.QueryIngressRequest{Start: 3, Limit: 1}, want: []uint64{3}},
		{name: "limit below start from zero", req: &types.QueryIngressRequest{Limit: 2}, want: []uint64{2, 3}},
		{name: "past the end", req: &types.QueryIngressRequest{Start: 5}},
		{name: "far past the end", req: &types.QueryIngressRequest{Start: 1 << 63}},
		{name: "largest limit", req: &types.QueryIngressRequest{Limit: 1_000}, want: []uint64{2, 3, 4}},
		{name: "limit too large", req: &types.QueryIngressRequest{Limit: 1_001}, err: types.ErrInvalidQuery},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			resp, err := f.query.Ingress(f.ctx, tc.req)
			wantErrIs(t, err, tc.err)
			if tc.err != nil {
				return
			}
			if resp.FirstIndex != 2 || resp.NextIndex != 5 {
				t.Errorf("first, next = %d, %d; want 2, 5", resp.FirstIndex, resp.NextIndex)
			}
			var got []uint64
			for _, e := range resp.Entries {
				got = append(got, e.Index)
				m, err := protocol.DecodeMessage(e.Message)
				if err != nil {
					t.Fatalf("entry %d: %v", e.Index, err)
				}
				if m.Seq != e.Index || string(m.Payload) != fmt.Sprintf("p%d", e.Index) || e.Height != e.Index+1 {
					t.Errorf("entry %d: height %d, message %+v", e.Index, e.Height, m)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("indexes %v, want %v", got, tc.want)
			}
		})
	}
}

// TestIngressQueryDefaultLimit checks the default page of 100.
func TestIngressQueryDefaultLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for range 150 {
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, nil); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := f.query.Ingress(f.ctx, &types.QueryIngressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.Entries); n != 100 || resp.Entries[99].Index != 99 {
		t.Errorf("got %d entries, want 0-99", n)
	}
}
