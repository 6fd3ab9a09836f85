package types_test

import (
	"bytes"
	"testing"

	"cosmossdk.io/collections"
	"cosmossdk.io/collections/codec"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// pRuntimes prove gatekeeper keys computed by internal/protocol; this pins
// the two layouts together.
func TestProtocolKeysMatchStoreLayout(t *testing.T) {
	t.Parallel()
	id := bytes.Repeat([]byte{7}, 32)
	if types.StoreKey != protocol.GatekeeperStoreName {
		t.Fatalf("store %q, protocol says %q", types.StoreKey, protocol.GatekeeperStoreName)
	}
	if got := protocol.GatekeeperKey(id); !bytes.Equal(got, append([]byte(types.GatekeeperPrefix), id...)) {
		t.Fatalf("gatekeeper key %x", got)
	}
	// The records a bootstrapping pRuntime reads (issue 12 point 6), each
	// against the key the module's collection encodes.
	for _, c := range []struct {
		name   string
		got    []byte
		prefix collections.Prefix
		key    []byte
	}{
		{"cluster", protocol.ClusterKey(0x0102030405060708), types.ClusterPrefix, encodeKey(t, collections.Uint64Key, uint64(0x0102030405060708))},
		{"worker cluster", protocol.WorkerClusterKey(id), types.WorkerClusterPrefix, encodeKey(t, collections.BytesKey, id)},
		{"master key", protocol.MasterKeyKey(0x01020304), types.MasterKeyPrefix, encodeKey(t, collections.Uint32Key, uint32(0x01020304))},
		{"rotation", protocol.RotationKey(0x01020304), types.RotationPrefix, encodeKey(t, collections.Uint32Key, uint32(0x01020304))},
	} {
		if want := append(bytes.Clone(c.prefix.Bytes()), c.key...); !bytes.Equal(c.got, want) {
			t.Errorf("%s key %x, the module's %x", c.name, c.got, want)
		}
	}
}

func encodeKey[K any](t *testing.T, kc codec.KeyCodec[K], k K) []byte {
	t.Helper()
	buf := make([]byte, kc.Size(k))
	if _, err := kc.Encode(buf, k); err != nil {
		t.Fatal(err)
	}
	return buf
}
