package types_test

import (
	"bytes"
	"testing"

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
	o := protocol.GatekeeperOrigin()
	if got := protocol.SequenceKey(o); !bytes.Equal(got, append([]byte(types.SequencePrefix), o.Key()...)) {
		t.Fatalf("sequence key %x", got)
	}
}
