package protocol

import "encoding/binary"

// Chain state that pRuntimes prove. These keys are fixed by the store
// layouts of x/mq, x/registry and x/gatekeeper (their types/keys.go, each
// checked by a test there); the enclave computes them here because it
// imports nothing of the chain.
const (
	// MQStoreName is the multistore name of x/mq.
	MQStoreName = "mq"

	// RegistryStoreName is the multistore name of x/registry.
	RegistryStoreName = "registry"

	// GatekeeperStoreName is the multistore name of x/gatekeeper.
	GatekeeperStoreName = "gatekeeper"

	mqIngressPrefix               = 0x01
	mqFirstIngressKey             = 0x03
	mqSequencePrefix              = 0x04
	mqVotePrefix                  = 0x05
	mqIngressHeadPrefix           = 0x09
	registryWorkerPrefix          = 0x02
	gatekeeperGKPrefix            = 0x03
	gatekeeperMasterPrefix        = 0x04
	gatekeeperClusterPrefix       = 0x05
	gatekeeperWorkerClusterPrefix = 0x07
	gatekeeperRotationPrefix      = 0x0b
)

// FirstIngressKey is the x/mq store key of the oldest retained ingress
// index (a u64 big-endian value).
func FirstIngressKey() []byte { return []byte{mqFirstIngressKey} }

// WorkerKey is the x/registry store key of a registered worker's record.
func WorkerKey(identity []byte) []byte { return append([]byte{registryWorkerPrefix}, identity...) }

// GatekeeperKey is the x/gatekeeper store key of a gatekeeper's record.
func GatekeeperKey(identity []byte) []byte { return append([]byte{gatekeeperGKPrefix}, identity...) }

// MasterKeyKey is the x/gatekeeper store key of master key version v's record
// (a protobuf gatekeeper.gatekeeper.v1.MasterKey).
func MasterKeyKey(v uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{gatekeeperMasterPrefix}, v)
}

// ClusterKey is the x/gatekeeper store key of cluster id's record (a
// protobuf gatekeeper.gatekeeper.v1.Cluster).
func ClusterKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{gatekeeperClusterPrefix}, id)
}

// WorkerClusterKey is the x/gatekeeper store key of the cluster a worker is a
// member of (a u64 big-endian cluster id; absent: in no cluster).
func WorkerClusterKey(identity []byte) []byte {
	return append([]byte{gatekeeperWorkerClusterPrefix}, identity...)
}

// RotationKey is the x/gatekeeper store key of the master key rotation to
// version to (a protobuf gatekeeper.gatekeeper.v1.Rotation).
func RotationKey(to uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{gatekeeperRotationPrefix}, to)
}

// IngressKey is the x/mq store key of ingress entry index.
func IngressKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{mqIngressPrefix}, index)
}

// IngressHeadKey is the x/mq store key of the ingress log's head at n: the
// 32-byte hash chain over entries [0, n) (IngressHeadNext), or over
// [first, n) from IngressHeadSeed where the log's chain was started at
// first (module migration, genesis). The chain keeps the heads at every n
// from the first retained index to the next index, both included, so one
// proof of the head at n covers every entry before n that a pRuntime has
// not applied yet.
func IngressHeadKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{mqIngressHeadPrefix}, n)
}

// SequenceKey is the x/mq store key of origin's next expected egress
// sequence; its value is a u64 big-endian.
func SequenceKey(o Origin) []byte {
	return append([]byte{mqSequencePrefix}, o.Key()...)
}

// VoteKey is the x/mq store key of a gatekeeper's vote at seq of the
// gatekeeper origin o (the task channel or a lane); its value is the message
// body the gatekeeper signed. Relayers read it to skip votes already on
// chain. Layout: prefix || len(o.Key()) (1 byte) || o.Key() || u64 seq ||
// signer.
func VoteKey(o Origin, seq uint64, signer []byte) []byte {
	ok := o.Key()
	b := append([]byte{mqVotePrefix, byte(len(ok))}, ok...)
	return append(binary.BigEndian.AppendUint64(b, seq), signer...)
}
