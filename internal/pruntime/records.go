package pruntime

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
)

// masterKeyRecordPublicKey reads the public key out of an x/registry
// MasterKey record (protobuf gatekeeper.registry.v1.MasterKey: 1 version
// uint32, 2 public_key bytes, 3 height int64, 4 generated_by bytes, 5
// retired_height int64, 6 erased_height int64) proven
// at bootstrap. The enclave imports nothing of the chain, so it parses the
// wire format itself, strictly: known fields once each with their wire
// types, the version it expects, a public key of the right size.
func masterKeyRecordPublicKey(b []byte, want uint32) ([]byte, error) {
	var (
		version uint64
		pub     []byte
		seen    [7]bool
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num < 1 || num > 6 || seen[num] {
			return nil, fmt.Errorf("%w: master key record: bad or repeated field", ErrBadRequest)
		}
		seen[num] = true
		b = b[n:]
		switch {
		case (num == 1 || num == 3 || num == 5 || num == 6) && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: master key record: field %d", ErrBadRequest, num)
			}
			if num == 1 {
				version = v
			}
			b = b[n:]
		case (num == 2 || num == 4) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: master key record: field %d", ErrBadRequest, num)
			}
			if num == 2 {
				pub = v
			}
			b = b[n:]
		default:
			return nil, fmt.Errorf("%w: master key record: field %d has wire type %d", ErrBadRequest, num, typ)
		}
	}
	if version != uint64(want) || len(pub) != protocol.MasterPublicKeyLen {
		return nil, fmt.Errorf("%w: master key record: version %d with a %d-byte key, want version %d with %d bytes",
			ErrBadRequest, version, len(pub), want, protocol.MasterPublicKeyLen)
	}
	return append([]byte(nil), pub...), nil
}
