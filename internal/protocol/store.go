package protocol

import "encoding/binary"

// Chain state that pRuntimes prove. These keys are fixed by x/mq's store
// layout (x/mq/types/keys.go, checked by a test there); the enclave computes
// them here because it imports nothing of the chain.
const (
	// MQStoreName is the multistore name of x/mq.
	MQStoreName = "mq"

	mqIngressPrefix  = 0x01
	mqSequencePrefix = 0x04
)

// IngressKey is the x/mq store key of ingress entry index.
func IngressKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{mqIngressPrefix}, index)
}

// SequenceKey is the x/mq store key of origin's next expected egress
// sequence; its value is a u64 big-endian.
func SequenceKey(o Origin) []byte {
	return append([]byte{mqSequencePrefix}, o.Key()...)
}
