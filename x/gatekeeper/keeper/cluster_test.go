package keeper_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
	mqtypes "github.com/gatekeeper-net/gatekeeper/x/mq/types"
	"github.com/gatekeeper-net/gatekeeper/x/registry/registrytest"
	registrytypes "github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// clusterFixture: gatekeeper 1 launched; workers 3-7 registered; cluster 1 =
// {7}; max_cluster_workers 3.
func clusterFixture(t *testing.T) *fixture {
	t.Helper()
	f := launchedFixture(t, []byte{1}, []byte{3, 4, 5, 6, 7})
	f.setParams(t, func(p *types.Params) { p.MaxClusterWorkers = 3 })
	f.createCluster(t, 7)
	return f
}

func TestCreateCluster(t *testing.T) {
	t.Parallel()
	keys := func(seeds ...byte) []string {
		var out []string
		for _, s := range seeds {
			out = append(out, keyHex(s))
		}
		return out
	}
	tests := []struct {
		name     string
		noLaunch bool
		owner    func(f *fixture) string
		workers  []string
		want     error
	}{
		{name: "two workers", workers: keys(4, 3)},
		{name: "one worker", workers: keys(5)},
		{name: "max_cluster_workers workers", workers: keys(3, 4, 5)},
		{name: "base64 key", workers: []string{base64.StdEncoding.EncodeToString(pub(testKey(3)))}},
		{name: "a gatekeeper as worker", workers: keys(1), want: types.ErrGatekeeperInCluster},
		{name: "no worker", want: types.ErrInvalidCluster},
		{name: "too many workers", workers: keys(3, 4, 5, 6), want: types.ErrInvalidCluster},
		{name: "worker listed twice", workers: keys(3, 3), want: types.ErrInvalidCluster},
		{name: "worker listed twice in two spellings", workers: []string{keyHex(3), base64.StdEncoding.EncodeToString(pub(testKey(3)))}, want: types.ErrInvalidCluster},
		{name: "unregistered worker", workers: keys(3, 9), want: registrytypes.ErrWorkerNotFound},
		{name: "worker already in a cluster", workers: keys(3, 7), want: types.ErrWorkerInCluster},
		{name: "key not hex", workers: []string{"zz"}, want: types.ErrInvalidKey},
		{name: "invalid owner", owner: func(*fixture) string { return "cosmos1notgk" }, workers: keys(3), want: types.ErrInvalidOwner},
		{name: "before the master key", noLaunch: true, workers: keys(3), want: types.ErrNoMasterKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var f *fixture
			if tc.noLaunch {
				f = newFixture(t)
				f.registerSim(t, 1)
				f.registerSim(t, 3)
				f.addGatekeeper(t, 1)
			} else {
				f = clusterFixture(t)
			}
			owner := f.operator
			if tc.owner != nil {
				owner = tc.owner(f)
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			resp, err := f.msgs.CreateCluster(f.ctx, &types.MsgCreateCluster{Owner: owner, Workers: tc.workers})
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			if resp.ClusterId != 2 {
				t.Errorf("cluster id %d, want 2", resp.ClusterId)
			}
			c, err := f.k.GetCluster(f.ctx, resp.ClusterId)
			if err != nil {
				t.Fatal(err)
			}
			var want [][]byte
			for _, s := range tc.workers {
				want = append(want, mustParseKey(t, s))
			}
			slices.SortFunc(want, bytes.Compare)
			if c.Owner != owner || c.KeyVersion != 0 || len(c.PublicKey) != 0 || c.CreatedHeight != testHeight ||
				!slices.EqualFunc(c.Workers, want, bytes.Equal) {
				t.Errorf("cluster %+v", c)
			}
			for _, w := range want {
				if id, err := f.k.WorkerCluster.Get(f.ctx, w); err != nil || id != 2 {
					t.Errorf("worker %x indexed in cluster %d, %v", w, id, err)
				}
			}
			// One ingress entry: the task, at the next gatekeeper seq,
			// answered on registry/cluster_key.
			got := f.ingressSince(t, mark)
			wantIngress(t, got, entry{protocol.TopicClusterTask, protocol.GatekeeperTask{Seq: 1, Body: protocol.ClusterKeyID{Cluster: 2, Version: 0}.Encode()}.Encode()})
			if reply, err := f.mq.Tasks.Get(f.ctx, 1); err != nil || reply != protocol.TopicClusterKey {
				t.Errorf("mq task at seq 1: %q, %v", reply, err)
			}
			if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterCreated, map[string]string{types.AttributeClusterID: "2", types.AttributeOwner: owner}) {
				t.Errorf("no %s event", types.EventClusterCreated)
			}
			q, err := f.query.Cluster(f.ctx, &types.QueryClusterRequest{Id: 2})
			if err != nil || q.Cluster.Id != 2 {
				t.Errorf("Cluster query: %+v, %v", q, err)
			}
			all, err := f.query.Clusters(f.ctx, &types.QueryClustersRequest{})
			if err != nil || len(all.Clusters) != 2 || all.Clusters[0].Id != 1 || all.Clusters[1].Id != 2 {
				t.Errorf("Clusters query: %+v, %v", all, err)
			}
		})
	}
}

func mustParseKey(t testing.TB, s string) []byte {
	t.Helper()
	for _, dec := range []func(string) ([]byte, error){hexDecode, base64.StdEncoding.DecodeString} {
		if b, err := dec(s); err == nil && len(b) == 32 {
			return b
		}
	}
	t.Fatalf("bad key %q", s)
	return nil
}

func hexDecode(s string) ([]byte, error) {
	var b []byte
	_, err := fmt.Sscanf(s, "%x", &b)
	return b, err
}

func TestClusterMembership(t *testing.T) {
	t.Parallel()
	add := func(owner func(*fixture) string, id uint64, worker byte) func(*fixture) error {
		return func(f *fixture) error {
			_, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: owner(f), ClusterId: id, Worker: keyHex(worker)})
			return err
		}
	}
	remove := func(owner func(*fixture) string, id uint64, worker byte) func(*fixture) error {
		return func(f *fixture) error {
			_, err := f.msgs.RemoveClusterWorker(f.ctx, &types.MsgRemoveClusterWorker{Signer: owner(f), ClusterId: id, Worker: keyHex(worker)})
			return err
		}
	}
	owner := func(f *fixture) string { return f.operator }
	stranger := func(f *fixture) string { return registrytest.MustAddr(t, f.ac, bytes.Repeat([]byte{0x0b}, 20)) }
	invalid := func(*fixture) string { return "gk1invalid" }
	// Cluster 1 = {7} (from clusterFixture); cluster 2 = {3, 4}; max 3.
	tests := []struct {
		name      string
		published bool // cluster 2's key is on chain
		op        func(*fixture) error
		want      error
		// wantMembers of cluster 2 afterwards, and the ingress entries.
		wantMembers []byte
		wantIngress func(f *fixture) []entry
	}{
		{name: "add", op: add(owner, 2, 5), wantMembers: []byte{3, 4, 5}, wantIngress: func(*fixture) []entry { return nil }},
		{
			name: "add after the key is published", published: true, op: add(owner, 2, 5), wantMembers: []byte{3, 4, 5},
			wantIngress: func(f *fixture) []entry {
				return []entry{{protocol.TopicClusterGrant, grant(t, f, 2, 5)}}
			},
		},
		{name: "add by another account", op: add(stranger, 2, 5), want: types.ErrNotClusterOwner},
		{name: "add by an invalid address", op: add(invalid, 2, 5), want: types.ErrInvalidOwner},
		{name: "add to a missing cluster", op: add(owner, 9, 5), want: types.ErrClusterNotFound},
		{name: "add an unregistered worker", op: add(owner, 2, 9), want: registrytypes.ErrWorkerNotFound},
		{name: "add a member again", op: add(owner, 2, 3), want: types.ErrWorkerInCluster},
		{name: "add a member of another cluster", op: add(owner, 2, 7), want: types.ErrWorkerInCluster},
		{
			name: "add beyond max_cluster_workers",
			op: func(f *fixture) error {
				if err := add(owner, 2, 5)(f); err != nil {
					return err
				}
				return add(owner, 2, 6)(f)
			},
			want: types.ErrClusterFull,
		},
		{
			name: "remove", op: remove(owner, 2, 3), wantMembers: []byte{4},
			wantIngress: func(*fixture) []entry {
				return []entry{{protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 2, Worker: pub(testKey(3))}.Encode()}}
			},
		},
		{
			name: "remove every member",
			op: func(f *fixture) error {
				if err := remove(owner, 2, 3)(f); err != nil {
					return err
				}
				return remove(owner, 2, 4)(f)
			},
			wantMembers: []byte{},
			wantIngress: func(*fixture) []entry {
				return []entry{
					{protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 2, Worker: pub(testKey(3))}.Encode()},
					{protocol.TopicClusterMemberRemoved, protocol.ClusterMember{Cluster: 2, Worker: pub(testKey(4))}.Encode()},
				}
			},
		},
		{name: "remove by another account", op: remove(stranger, 2, 3), want: types.ErrRemovalNotAllowed},
		{name: "remove from a missing cluster", op: remove(owner, 9, 3), want: types.ErrClusterNotFound},
		{name: "remove a worker of another cluster", op: remove(owner, 2, 7), want: types.ErrNotClusterMember},
		{name: "remove a worker in no cluster", op: remove(owner, 2, 5), want: types.ErrNotClusterMember},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := clusterFixture(t)
			f.createCluster(t, 3, 4)
			if tc.published {
				f.publishClusterKey(t, 2, 0)
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			err := tc.op(f)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				if tc.name != "add beyond max_cluster_workers" {
					f.assertUnchanged(t, before)
				}
				return
			}
			c, err := f.k.GetCluster(f.ctx, 2)
			if err != nil {
				t.Fatal(err)
			}
			var want [][]byte
			for _, s := range tc.wantMembers {
				want = append(want, pub(testKey(s)))
			}
			slices.SortFunc(want, bytes.Compare)
			if !slices.EqualFunc(c.Workers, want, bytes.Equal) {
				t.Errorf("members %x, want %x", c.Workers, want)
			}
			for _, s := range []byte{3, 4, 5} {
				id, err := f.k.WorkerCluster.Get(f.ctx, pub(testKey(s)))
				in := slices.Contains(tc.wantMembers, s)
				if in != (err == nil && id == 2) {
					t.Errorf("worker %d indexed in cluster %d (%v), member: %v", s, id, err, in)
				}
			}
			wantIngress(t, f.ingressSince(t, mark), tc.wantIngress(f)...)
		})
	}
}

// grant is the ClusterGrant of cluster id's key (as on chain) for worker
// seed.
func grant(t testing.TB, f *fixture, id uint64, seed byte) []byte {
	t.Helper()
	c, err := f.k.GetCluster(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.ClusterGrant{
		ClusterKeyID: protocol.ClusterKeyID{Cluster: id, Version: c.KeyVersion},
		PublicKey:    c.PublicKey,
		Worker:       pub(testKey(seed)),
		ReceiveKey:   f.receiveKey(t, seed),
	}.Encode()
}

// A removed worker is free to join another cluster.
func TestRemovedWorkerJoinsAnotherCluster(t *testing.T) {
	t.Parallel()
	f := clusterFixture(t)
	f.createCluster(t, 3, 4)
	if _, err := f.msgs.RemoveClusterWorker(f.ctx, &types.MsgRemoveClusterWorker{Signer: f.operator, ClusterId: 2, Worker: keyHex(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.msgs.AddClusterWorker(f.ctx, &types.MsgAddClusterWorker{Owner: f.operator, ClusterId: 1, Worker: keyHex(3)}); err != nil {
		t.Fatalf("re-joining: %v", err)
	}
	if id, err := f.k.WorkerCluster.Get(f.ctx, pub(testKey(3))); err != nil || id != 1 {
		t.Fatalf("worker 3 in cluster %d, %v; want 1", id, err)
	}
}

func TestHandleClusterKey(t *testing.T) {
	t.Parallel()
	pk := bytes.Repeat([]byte{0xc1}, protocol.ClusterPublicKeyLen)
	payload := func(id uint64, version uint32) []byte {
		return protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: id, Version: version}, PublicKey: pk}.Encode()
	}
	// Cluster 1 = {7}; cluster 2 = {3, 4}.
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		m     protocol.Message
		want  error
	}{
		{name: "the gatekeepers publish it", m: fromGatekeepers(protocol.TopicClusterKey, payload(2, 0))},
		{name: "from a worker", m: fromWorker(1, protocol.TopicClusterKey, payload(2, 0)), want: types.ErrInvalidOrigin},
		{name: "missing cluster", m: fromGatekeepers(protocol.TopicClusterKey, payload(9, 0)), want: types.ErrClusterNotFound},
		{name: "another version", m: fromGatekeepers(protocol.TopicClusterKey, payload(2, 1)), want: types.ErrKeyVersionMismatch},
		{
			name:  "already published",
			setup: func(t *testing.T, f *fixture) { f.publishClusterKey(t, 2, 0) },
			m:     fromGatekeepers(protocol.TopicClusterKey, payload(2, 0)),
			want:  types.ErrClusterKeyExists,
		},
		{name: "truncated", m: fromGatekeepers(protocol.TopicClusterKey, payload(2, 0)[:20]), want: types.ErrMalformedPayload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := clusterFixture(t)
			f.createCluster(t, 4, 3)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			err := f.handle(t, f.k.HandleClusterKey, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			c, _ := f.k.GetCluster(f.ctx, 2)
			if !bytes.Equal(c.PublicKey, pk) {
				t.Errorf("public key %x, want %x", c.PublicKey, pk)
			}
			// The key, then a grant per member in key order.
			members := []byte{3, 4}
			slices.SortFunc(members, func(a, b byte) int { return bytes.Compare(pub(testKey(a)), pub(testKey(b))) })
			want := []entry{{protocol.TopicClusterKey, tc.m.Payload}}
			for _, s := range members {
				want = append(want, entry{protocol.TopicClusterGrant, grant(t, f, 2, s)})
			}
			wantIngress(t, f.ingressSince(t, mark), want...)
			if !hasEvent(f.ctx.EventManager().Events(), types.EventClusterKeyPublished, map[string]string{types.AttributeClusterID: "2"}) {
				t.Errorf("no %s event", types.EventClusterKeyPublished)
			}
		})
	}
}

func TestHandleClusterKeyCopy(t *testing.T) {
	t.Parallel()
	cp := func(id uint64, version uint32, recipient byte) []byte {
		return protocol.ClusterKeyCopy{ClusterKeyID: protocol.ClusterKeyID{Cluster: id, Version: version}, Recipient: pub(testKey(recipient)), Sealed: []byte("sealed")}.Encode()
	}
	// Gatekeepers 1 (live) and 2 (not live); cluster 1 = {7} without a
	// published key; cluster 2 = {3, 4} with one; workers 5 and 6 in none.
	tests := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		m     protocol.Message
		want  error
	}{
		{name: "live gatekeeper to a member", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 3))},
		{name: "to a worker outside the cluster", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 5)), want: types.ErrInvalidRecipient},
		{name: "to a member of another cluster", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 7)), want: types.ErrInvalidRecipient},
		{name: "to a gatekeeper outside the cluster", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 2)), want: types.ErrInvalidRecipient},
		{name: "to an unregistered key", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 9)), want: types.ErrInvalidRecipient},
		{
			name: "to a removed member",
			setup: func(t *testing.T, f *fixture) {
				if _, err := f.msgs.RemoveClusterWorker(f.ctx, &types.MsgRemoveClusterWorker{Signer: f.operator, ClusterId: 2, Worker: keyHex(3)}); err != nil {
					t.Fatal(err)
				}
			},
			m:    fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 3)),
			want: types.ErrInvalidRecipient,
		},
		{name: "from a gatekeeper not live", m: fromWorker(2, protocol.TopicClusterKeyCopy, cp(2, 0, 3)), want: types.ErrNotLive},
		{name: "from a member", m: fromWorker(4, protocol.TopicClusterKeyCopy, cp(2, 0, 3)), want: types.ErrNotGatekeeper},
		{name: "another key version", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 1, 3)), want: types.ErrKeyVersionMismatch},
		{name: "key not published", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(1, 0, 7)), want: types.ErrClusterKeyNotPublished},
		{name: "missing cluster", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(9, 0, 3)), want: types.ErrClusterNotFound},
		{name: "truncated", m: fromWorker(1, protocol.TopicClusterKeyCopy, cp(2, 0, 3)[:50]), want: types.ErrMalformedPayload},
		{name: "gatekeeper origin", m: fromGatekeepers(protocol.TopicClusterKeyCopy, cp(2, 0, 3)), want: types.ErrInvalidOrigin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := launchedFixture(t, []byte{1, 2}, []byte{3, 4, 5, 6, 7})
			f.createCluster(t, 7)
			f.createCluster(t, 3, 4)
			f.publishClusterKey(t, 2, 0)
			if tc.setup != nil {
				tc.setup(t, f)
			}
			before := f.snapshot(t)
			mark := len(f.ingress(t))
			err := f.handle(t, f.k.HandleClusterKeyCopy, tc.m)
			wantErrIs(t, err, tc.want)
			if tc.want != nil {
				f.assertUnchanged(t, before)
				return
			}
			wantIngress(t, f.ingressSince(t, mark), entry{protocol.TopicClusterKeyCopy, protocol.Relayed{Sender: tc.m.Origin.ID, Body: tc.m.Payload}.Encode()})
		})
	}
}

// The cluster key is published through the gatekeeper channel: x/mq takes
// it only as the answer to the cluster's task, at a quorum.
func TestClusterKeyThroughQuorum(t *testing.T) {
	t.Parallel()
	f := launchedFixture(t, []byte{1, 2, 3}, []byte{4})
	id := f.createCluster(t, 4)
	tasks, err := f.mq.ExportGenesis(f.ctx)
	if err != nil || len(tasks.Tasks) != 1 {
		t.Fatalf("tasks %+v, %v", tasks, err)
	}
	seq := tasks.Tasks[0].Seq
	pk := bytes.Repeat([]byte{9}, protocol.ClusterPublicKeyLen)
	payload := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: id}, PublicKey: pk}.Encode()
	vote := func(seed byte, payload []byte) mqtypes.SignedMessage {
		m := protocol.Message{Origin: protocol.GatekeeperOrigin(), Topic: protocol.TopicClusterKey, Seq: seq, Payload: payload}
		sm, err := protocol.SignMessage(testChainID, testKey(seed), &m)
		if err != nil {
			t.Fatal(err)
		}
		return mqtypes.SignedMessage{Body: sm.Body, Signer: sm.Signer, Signature: sm.Signature}
	}
	sync := func(sm mqtypes.SignedMessage) *mqtypes.MsgSyncMessagesResponse {
		t.Helper()
		resp, err := f.mqMsgs.SyncMessages(f.ctx, &mqtypes.MsgSyncMessages{Submitter: f.operator, Messages: []mqtypes.SignedMessage{sm}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	forged := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: id}, PublicKey: bytes.Repeat([]byte{6}, 32)}.Encode()
	if resp := sync(vote(1, forged)); resp.Voted != 1 {
		t.Fatalf("lone forged vote: %+v", resp)
	}
	if c, _ := f.k.GetCluster(f.ctx, id); len(c.PublicKey) != 0 {
		t.Fatal("one gatekeeper set the cluster key")
	}
	sync(vote(2, payload))
	if resp := sync(vote(3, payload)); resp.Accepted != 1 {
		t.Fatalf("quorum vote: %+v", resp)
	}
	if c, _ := f.k.GetCluster(f.ctx, id); !bytes.Equal(c.PublicKey, pk) {
		t.Fatalf("cluster key %x, want the quorum's %x", c.PublicKey, pk)
	}
	if has, _ := f.mq.Tasks.Has(f.ctx, seq); has {
		t.Error("task still pending after delivery")
	}
	f.wantLastIngress(t, protocol.TopicClusterGrant, grant(t, f, id, 4))
}
