package pruntime

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// masterKeySpec is x/registry's MasterKey record (protobuf
// gatekeeper.registry.v1.MasterKey: 1 version uint32, 2 public_key bytes,
// 3 height int64, 4 generated_by bytes, 5 retired_height int64,
// 6 erased_height int64).
var masterKeySpec = map[protowire.Number]fieldSpec{
	1: {typ: protowire.VarintType}, 2: {typ: protowire.BytesType}, 3: {typ: protowire.VarintType},
	4: {typ: protowire.BytesType}, 5: {typ: protowire.VarintType}, 6: {typ: protowire.VarintType},
}

// masterKeyRecordPublicKey reads the public key out of a MasterKey record
// proven at bootstrap, as walkRecord reads every record (bootstrap_records.go):
// known fields once each with their wire types, unknown ones skipped; then
// the version it expects and a public key of the right size.
func masterKeyRecordPublicKey(b []byte, want uint32) ([]byte, error) {
	var (
		version uint64
		pub     []byte
	)
	err := walkRecord("master key", b, masterKeySpec, func(num protowire.Number, v uint64, bs []byte) error {
		switch num {
		case 1:
			version = v
		case 2:
			pub = bs
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if version != uint64(want) || len(pub) != protocol.MasterPublicKeyLen {
		return nil, fmt.Errorf("%w: master key record: version %d with a %d-byte key, want version %d with %d bytes",
			ErrBadRequest, version, len(pub), want, protocol.MasterPublicKeyLen)
	}
	return append([]byte(nil), pub...), nil
}
