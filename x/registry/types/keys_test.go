package types_test

import (
	"bytes"
	"testing"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/registry/types"
)

// pRuntimes prove registry keys computed by internal/protocol; this pins the
// two layouts together (x/gatekeeper's keys_test.go pins its own).
func TestProtocolKeysMatchStoreLayout(t *testing.T) {
	t.Parallel()
	id := bytes.Repeat([]byte{7}, 32)
	if types.StoreKey != protocol.RegistryStoreName {
		t.Fatalf("store %q, protocol says %q", types.StoreKey, protocol.RegistryStoreName)
	}
	if got := protocol.WorkerKey(id); !bytes.Equal(got, append([]byte(types.WorkerPrefix), id...)) {
		t.Fatalf("worker key %x", got)
	}
}
