package app_test

import (
	"bytes"
	"testing"

	errorsmod "cosmossdk.io/errors"

	"github.com/gatekeeper-net/gatekeeper/app/apptest"
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// TestKeyRequestsAfterBootstrap plays, through real blocks, the requests of
// pRuntimes that bootstrapped past the ingress entries carrying their keys
// (issue 12 point 6): a member worker gets its cluster grant again without
// being removed and re-added, a gatekeeper its master key history; a worker
// outside the cluster, a version the cluster does not use, a non-gatekeeper
// and a repeated request get nothing, each with its error.
func TestKeyRequestsAfterBootstrap(t *testing.T) {
	t.Parallel()
	n := newGKNet(t, 2, 3, 0)
	gk1, gk2 := n.gks[0], n.gks[1]
	w1, w2, w3 := n.workers[0], n.workers[1], n.workers[2]
	n.launch()
	res := n.tx(n.operator, &gatekeepertypes.MsgCreateCluster{Owner: n.operator.Address.String(), Workers: []string{w1.Hex(), w2.Hex()}})
	requireOK(t, "create cluster", res.Code, res.Log)
	v0 := protocol.ClusterKeyID{Cluster: 1, Version: 0}.Encode()
	n.requireRejected("request before the key is published", n.send(w1, protocol.TopicClusterKeyRequest, v0), gatekeepertypes.ErrClusterKeyNotPublished)

	ts := tasks(t, n.c.Ingress(), protocol.TopicClusterTask)
	pub := bytes.Repeat([]byte{0xc1}, 32)
	key := protocol.ClusterPublicKey{ClusterKeyID: protocol.ClusterKeyID{Cluster: 1}, PublicKey: pub}.Encode()
	n.vote(gk1, ts[0].Seq, protocol.TopicClusterKey, key)
	n.requireHandled(n.vote(gk2, ts[0].Seq, protocol.TopicClusterKey, key))

	rejected := func(name string, from *apptest.Worker, topic string, payload []byte, want *errorsmod.Error) {
		t.Helper()
		mark := len(n.c.Ingress())
		n.requireRejected(name, n.send(from, topic, payload), want)
		if got := n.ingressSince(mark); len(got) != 0 {
			t.Fatalf("%s: pushed %q", name, topics(got))
		}
	}
	for _, c := range []struct {
		name    string
		from    *apptest.Worker
		topic   string
		payload []byte
		want    *errorsmod.Error
	}{
		{"a worker outside the cluster asks for its key", w3, protocol.TopicClusterKeyRequest, v0, gatekeepertypes.ErrNotClusterMember},
		{"a member asks for a version the cluster does not use", w1, protocol.TopicClusterKeyRequest,
			protocol.ClusterKeyID{Cluster: 1, Version: 1}.Encode(), gatekeepertypes.ErrKeyVersionMismatch},
		{"a member asks for a cluster that does not exist", w1, protocol.TopicClusterKeyRequest,
			protocol.ClusterKeyID{Cluster: 9}.Encode(), gatekeepertypes.ErrClusterNotFound},
		{"a malformed cluster key request", w1, protocol.TopicClusterKeyRequest, v0[:11], gatekeepertypes.ErrMalformedPayload},
		{"a worker that is no gatekeeper asks for the master key", w3, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(1), gatekeepertypes.ErrNotGatekeeper},
		{"a gatekeeper names a version count the chain does not have", gk2, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(2), gatekeepertypes.ErrKeyVersionMismatch},
	} {
		rejected(c.name, c.from, c.topic, c.payload, c.want)
	}

	// A member gets its grant again: the gatekeepers answer it as any grant.
	grantOf := func(name string, from *apptest.Worker) {
		t.Helper()
		mark := len(n.c.Ingress())
		n.requireHandled(n.send(from, protocol.TopicClusterKeyRequest, v0))
		got := n.ingressSince(mark)
		if len(got) != 1 || got[0].Topic != protocol.TopicClusterGrant {
			t.Fatalf("%s: pushed %q, want one grant", name, topics(got))
		}
		g, err := protocol.DecodeClusterGrant(got[0].Payload)
		if err != nil || !bytes.Equal(g.Worker, from.PublicKey()) || !bytes.Equal(g.PublicKey, pub) ||
			!bytes.Equal(g.ReceiveKey, n.receiveKey(from)) || g.Cluster != 1 || g.Version != 0 {
			t.Fatalf("%s: grant %+v, %v", name, g, err)
		}
	}
	grantOf("member request", w1)
	rejected("the same request again", w1, protocol.TopicClusterKeyRequest, v0, gatekeepertypes.ErrKeyRequestTooSoon)
	grantOf("another member's request", w2)

	// A gatekeeper gets its history again: it is not live until it reports it.
	mark := len(n.c.Ingress())
	n.requireHandled(n.send(gk2, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(1)))
	got := n.ingressSince(mark)
	if len(got) != 1 || got[0].Topic != protocol.TopicMasterKeyRequest {
		t.Fatalf("refetch pushed %q, want one master key request", topics(got))
	}
	if req, err := protocol.DecodeKeyRequest(got[0].Payload); err != nil || !bytes.Equal(req.Identity, gk2.PublicKey()) || !bytes.Equal(req.ReceiveKey, n.receiveKey(gk2)) {
		t.Fatalf("master key request %+v, %v", req, err)
	}
	if gk, err := n.c.App.GatekeeperKeeper.Gatekeepers.Get(n.c.CommittedContext(), gk2.PublicKey()); err != nil || gk.LiveHeight != 0 {
		t.Fatalf("gatekeeper after the refetch: %+v, %v", gk, err)
	}
	rejected("the same refetch again", gk2, protocol.TopicMasterKeyRefetch, protocol.EncodeU32(1), gatekeepertypes.ErrKeyRequestTooSoon)

	// After the interval the same request is granted once more.
	for range protocol.KeyRequestIntervalBlocks {
		n.c.NextBlock()
	}
	grantOf("member request after the interval", w1)
}
