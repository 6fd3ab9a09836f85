package keeper_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// TestGenesisRoundTrip exports a state with every kind of record, imports it
// into a fresh store, and checks that the export is identical, the raw store
// is identical, and the imported queue carries on where the old one stopped.
func TestGenesisRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.setParams(t, func(p *types.Params) { p.IngressRetentionBlocks = 5; p.GkQuorum = 2 })
	for h := range int64(4) {
		f.ctx = f.ctx.WithBlockHeight(h + 1)
		if _, err := f.k.PushIngress(f.ctx, testModule, topicEchoOut, []byte{byte(h)}); err != nil {
			t.Fatal(err)
		}
	}
	f.ctx = f.ctx.WithBlockHeight(7)
	if err := f.k.PruneIngress(f.ctx); err != nil { // prunes heights 1 and 2
		t.Fatal(err)
	}
	f.pushTasks(t, 4)
	f.mustSync(t,
		sign(t, testChainID, f.workers[0], workerMsg(f.workers[0], 0, "w0")),
		sign(t, testChainID, f.workers[1], workerMsg(f.workers[1], 0, "w1")),
		sign(t, testChainID, f.gks[0], gkMsg(0, "g0")),
		sign(t, testChainID, f.gks[1], gkMsg(0, "g0")),
		sign(t, testChainID, f.gks[2], gkMsg(1, "g1")),
		sign(t, testChainID, f.gks[0], gkMsg(3, "g3")),
	)
	exported, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := exported.Validate(); err != nil {
		t.Fatalf("exported genesis does not validate: %v", err)
	}
	// Seq 0 is delivered; tasks 1-3 are pending.
	if len(exported.Ingress) == 0 || len(exported.Sequences) == 0 || len(exported.Votes) == 0 ||
		len(exported.Tasks) != 3 || exported.Tasks[0].Seq != 1 || exported.NextTask != 4 {
		t.Fatalf("export misses records: %+v", exported)
	}
	raw := f.cdc.MustMarshalJSON(exported)

	// Import from JSON, as the app does.
	var gs types.GenesisState
	f.cdc.MustUnmarshalJSON(raw, &gs)
	g := newFixture(t)
	if err := g.k.InitGenesis(g.ctx, &gs); err != nil {
		t.Fatalf("InitGenesis: %v", err)
	}
	if again := g.snapshot(t); !bytes.Equal(raw, again) {
		t.Errorf("re-export differs:\nfirst  %s\nsecond %s", raw, again)
	}
	// The ingress heads are derived and not exported: the import starts
	// them from the seed at the first entry (TestIngressHeadsGenesisImport).
	// Everything else is the same, byte for byte.
	notHead := func(kv [2][]byte) bool { return !bytes.HasPrefix(kv[0], types.IngressHeadPrefix) }
	if a, b := filter(storeDump(t, f), notHead), filter(storeDump(t, g), notHead); !slices.EqualFunc(a, b, func(x, y [2][]byte) bool {
		return bytes.Equal(x[0], y[0]) && bytes.Equal(x[1], y[1])
	}) {
		t.Errorf("raw stores differ:\n%x\n%x", a, b)
	}

	// The imported queue continues: next ingress index, worker seqs, and the
	// pending gatekeeper votes all carried over.
	g.ctx = g.ctx.WithBlockHeight(8)
	if i, err := g.k.PushIngress(g.ctx, testModule, topicEchoOut, nil); err != nil || i != exported.NextIngressIndex {
		t.Errorf("push after import = %d, %v; want %d", i, err, exported.NextIngressIndex)
	}
	if resp, err := g.sync(sign(t, testChainID, g.workers[0], workerMsg(g.workers[0], 0, "w0"))); err != nil || resp.Skipped != 1 {
		t.Errorf("replay after import: %+v, %v; want skipped", resp, err)
	}
	if resp := g.mustSync(t, sign(t, testChainID, g.gks[0], gkMsg(1, "g1"))); resp.Accepted != 1 {
		t.Errorf("completing an imported vote: %+v, want one accepted", resp)
	}
	if got := g.handledPayloads(); !slices.Equal(got, []string{"g1"}) {
		t.Errorf("handled after import %q, want [g1]", got)
	}
	if seq, err := g.k.PushGatekeeperTask(g.ctx, testModule, topicTask, topicEcho, nil); err != nil || seq != 4 {
		t.Errorf("task after import at seq %d, %v; want 4", seq, err)
	}
}

func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func storeDump(t *testing.T, f *fixture) [][2][]byte {
	t.Helper()
	it := f.ctx.KVStore(f.storeKey).Iterator(nil, nil)
	defer it.Close()
	var out [][2][]byte
	for ; it.Valid(); it.Next() {
		out = append(out, [2][]byte{it.Key(), it.Value()})
	}
	return out
}

func TestGenesisDefault(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gs, err := f.k.ExportGenesis(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	def := types.DefaultGenesisState()
	if !bytes.Equal(f.cdc.MustMarshalJSON(gs), f.cdc.MustMarshalJSON(def)) {
		t.Errorf("fresh export %v, want default %v", gs, def)
	}
}

// ingressEntry is a valid genesis ingress entry at index.
func ingressEntry(t testing.TB, index uint64) types.IngressEntry {
	t.Helper()
	m := protocol.Message{Origin: protocol.ModuleOrigin(testModule), Topic: topicEchoOut, Seq: index}
	body, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return types.IngressEntry{Index: index, Height: 1, Message: body}
}

// vote is a valid genesis vote of signer seed at seq.
func vote(t testing.TB, seed byte, seq uint64, payload string) types.GatekeeperVote {
	t.Helper()
	m := gkMsg(seq, payload)
	body, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return types.GatekeeperVote{Seq: seq, Signer: pub(testKey(seed)), Body: body}
}

// withTasks gives gs tasks at seqs 0..n-1, answered on topicEcho.
func withTasks(gs *types.GenesisState, n int) {
	for i := range uint64(n) {
		gs.Tasks = append(gs.Tasks, types.GatekeeperTask{Seq: i, ReplyTopic: topicEcho})
	}
	gs.NextTask = uint64(n)
}

func TestGenesisValidate(t *testing.T) {
	t.Parallel()
	w := protocol.WorkerOrigin(pub(testKey(1))).Key()
	tests := []struct {
		name   string
		mutate func(t *testing.T, gs *types.GenesisState)
		want   error
	}{
		{name: "default", mutate: func(*testing.T, *types.GenesisState) {}},
		{
			name: "full",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 3), ingressEntry(t, 4)}
				gs.NextIngressIndex = 5
				gs.Sequences = []types.SenderSequence{{Origin: w, NextSeq: 3}, {Origin: protocol.GatekeeperOrigin().Key(), NextSeq: 2}}
				gs.Tasks = []types.GatekeeperTask{{Seq: 2, ReplyTopic: topicEcho}, {Seq: 3, ReplyTopic: topicEcho}, {Seq: 4, ReplyTopic: topicAlt}}
				gs.NextTask = 5
				gs.Votes = []types.GatekeeperVote{vote(t, 10, 2, "a"), vote(t, 11, 2, "a"), vote(t, 10, 3, "b")}
			},
		},
		{
			name: "next_task behind the channel, no task pending",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Sequences = []types.SenderSequence{{Origin: protocol.GatekeeperOrigin().Key(), NextSeq: 2}}
			},
		},
		{
			name: "task below the channel's next seq",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Sequences = []types.SenderSequence{{Origin: protocol.GatekeeperOrigin().Key(), NextSeq: 2}}
				gs.Tasks = []types.GatekeeperTask{{Seq: 1, ReplyTopic: topicEcho}, {Seq: 2, ReplyTopic: topicEcho}}
				gs.NextTask = 3
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "gap in tasks",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: topicEcho}, {Seq: 2, ReplyTopic: topicEcho}}
				gs.NextTask = 3
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "duplicate task",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: topicEcho}, {Seq: 0, ReplyTopic: topicEcho}}
				gs.NextTask = 1
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "task at next_task",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: topicEcho}}
				gs.NextTask = 0
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "next_task above the last task",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: topicEcho}}
				gs.NextTask = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "next_task ahead of the channel without tasks",
			mutate: func(t *testing.T, gs *types.GenesisState) { gs.NextTask = 1 },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "task with an invalid reply topic",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: "Test/Echo"}}
				gs.NextTask = 1
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote without a task",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Votes = []types.GatekeeperVote{vote(t, 10, 0, "a")}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote on another topic than its task's reply",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Tasks = []types.GatekeeperTask{{Seq: 0, ReplyTopic: topicAlt}}
				gs.NextTask = 1
				gs.Votes = []types.GatekeeperVote{vote(t, 10, 0, "a")}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "everything pruned",
			mutate: func(t *testing.T, gs *types.GenesisState) { gs.NextIngressIndex = 9 },
		},
		{
			name:   "invalid params",
			mutate: func(t *testing.T, gs *types.GenesisState) { gs.Params.MaxMessagesPerTx = 0 },
			want:   types.ErrInvalidParams,
		},
		{
			name: "ingress out of order",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 1), ingressEntry(t, 0)}
				gs.NextIngressIndex = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "duplicate ingress index",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 0), ingressEntry(t, 0)}
				gs.NextIngressIndex = 1
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "gap in ingress",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 0), ingressEntry(t, 2)}
				gs.NextIngressIndex = 3
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "ingress ends before next index",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 0)}
				gs.NextIngressIndex = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "ingress at next index",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Ingress = []types.IngressEntry{ingressEntry(t, 0)}
				gs.NextIngressIndex = 0
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "ingress message does not decode",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				e := ingressEntry(t, 0)
				e.Message = e.Message[:len(e.Message)-1]
				gs.Ingress = []types.IngressEntry{e}
				gs.NextIngressIndex = 1
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "ingress message seq differs from index",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				e := ingressEntry(t, 0)
				e.Index = 1
				gs.Ingress = []types.IngressEntry{e}
				gs.NextIngressIndex = 2
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name:   "empty sequence origin",
			mutate: func(t *testing.T, gs *types.GenesisState) { gs.Sequences = []types.SenderSequence{{NextSeq: 1}} },
			want:   types.ErrInvalidGenesis,
		},
		{
			name: "malformed sequence origin",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Sequences = []types.SenderSequence{{Origin: w[:10], NextSeq: 1}}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "duplicate sequence origin",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				gs.Sequences = []types.SenderSequence{{Origin: w, NextSeq: 1}, {Origin: w, NextSeq: 2}}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote signer of the wrong size",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				withTasks(gs, 2)
				v := vote(t, 10, 0, "a")
				v.Signer = v.Signer[:31]
				gs.Votes = []types.GatekeeperVote{v}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote body does not decode",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				withTasks(gs, 2)
				v := vote(t, 10, 0, "a")
				v.Body = append(v.Body, 0)
				gs.Votes = []types.GatekeeperVote{v}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote body of a worker origin",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				withTasks(gs, 2)
				v := vote(t, 10, 0, "a")
				m := workerMsg(testKey(1), 0, "a")
				v.Body, _ = m.Encode()
				gs.Votes = []types.GatekeeperVote{v}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "vote body at another seq",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				withTasks(gs, 2)
				v := vote(t, 10, 0, "a")
				v.Seq = 1
				gs.Votes = []types.GatekeeperVote{v}
			},
			want: types.ErrInvalidGenesis,
		},
		{
			name: "duplicate vote",
			mutate: func(t *testing.T, gs *types.GenesisState) {
				withTasks(gs, 2)
				gs.Votes = []types.GatekeeperVote{vote(t, 10, 0, "a"), vote(t, 10, 0, "b")}
			},
			want: types.ErrInvalidGenesis,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gs := types.DefaultGenesisState()
			tc.mutate(t, gs)
			wantErrIs(t, gs.Validate(), tc.want)

			// InitGenesis validates too and writes nothing when it refuses.
			f := newFixture(t)
			before := f.snapshot(t)
			err := f.k.InitGenesis(f.ctx, gs)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
			}
		})
	}
}
