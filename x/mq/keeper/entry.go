package keeper

import (
	"github.com/gatekeeper-net/gatekeeper/internal/protocol"
	"github.com/gatekeeper-net/gatekeeper/x/mq/types"
)

func encodeEntry(e types.IngressEntry) []byte {
	return protocol.IngressEntry{Height: e.Height, Message: e.Message}.Encode()
}

func decodeEntry(index uint64, raw []byte) (types.IngressEntry, error) {
	e, _, err := protocol.DecodeIngressEntry(raw)
	if err != nil {
		return types.IngressEntry{}, err
	}
	return types.IngressEntry{Index: index, Height: e.Height, Message: e.Message}, nil
}
