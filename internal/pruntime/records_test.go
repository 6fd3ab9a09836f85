package pruntime

import (
	"bytes"
	"errors"
	"testing"

	"cosmossdk.io/collections"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	gatekeepertypes "github.com/gatekeeper-net/gatekeeper/x/gatekeeper/types"
)

// The enclave reads x/registry's master key records without importing the
// chain; this test (only the test binary imports the chain's types) pins its
// key and value parsing to the module's.
func TestMasterKeyRecordMatchesRegistry(t *testing.T) {
	t.Parallel()
	pub := bytes.Repeat([]byte{2}, protocol.MasterPublicKeyLen)
	// A bootstrap after a rotation reads retired and erased versions too.
	for _, rec := range []gatekeepertypes.MasterKey{
		{Version: 7, PublicKey: pub, Height: 99, GeneratedBy: bytes.Repeat([]byte{1}, 32)},
		{Version: 7, PublicKey: pub, Height: 99, GeneratedBy: bytes.Repeat([]byte{1}, 32), RetiredHeight: 120, ErasedHeight: 130},
	} {
		b, err := rec.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := masterKeyRecordPublicKey(b, 7)
		if err != nil || !bytes.Equal(got, pub) {
			t.Fatalf("%+v: public key %x, %v", rec, got, err)
		}
	}
	buf := make([]byte, collections.Uint32Key.Size(7))
	if _, err := collections.Uint32Key.Encode(buf, 7); err != nil {
		t.Fatal(err)
	}
	if want := append([]byte(gatekeepertypes.MasterKeyPrefix), buf...); !bytes.Equal(protocol.MasterKeyKey(7), want) {
		t.Fatalf("store key %x, module's %x", protocol.MasterKeyKey(7), want)
	}
}

func TestMasterKeyRecordRejects(t *testing.T) {
	t.Parallel()
	pub := bytes.Repeat([]byte{2}, protocol.MasterPublicKeyLen)
	field := func(b []byte, num protowire.Number, v []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
	}
	version := func(b []byte, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, 1, protowire.VarintType), v)
	}
	for name, b := range map[string][]byte{
		"wrong version": field(version(nil, 8), 2, pub),
		"short key":     field(version(nil, 7), 2, pub[:32]),
		"repeated key":  field(field(version(nil, 7), 2, pub), 2, pub),
		"key as varint": protowire.AppendVarint(protowire.AppendTag(version(nil, 7), 2, protowire.VarintType), 1),
		"truncated":     field(version(nil, 7), 2, pub)[:20],
		"no key":        version(nil, 7),
	} {
		if _, err := masterKeyRecordPublicKey(b, 7); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A field a newer chain adds is skipped, as in every record a
	// bootstrap reads: refusing it made every bootstrap fail once fields 5
	// and 6 were added.
	if got, err := masterKeyRecordPublicKey(field(field(version(nil, 7), 2, pub), 9, nil), 7); err != nil || !bytes.Equal(got, pub) {
		t.Errorf("unknown field: %x, %v", got, err)
	}
}
