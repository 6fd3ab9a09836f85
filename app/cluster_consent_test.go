package app_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// TestClusterCaptureRefused performs the cluster capture of issue 12 point 1
// through real blocks. The attacker (its own attested worker) tries to put
// the victim's worker in its cluster, so that its own worker's app API would
// hand out the victim's app keys: creating or adding is refused; an
// invitation the victim does not accept gives the victim's worker no grant
// and no key copy; once the victim accepted, the attacker cannot remove the
// victim's worker (taking its keys to its saved state away), only the
// victim can. A gatekeeper cannot be put in a cluster at all.
func TestClusterCaptureRefused(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 3, 1, 0)
	gk1, gk2 := n.gks[0], n.gks[1]
	victim, attacker := n.operator, n.owner
	vw := n.workers[0]
	aw := n.c.RegisterWorker(attacker)
	n.launch()
	a := attacker.Address.String()

	res := n.tx(attacker, &gatekeepertypes.MsgCreateCluster{Owner: a, Workers: []string{aw.Hex(), vw.Hex()}})
	requireCode(t, "a cluster of the attacker's and the victim's worker", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrNoOperatorConsent)
	res = n.tx(attacker, &gatekeepertypes.MsgCreateCluster{Owner: a, Workers: []string{gk1.Hex()}})
	requireCode(t, "a cluster of a gatekeeper", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrGatekeeperInCluster)
	res = n.tx(victim, &gatekeepertypes.MsgCreateCluster{Owner: victim.Address.String(), Workers: []string{gk1.Hex()}})
	requireCode(t, "a cluster of a gatekeeper, by its own operator", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrGatekeeperInCluster)
	if _, err := n.c.App.GatekeeperKeeper.Clusters.Get(n.c.CommittedContext(), 1); err == nil {
		t.Fatal("a refused cluster was stored")
	}

	res = n.tx(attacker, &gatekeepertypes.MsgCreateCluster{Owner: a, Workers: []string{aw.Hex()}})
	requireOK(t, "the attacker's cluster of its own worker", res.Code, res.Log)
	ts := tasks(t, n.c.Ingress(), protocol.TopicClusterTask)
	res = n.tx(attacker, &gatekeepertypes.MsgAddClusterWorker{Owner: a, ClusterId: 1, Worker: vw.Hex()})
	requireCode(t, "adding the victim's worker", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrNoOperatorConsent)
	res = n.tx(attacker, &gatekeepertypes.MsgInviteClusterWorker{Owner: a, ClusterId: 1, Worker: gk2.Hex()})
	requireCode(t, "inviting a gatekeeper", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrGatekeeperInCluster)
	res = n.tx(attacker, &gatekeepertypes.MsgInviteClusterWorker{Owner: a, ClusterId: 1, Worker: vw.Hex()})
	requireOK(t, "inviting the victim's worker", res.Code, res.Log)
	res = n.tx(attacker, &gatekeepertypes.MsgJoinCluster{Operator: a, ClusterId: 1, Worker: vw.Hex()})
	requireCode(t, "the attacker accepting for the victim", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrNotWorkerOperator)

	// The gatekeepers publish the cluster key: only the attacker's worker,
	// the one member, is granted it; a copy to the invited worker is refused.
	key := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, PublicKey: bytes.Repeat([]byte{0xc1}, 32)}.Encode()
	seq := ts[len(ts)-1].Seq
	mark := len(n.c.Ingress())
	n.vote(gk1, seq, protocol.TopicClusterKey, key)
	n.requireHandled(n.vote(gk2, seq, protocol.TopicClusterKey, key)) // a quorum of 2 of 3
	got := n.ingressSince(mark)
	if !slices.Equal(topics(got), []string{protocol.TopicClusterKey, protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after the cluster key: %q, want the key and one grant", topics(got))
	}
	if g, err := protocol.DecodeClusterGrant(got[1].Payload); err != nil || !bytes.Equal(g.Worker, aw.PublicKey()) {
		t.Fatalf("grant %+v, %v: only the attacker's worker is a member", g, err)
	}
	cp := func(to *apptest.Worker) []byte {
		return protocol.ClusterKeyCopy{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, Recipient: to.PublicKey(), Sealed: []byte("sealed")}.Encode()
	}
	n.requireRejected("a key copy to the invited, not accepted worker", n.send(gk1, protocol.TopicClusterKeyCopy, cp(vw)), gatekeepertypes.ErrInvalidRecipient)

	// The victim accepts; it is granted the key. The attacker cannot remove
	// it; the victim can leave.
	mark = len(n.c.Ingress())
	res = n.tx(victim, &gatekeepertypes.MsgJoinCluster{Operator: victim.Address.String(), ClusterId: 1, Worker: vw.Hex()})
	requireOK(t, "the victim accepting", res.Code, res.Log)
	if got := n.ingressSince(mark); !slices.Equal(topics(got), []string{protocol.TopicClusterGrant}) {
		t.Fatalf("ingress after accepting: %q", topics(got))
	}
	res = n.tx(attacker, &gatekeepertypes.MsgRemoveClusterWorker{Signer: a, ClusterId: 1, Worker: vw.Hex()})
	requireCode(t, "the owner removing the victim's worker", res.Code, res.Codespace, res.Log, gatekeepertypes.ErrRemovalNotAllowed)
	c, err := n.c.App.GatekeeperKeeper.GetCluster(n.c.CommittedContext(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, found := slices.BinarySearchFunc(c.Workers, []byte(vw.PublicKey()), bytes.Compare); !found {
		t.Fatal("the owner's refused removal took the victim's worker out")
	}
	n.requireHandled(n.send(gk2, protocol.TopicClusterKeyCopy, cp(vw)))
	res = n.tx(victim, &gatekeepertypes.MsgRemoveClusterWorker{Signer: victim.Address.String(), ClusterId: 1, Worker: vw.Hex()})
	requireOK(t, "the victim leaving", res.Code, res.Log)
	if last := n.c.Ingress()[len(n.c.Ingress())-1]; last.Topic != protocol.TopicClusterMemberRemoved {
		t.Fatalf("last ingress %s, want %s", last.Topic, protocol.TopicClusterMemberRemoved)
	}
}
