package types_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/collections"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

// The enclave computes x/mq keys from internal/protocol without importing the
// chain; this pins the two together.
func TestProtocolKeysMatchStoreLayout(t *testing.T) {
	t.Parallel()
	if types.StoreKey != protocol.MQStoreName {
		t.Fatalf("store %q, protocol says %q", types.StoreKey, protocol.MQStoreName)
	}
	if got := protocol.IngressKey(0x0102); !bytes.Equal(got, append([]byte(types.IngressPrefix), 0, 0, 0, 0, 0, 0, 1, 2)) {
		t.Fatalf("ingress key %x", got)
	}
	if got := protocol.FirstIngressKey(); !bytes.Equal(got, types.FirstIngressKey) {
		t.Fatalf("first ingress key %x", got)
	}
	if got := protocol.IngressHeadKey(0x0102); !bytes.Equal(got, append([]byte(types.IngressHeadPrefix), 0, 0, 0, 0, 0, 0, 1, 2)) {
		t.Fatalf("ingress head key %x", got)
	}
	// The vote map's key codec, as the keeper declares it.
	signer := bytes.Repeat([]byte{7}, 32)
	kc := collections.TripleKeyCodec(collections.BytesKey, collections.Uint64Key, collections.BytesKey)
	for _, o := range []protocol.Origin{protocol.GatekeeperOrigin(), protocol.GatekeeperLane("computation")} {
		vote := collections.Join3(o.Key(), uint64(0x0102), signer)
		buf := make([]byte, kc.Size(vote))
		if _, err := kc.Encode(buf, vote); err != nil {
			t.Fatal(err)
		}
		if got := protocol.VoteKey(o, 0x0102, signer); !bytes.Equal(got, append([]byte(types.VotePrefix), buf...)) {
			t.Fatalf("%s: vote key %x, store key %x", o, got, append([]byte(types.VotePrefix), buf...))
		}
	}
	o := protocol.GatekeeperOrigin()
	if got := protocol.SequenceKey(o); !bytes.Equal(got, append([]byte(types.SequencePrefix), o.Key()...)) {
		t.Fatalf("sequence key %x", got)
	}
}
